//! Current models and their rules, end to end against the fake providers:
//! the start-up model check (unknown, retired, refused key, unreachable,
//! skipped), the daily check's shutdown notices on the upkeep's clock, a
//! model that disappears at run time (fallback serves, admins told once,
//! nothing charged), and sizes checked before anything is reserved or sent.

use std::time::Duration;

use easel_gateway::service::{Gateway, GatewayError, JobStream, OpenError};
use easel_shared::config::{BackendConfig, BackendKind, ModelPrice};
use easel_shared::date::CalendarDate;
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::notice::AdminNotice;
use easel_shared::render::{RenderOptions, Shape};
use easel_shared::request::Request;
use easel_shared::secret::Secret;
use easel_shared::{Denial, RequestId, UserKey};
use easel_tests::fake_gemini::{FakeGemini, GeminiReply};
use easel_tests::fake_openai::{CatalogModel, FakeOpenAi, Reply};
use easel_tests::stack::{START, Stack};

const ALICE: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 7,
};

const DAY: Duration = Duration::from_secs(86_400);

fn request(id: &str, shape: Shape) -> Request {
    Request {
        id: RequestId::new(id).unwrap(),
        user: ALICE,
        prompt: "a lighthouse at dawn".into(),
        options: RenderOptions {
            shape,
            ..RenderOptions::default()
        },
        inputs: Vec::new(),
        parent: None,
        mask: None,
    }
}

/// Submits a request and reads its events up to the final one.
async fn run(stack: &Stack, id: &str, shape: Shape) -> JobEvent {
    last_event(stack.gateway.submit(request(id, shape)).await.unwrap()).await
}

async fn last_event(mut events: JobStream) -> JobEvent {
    while let Some(event) = events.recv().await {
        if event.is_final() {
            return event;
        }
    }
    panic!("the job stream ended without a final event");
}

fn gemini_backend(fake: &FakeGemini, model: &str) -> BackendConfig {
    BackendConfig {
        name: "gemini".into(),
        kind: BackendKind::Gemini,
        base_url: fake.base_url(),
        api_key: Secret::new("gm-key-1"),
        model: model.into(),
        ..BackendConfig::default()
    }
}

fn start_failure(result: Result<Stack, (OpenError, FakeOpenAi)>) -> String {
    match result {
        Err((OpenError::Model(lines), _)) => lines.join("\n"),
        Err((other, _)) => panic!("wrong start-up error: {other}"),
        Ok(_) => panic!("the gateway started with a bad model"),
    }
}

#[tokio::test]
async fn an_unknown_openai_model_stops_start_up_naming_the_key_and_the_usable_models() {
    let text = start_failure(
        Stack::try_start(|c| c.backends.chain[0].model = "gpt-image-1.5x".into()).await,
    );
    assert!(text.contains("backends.chain[0].model"), "{text}");
    assert!(text.contains("`gpt-image-1.5x`"), "{text}");
    assert!(
        text.contains("gpt-image-2"),
        "lists what the key can use: {text}"
    );
    assert!(
        !text.contains("gpt-5.1"),
        "text models are not image models: {text}"
    );
}

#[tokio::test]
async fn a_model_past_its_announced_shutdown_stops_start_up() {
    // The provider still lists it, but the built-in table says 2026-12-01
    // and the gateway's clock reads 2027-01-15.
    let openai = FakeOpenAi::start().await;
    openai.set_models([
        CatalogModel::current("gpt-image-1.5"),
        CatalogModel::current("gpt-image-2"),
    ]);
    let text = start_failure(
        Stack::try_start_on(openai, |c| {
            c.backends.chain[0].model = "gpt-image-1.5".into()
        })
        .await,
    );
    assert!(text.contains("backends.chain[0].model"), "{text}");
    assert!(text.contains("shut down on 2026-12-01"), "{text}");
    assert!(
        text.contains("can use: gpt-image-2"),
        "retired models are not offered: {text}"
    );
}

#[tokio::test]
async fn an_unknown_gemini_model_stops_start_up_listing_gemini_image_models() {
    let gemini = FakeGemini::start().await;
    let g = gemini.clone();
    let text = start_failure(
        Stack::try_start(move |c| {
            c.backends
                .chain
                .push(gemini_backend(&g, "gemini-2.5-flash-image"));
        })
        .await,
    );
    assert!(text.contains("backends.chain[1].model"), "{text}");
    assert!(
        text.contains("gemini-3-pro-image, gemini-3.1-flash-image"),
        "{text}"
    );
    assert!(!text.contains("gemini-3.5-flash,"), "{text}");
    assert!(
        gemini
            .model_requests()
            .contains(&"/v1beta/models/gemini-2.5-flash-image".to_owned())
    );
}

#[tokio::test]
async fn an_unreachable_provider_only_warns_and_skipped_backends_are_not_asked() {
    // A port nobody listens on: a provider outage must not stop the bot.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let stack = Stack::start(|c| {
        let mut unreachable = c.backends.chain[0].clone();
        unreachable.name = "outage".into();
        unreachable.base_url = dead;
        c.backends.chain.push(unreachable);
        let mut skipped = c.backends.chain[0].clone();
        skipped.name = "no-models-route".into();
        skipped.model = "whatever-they-call-it".into();
        skipped.skip_model_check = true;
        c.backends.chain.push(skipped);
    })
    .await;
    let asked = stack.openai.model_requests();
    assert_eq!(
        asked,
        ["/v1/models/gpt-image-2"],
        "only the primary was asked"
    );
}

#[tokio::test]
async fn a_refused_key_stops_start_up() {
    let text =
        start_failure(Stack::try_start(|c| c.backends.chain[0].api_key = Secret::new("")).await);
    assert!(
        text.contains("refused the API key of backend `openai`"),
        "{text}"
    );
}

