//! A model that disappears at run time: the fallback serves, the admins
//! are told once, and nothing is charged for the gone backend.

use super::*;

#[tokio::test]
async fn a_model_gone_at_run_time_falls_back_tells_admins_once_and_charges_nothing_for_it() {
    let gemini = FakeGemini::start().await;
    let g = gemini.clone();
    let stack = Stack::start(move |c| {
        c.backends
            .chain
            .push(gemini_backend(&g, "gemini-3-pro-image"));
        // Distinct prices: a charge for the gone backend would show.
        for (model, micros) in [("gpt-image-2", 211_000), ("gemini-3-pro-image", 134_000)] {
            c.backends.prices.insert(
                model.into(),
                ModelPrice {
                    default_per_image: micros,
                    ..ModelPrice::default()
                },
            );
        }
    })
    .await;
    // Listing stays possible: the key still works, the model is gone.
    stack
        .openai
        .set_models([CatalogModel::current("gpt-image-2.5-flare")]);
    stack.openai.script([Reply::ModelNotFound]);
    let mut notices = stack.gateway.admin_notices();

    for (i, id) in ["tg:7:1", "tg:7:2"].into_iter().enumerate() {
        let done = run(&stack, id, Shape::Auto).await;
        let JobEvent::Done {
            images,
            charged,
            cost_micros,
            quota: Some(quota),
            ..
        } = done
        else {
            panic!("the fallback should have served: {done:?}");
        };
        assert_eq!(images[0].bytes, FakeGemini::final_image());
        assert_eq!((charged, cost_micros), (1, 134_000), "only Gemini's image");
        assert_eq!(
            quota.windows[0].used,
            i as u32 + 1,
            "one credit per delivered image"
        );
    }
    assert_eq!(
        stack.openai.requests().len(),
        1,
        "the gone backend is skipped after"
    );
    assert_eq!(gemini.requests().len(), 2);
    match notices.recv().await {
        Some(AdminNotice::ModelGone { model, usable }) => {
            assert_eq!(model.model, "gpt-image-2");
            assert_eq!(model.config_key, "backends.chain[0].model");
            assert_eq!(usable, ["gpt-image-2.5-flare"]);
        }
        other => panic!("expected a model-gone notice, got {other:?}"),
    }
    assert_eq!(notices.try_recv(), None, "told once");
}

#[tokio::test]
async fn a_model_gone_without_a_fallback_is_explained_and_refunded() {
    let stack = Stack::start(|_| {}).await;
    stack.openai.script([Reply::ModelNotFound]);
    let event = run(&stack, "tg:7:9", Shape::Auto).await;
    let JobEvent::Failed {
        failure,
        quota: Some(quota),
    } = event
    else {
        panic!("expected a failure: {event:?}");
    };
    assert_eq!(failure, JobFailure::ModelUnavailable);
    assert_eq!(quota.windows[0].used, 0, "nothing charged");
}

#[tokio::test]
async fn gemini_gone_at_run_time_is_a_model_failure_too() {
    let gemini = FakeGemini::start().await;
    gemini.script([GeminiReply::ModelNotFound]);
    let g = gemini.clone();
    let stack = Stack::start(move |c| {
        c.backends.chain = vec![gemini_backend(&g, "gemini-3-pro-image")];
    })
    .await;
    let event = run(&stack, "tg:7:50", Shape::Auto).await;
    assert!(
        matches!(
            event,
            JobEvent::Failed {
                failure: JobFailure::ModelUnavailable,
                ..
            }
        ),
        "{event:?}"
    );
}
