//! Two gateway processes of one deployment: two `InProcessGateway`s, each
//! with its own Redis connections, runner and clock, on one key prefix of
//! the real Redis. Quotas must hold across them exactly, end to end.

use std::time::Duration;

use easel_gateway::service::{Gateway, GatewayError};
use easel_shared::config::{PlanConfig, WindowConfig};
use easel_shared::job::JobEvent;
use easel_shared::{Denial, Refusal, UnixMillis};
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::ledger::unique_prefix;
use easel_tests::stack::Stack;

use super::{ALICE, finish, request};

const PERIOD: Duration = Duration::from_secs(3 * 3600);

/// Starts one gateway process of the deployment at `prefix`: 3 images per 3 h.
async fn replica(openai: &FakeOpenAi, prefix: &str) -> Stack {
    Stack::start_on_redis(openai.clone(), prefix, |c| {
        let plan = PlanConfig {
            windows: vec![WindowConfig {
                limit: 3,
                period: PERIOD,
            }],
            max_in_flight: 0,
            burst: None,
            ..PlanConfig::default()
        };
        c.plans.insert(c.access.default_plan.clone(), plan);
    })
    .await
}

/// What one submit came to: delivered, or refused with this denial.
async fn outcome(gateway: &dyn Gateway, id: &str) -> Result<u32, Denial> {
    match gateway.submit(request(id, "a lighthouse", vec![])).await {
        Ok(events) => match finish(events).await.last() {
            Some(JobEvent::Done { charged, .. }) => Ok(*charged),
            other => panic!("{id}: admitted but not delivered: {other:?}"),
        },
        Err(GatewayError::Denied(Refusal { denial, .. })) => Err(denial),
        Err(other) => panic!("{id}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateway_processes_share_one_users_quota_exactly() {
    let openai = FakeOpenAi::start().await;
    let prefix = unique_prefix("replicas");
    let a = replica(&openai, &prefix).await;
    let b = replica(&openai, &prefix).await;
    let start: UnixMillis = a.clock.now();
    assert_eq!(start, b.clock.now());

    // Five submits alternating between the processes, all at once.
    let replicas = [&a, &b];
    let outcomes = futures::future::join_all((0..5).map(|i| {
        let gateway = replicas[i % 2].gateway.clone();
        async move { outcome(&*gateway, &format!("tg:1:{i}")).await }
    }))
    .await;

    let delivered = outcomes.iter().filter(|o| *o == &Ok(1)).count();
    let denials: Vec<&Denial> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(delivered, 3, "{outcomes:?}");
    let reset = Denial::Quota {
        fits: 0,
        retry_at: Some(start.plus(PERIOD)),
    };
    assert_eq!(denials, vec![&reset, &reset], "{outcomes:?}");
    assert_eq!(
        openai.requests().len(),
        3,
        "denied requests never went upstream"
    );
    for stack in replicas {
        let quota = stack.gateway.quota(ALICE).await.unwrap();
        assert_eq!((quota.windows[0].used, quota.in_flight), (3, 0));
    }
}