#[tokio::test]
async fn a_404_that_is_not_about_the_model_only_warns() {
    // A compatible provider without a models route answers a bare 404: not
    // a verdict on the model, so the gateway starts.
    let stack = Stack::try_start(|c| {
        let base = c.backends.chain[0].base_url.clone();
        c.backends.chain[0].base_url = format!("{base}/no-such-prefix");
    })
    .await;
    assert!(stack.is_ok(), "an unexpected 404 must not stop the bot");
}

#[tokio::test]
async fn admins_hear_of_a_shutdown_14_days_and_1_day_before_once_each() {
    let shutdown = CalendarDate::of(START.plus(15 * DAY));
    let stack = Stack::start(|_| {}).await;
    stack.openai.set_models([CatalogModel {
        id: "gpt-image-2".into(),
        shutdown_date: Some(shutdown.to_string()),
    }]);
    let mut notices = stack.gateway.admin_notices();
    let watch = stack.gateway.model_watch().expect("opened from config");
    // What the upkeep does on each wake-up: check once per day of the
    // gateway's (manual) clock.
    let wake_up = || watch.tick(CalendarDate::of(stack.clock.now()));

    assert!(wake_up().await.is_empty(), "start-up already checked today");
    let mut told = Vec::new();
    for _ in 0..16 {
        stack.clock.advance(DAY);
        let reports = wake_up().await;
        assert_eq!(reports.len(), 1, "one report per backend, once a day");
        assert!(
            wake_up().await.is_empty(),
            "the same day is not checked twice"
        );
        while let Some(notice) = notices.try_recv() {
            told.push(notice);
        }
    }
    let days: Vec<i64> = told
        .iter()
        .filter_map(|n| match n {
            AdminNotice::ModelRetiring {
                days_left,
                shutdown: s,
                model,
            } => {
                assert_eq!(*s, shutdown);
                assert_eq!(model.config_key, "backends.chain[0].model");
                Some(*days_left)
            }
            _ => None,
        })
        .collect();
    assert_eq!(days, [14, 1], "told 14 days and 1 day before, once each");
    // On the day itself the model counts as retired: the backend is taken
    // out and the admins hear that too (once the listing finishes).
    let gone = match told
        .iter()
        .find(|n| matches!(n, AdminNotice::ModelGone { .. }))
    {
        Some(n) => n.clone(),
        None => notices.recv().await.expect("a model-gone notice"),
    };
    assert!(matches!(gone, AdminNotice::ModelGone { .. }), "{gone:?}");
}

#[tokio::test]
async fn the_upkeep_rechecks_the_models_once_a_day_on_paused_time() {
    let stack = Stack::start(|_| {}).await;
    let mut notices = stack.gateway.admin_notices();
    // From here tokio's clock only moves when every task waits: the upkeep's
    // hourly wake-ups pass in virtual time, no real wait.
    tokio::time::pause();
    let stop = tokio_util::sync::CancellationToken::new();
    let upkeep = stack.gateway.maintain(stop.clone());
    let asked = || stack.openai.model_requests().len();
    tokio::time::sleep(Duration::from_secs(5 * 3600)).await;
    assert_eq!(
        asked(),
        1,
        "start-up checked today: the upkeep waits for tomorrow"
    );

    // Tomorrow the model is gone: the upkeep notices within the hour.
    stack
        .openai
        .set_models([CatalogModel::current("gpt-image-2.5-flare")]);
    stack.clock.advance(DAY);
    match tokio::time::timeout(Duration::from_secs(2 * 3600), notices.recv()).await {
        Ok(Some(AdminNotice::ModelGone { model, usable })) => {
            assert_eq!(model.config_key, "backends.chain[0].model");
            assert_eq!(usable, ["gpt-image-2.5-flare"]);
        }
        other => panic!("expected a model-gone notice from the upkeep, got {other:?}"),
    }
    let after = asked();
    tokio::time::sleep(Duration::from_secs(20 * 3600)).await;
    assert_eq!(asked(), after, "once a day, not every wake-up");
    stop.cancel();
    upkeep.await.unwrap();
}

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
async fn a_size_the_model_refuses_is_denied_before_anything_is_reserved_or_sent() {
    let stack = Stack::start(|_| {}).await;
    let exact = Shape::Exact {
        width: 1920,
        height: 1080,
    };
    let err = stack
        .gateway
        .submit(request("tg:7:20", exact))
        .await
        .unwrap_err();
    let GatewayError::Denied {
        denial: Denial::Size(refusal),
        ..
    } = err
    else {
        panic!("expected a size denial: {err:?}");
    };
    assert_eq!(refusal.suggestion, Some((1920, 1072)));
    assert!(stack.openai.requests().is_empty(), "nothing went upstream");
    let quota = stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!(quota.windows[0].used, 0, "nothing reserved");
}

#[tokio::test]
async fn aspect_ratios_become_sizes_gpt_image_2_accepts() {
    let stack = Stack::start(|_| {}).await;
    for (i, (w, h, size)) in [
        (16, 9, "1536x864"),
        (9, 16, "864x1536"),
        (21, 9, "1536x656"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("tg:7:{}", 30 + i);
        let shape = Shape::Aspect { w, h };
        run(&stack, &id, shape).await;
        let sent = stack.openai.requests().last().unwrap().field("size");
        assert_eq!(sent.as_deref(), Some(size));
    }
    let exact = Shape::Exact {
        width: 3840,
        height: 2160,
    };
    run(&stack, "tg:7:40", exact).await;
    let sent = stack.openai.requests().last().unwrap().field("size");
    assert_eq!(
        sent.as_deref(),
        Some("3840x2160"),
        "a valid size goes as asked"
    );
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
