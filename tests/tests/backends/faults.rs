//! The fault table: what each upstream failure turns into, how many
//! requests it cost, and fallback through the chain.

use std::time::Duration;

use easel_gateway::backend::breaker::BreakerState;
use easel_gateway::backend::{BackendError, BackendEvent};
use easel_shared::config::BreakerConfig;
use easel_tests::fake_gemini::FakeGemini;
use easel_tests::fake_openai::{FakeOpenAi, Reply, Style};

use super::*;

#[tokio::test]
async fn busy_then_success_returns_the_image_after_retries() {
    let fake = FakeOpenAi::start().await;
    fake.script([
        Reply::RateLimited {
            retry_after_ms: Some(2),
            retry_after_secs: None,
        },
        Reply::Status(503),
    ]);
    let chain = chain(vec![openai(&fake)]);
    let (result, events) = run(&chain, &job(low(1))).await;
    assert_eq!(result.unwrap().images[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(fake.requests().len(), 3);
    let retries: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            BackendEvent::Retrying { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(retries, vec![2, 3]);
}

#[tokio::test]
async fn busy_until_retries_run_out_is_busy_with_a_retry_hint() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::Status(500), Reply::Status(502), Reply::Status(503)]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(
            err,
            BackendError::Busy {
                status: 503,
                retry_after: Some(_)
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_ends_retries_and_is_passed_on() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::RateLimited {
        retry_after_ms: None,
        retry_after_secs: Some(120),
    }]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert_eq!(
        err,
        BackendError::Busy {
            status: 429,
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn insufficient_quota_and_401_are_unavailable_without_retry() {
    for reply in [Reply::InsufficientQuota, Reply::Unauthorized] {
        let fake = FakeOpenAi::start().await;
        fake.script([reply.clone()]);
        let chain = chain(vec![openai(&fake)]);
        let err = run(&chain, &job(low(1))).await.0.unwrap_err();
        assert!(
            matches!(err, BackendError::Unavailable(_)),
            "{reply:?}: {err:?}"
        );
        assert_eq!(fake.requests().len(), 1, "{reply:?}");
    }
}

#[tokio::test]
async fn moderation_blocked_is_blocked_with_the_reason_and_never_retried() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::ModerationBlocked]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(&err, BackendError::Blocked { reason } if reason.contains("safety_violations=[sexual]")),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn malformed_json_is_retried_once_then_a_bad_response() {
    let fake = FakeOpenAi::start().await;
    fake.script([
        Reply::MalformedJson,
        Reply::MalformedJson,
        Reply::MalformedJson,
    ]);
    let chain = chain(vec![openai(&fake)]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(matches!(err, BackendError::BadResponse(_)), "{err:?}");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_stream_cut_before_the_final_image_is_retried_once_then_a_bad_response() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::StreamCut, Reply::StreamCut, Reply::StreamCut]);
    let mut cfg = openai(&fake);
    cfg.partial_images = 1;
    let chain = chain(vec![cfg]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(err, BackendError::BadResponse(ref m) if m.contains("stream")),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_cut_stream_then_a_good_one_delivers_the_image() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::StreamCut]);
    let mut cfg = openai(&fake);
    cfg.partial_images = 1;
    let chain = chain(vec![cfg]);
    let out = run(&chain, &job(low(1))).await.0.unwrap();
    assert_eq!(out.images[0].bytes, FakeOpenAi::final_image(0));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn four_asked_three_returned_gives_three_images_priced_as_three() {
    let fake = FakeOpenAi::start().await;
    fake.set_style(Style {
        usage: None,
        ..Style::default()
    });
    fake.script([Reply::FewerImages(3)]);
    let chain = chain(vec![openai(&fake)]);
    let out = run(&chain, &job(low(4))).await.0.unwrap();
    assert_eq!(out.images.len(), 3);
    assert_eq!(out.cost_micros, 3 * 11_000);
    assert_eq!(fake.requests().len(), 1);
}

/// An upstream that never answers (a sleep past any test's life): the
/// timeout is the only way the call can end, so no margin is involved.
const NEVER: Duration = Duration::MAX;

// The timeout tests run on tokio's paused clock: the attempt timeout and
// reqwest's request timeout are tokio timers, so the runtime jumps to them
// once the call is idle instead of waiting a real 200 ms.

#[tokio::test(start_paused = true)]
async fn a_slow_upstream_times_out() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::Slow(NEVER)]);
    let mut r = retry();
    r.attempt_timeout = Duration::from_millis(200);
    let chain = chain_with(vec![openai(&fake)], r, BreakerConfig::default());
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert_eq!(err, BackendError::Timeout(Duration::from_millis(200)));
    assert_eq!(fake.requests().len(), 1, "a timeout is final");
}

