//! The capability table: a model's sizes come from data (built in, then
//! `[backends.models."<model>"]`), and a size outside them is refused
//! before anything is reserved or sent.

use easel_shared::Refusal;
use easel_shared::config::ModelCaps;

use super::*;

const SQUARE_2K: Shape = Shape::Exact {
    width: 2048,
    height: 2048,
};

#[tokio::test]
async fn gemini_3_sizes_go_as_image_size_tiers_from_the_built_in_table() {
    let gemini = FakeGemini::start().await;
    let g = gemini.clone();
    let stack = Stack::start(move |c| {
        c.backends.chain = vec![gemini_backend(&g, "gemini-3-pro-image")];
    })
    .await;
    let event = run(&stack, "tg:7:60", SQUARE_2K).await;
    assert!(matches!(event, JobEvent::Done { .. }), "{event:?}");
    let config = &gemini.requests()[0].json["generationConfig"]["imageConfig"];
    assert_eq!(config["imageSize"], "2K");
    assert_eq!(config["aspectRatio"], "1:1");
}

#[tokio::test]
async fn a_size_the_table_leaves_out_is_refused_before_anything_is_sent() {
    let gemini = FakeGemini::start().await;
    let g = gemini.clone();
    let stack = Stack::start(move |c| {
        c.backends.chain = vec![gemini_backend(&g, "gemini-3-pro-image")];
        c.backends.models.insert(
            "gemini-3-pro-image".into(),
            ModelCaps {
                image_sizes: Some(vec!["1K".into()]),
                ..ModelCaps::default()
            },
        );
    })
    .await;
    let err = stack
        .gateway
        .submit(request("tg:7:61", SQUARE_2K))
        .await
        .unwrap_err();
    let GatewayError::Denied(Refusal {
        denial: Denial::Size(refusal),
        ..
    }) = err
    else {
        panic!("expected a size denial: {err:?}");
    };
    assert_eq!(refusal.rule.max_edge, 1024);
    assert!(gemini.requests().is_empty(), "nothing went upstream");
    let quota = stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!(quota.windows[0].used, 0, "nothing reserved");
}