#[tokio::test(start_paused = true)]
async fn the_http_client_timeout_is_a_timeout_too() {
    let fake = FakeOpenAi::start().await;
    fake.script([Reply::Slow(NEVER)]);
    let mut cfg = openai(&fake);
    cfg.request_timeout = Duration::from_millis(200);
    let chain = chain(vec![cfg]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(matches!(err, BackendError::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn an_open_breaker_sends_jobs_to_the_next_backend() {
    let primary = FakeOpenAi::start().await;
    let secondary = FakeGemini::start().await;
    primary.script([Reply::Status(500)]);
    let mut r = retry();
    r.max_attempts = 1;
    let breaker = BreakerConfig {
        failures: 1,
        cool_down: Duration::from_secs(3600),
    };
    let chain = chain_with(vec![openai(&primary), gemini(&secondary)], r, breaker);
    let first = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(first, BackendError::Busy { status: 500, .. }),
        "{first:?}"
    );
    assert_eq!(chain.breaker_state("openai"), Some(BreakerState::Open));

    let out = run(&chain, &job(low(1))).await.0.unwrap();
    assert_eq!(out.backend, "gemini");
    assert_eq!(out.images[0].bytes, FakeGemini::final_image());
    assert_eq!(
        primary.requests().len(),
        1,
        "the open breaker kept calls away"
    );
    assert_eq!(secondary.requests().len(), 1);
}

#[tokio::test]
async fn an_unavailable_primary_falls_back_to_the_next_backend() {
    let primary = FakeOpenAi::start().await;
    let secondary = FakeGemini::start().await;
    primary.script([Reply::InsufficientQuota]);
    let chain = chain(vec![openai(&primary), gemini(&secondary)]);
    let out = run(&chain, &job(low(1))).await.0.unwrap();
    assert_eq!(out.backend, "gemini");
    assert_eq!(primary.requests().len(), 1);
}

#[tokio::test]
async fn an_unreachable_upstream_is_busy_after_retries() {
    // Bind then drop a listener: nothing answers on that port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let fake = FakeOpenAi::start().await;
    let mut cfg = openai(&fake);
    cfg.base_url = format!("http://127.0.0.1:{port}/v1");
    let chain = chain(vec![cfg]);
    let err = run(&chain, &job(low(1))).await.0.unwrap_err();
    assert!(
        matches!(
            err,
            BackendError::Busy {
                status: 0,
                retry_after: Some(_)
            }
        ),
        "{err:?}"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_job_no_backend_can_take_is_rejected_without_a_call() {
    let fake = FakeGemini::start().await;
    let chain = chain(vec![gemini(&fake)]);
    let mut j = job(low(1));
    j.mask = Some(prepared(bytes::Bytes::from_static(b"mask"), "image/png"));
    j.inputs = vec![prepared(bytes::Bytes::from_static(b"img"), "image/png")];
    let err = run(&chain, &j).await.0.unwrap_err();
    assert!(
        matches!(err, BackendError::Rejected(ref m) if m.contains("mask")),
        "{err:?}"
    );
    assert!(fake.requests().is_empty());
}
