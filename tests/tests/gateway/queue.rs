//! The shared job queue (`runner.queue = "redis"`): two gateway processes
//! (two `InProcessGateway`s, each with its own connections, runner and
//! manual clock) on one key prefix of the real Redis. Where a job runs is
//! read from each runner's own count of running jobs and from the queue's
//! snapshot in Redis, never from timing. See docs/queue.md.

use std::time::Duration;

use easel_gateway::ledger::{Clock, Settlement};
use easel_gateway::runner::redis::{Claim, Output, RedisQueue};
use easel_gateway::service::{Gateway, JobStream};
use easel_shared::config::{PlanConfig, QueueKind, WindowConfig};
use easel_shared::job::{CancelOutcome, ImageData, JobEvent, JobFailure};
use easel_shared::render::RenderOptions;
use easel_shared::request::Request;
use easel_shared::{RequestId, UserKey};
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::ledger::{redis_url, unique_prefix};
use easel_tests::stack::{START, Stack};

use super::{ALICE, finish};

const LEASE: Duration = Duration::from_secs(120);

/// One process of the deployment at `prefix`: `concurrency` upstream calls
/// at once deployment-wide, `workers` in this process, `pace` images a minute.
pub(super) async fn replica(
    openai: &FakeOpenAi,
    prefix: &str,
    concurrency: u32,
    workers: u32,
    pace: u32,
) -> Stack {
    replica_at(openai, &redis_url(), prefix, concurrency, workers, pace).await
}

/// [`replica`] on the Redis (or Redis Cluster) at `url`.
async fn replica_at(
    openai: &FakeOpenAi,
    url: &str,
    prefix: &str,
    concurrency: u32,
    workers: u32,
    pace: u32,
) -> Stack {
    let url = url.to_owned();
    Stack::start_on_redis(openai.clone(), prefix, |c| {
        c.ledger.redis_url = url;
        c.runner.queue = QueueKind::Redis;
        c.runner.concurrency = concurrency;
        c.runner.workers = workers;
        c.runner.images_per_minute = pace;
        c.runner.max_queued_per_user = 0;
        c.ledger.lease = LEASE;
        let plan = PlanConfig {
            windows: vec![WindowConfig {
                limit: 100,
                period: Duration::from_secs(3 * 3600),
            }],
            max_in_flight: 0,
            burst: None,
            ..PlanConfig::default()
        };
        c.plans.insert(c.access.default_plan.clone(), plan);
    })
    .await
}

pub(super) fn user(id: u64) -> UserKey {
    UserKey {
        platform: easel_shared::Platform::Telegram,
        id,
    }
}

fn request(who: UserKey, id: &str) -> Request {
    Request {
        id: RequestId::new(id).unwrap(),
        user: who,
        prompt: format!("prompt {id}"),
        options: RenderOptions::default(),
        inputs: vec![],
        parent: None,
        mask: None,
    }
}

/// Reads events until `Started`, returning them and the rest of the stream.
async fn until_started(mut events: JobStream) -> (Vec<JobEvent>, JobStream) {
    let mut seen = Vec::new();
    while let Some(event) = events.recv().await {
        assert!(!event.is_final(), "ended before it started: {event:?}");
        let started = event == JobEvent::Started;
        seen.push(event);
        if started {
            return (seen, events);
        }
    }
    panic!("stream closed before Started: {seen:?}");
}

fn running_here(stack: &Stack) -> usize {
    stack.gateway.runner().load().1
}

fn charged(events: &[JobEvent]) -> u32 {
    match events.last() {
        Some(JobEvent::Done {
            charged, images, ..
        }) => {
            assert_eq!(images.len(), 1);
            *charged
        }
        other => panic!("not delivered: {other:?}"),
    }
}

fn prompts(openai: &FakeOpenAi) -> Vec<String> {
    let requests = openai.requests();
    requests.iter().filter_map(|r| r.field("prompt")).collect()
}

fn ids(jobs: &[easel_shared::job::QueuedJob]) -> Vec<&str> {
    jobs.iter().map(|j| j.id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_accepted_on_a_busy_replica_runs_on_another_and_its_events_come_back() {
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-elsewhere");
    let a = replica(&openai, &prefix, 2, 1, 0).await;
    let (_, first) = until_started(a.gateway.submit(request(ALICE, "tg:1:1")).await.unwrap()).await;
    assert_eq!(running_here(&a), 1, "A's only worker runs the first job");

    let b = replica(&openai, &prefix, 2, 1, 0).await;
    let second = a.gateway.submit(request(ALICE, "tg:1:2")).await.unwrap();
    let (seen, second) = until_started(second).await;
    // Queued at the front, unless B started it before A's submit returned
    // (then no `Queued` follows a `Started`).
    let queued = JobEvent::Queued { position: 0 };
    assert!(
        seen == [queued.clone(), JobEvent::Started] || seen == [JobEvent::Started],
        "{seen:?}"
    );
    assert_eq!(
        (running_here(&a), running_here(&b)),
        (1, 1),
        "B runs the second"
    );

    openai.release();
    assert_eq!(charged(&finish(first).await), 1);
    assert_eq!(
        charged(&finish(second).await),
        1,
        "B's result reached A's submitter"
    );
    let quota = b.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (2, 0));
    assert_eq!(openai.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fairness_and_the_concurrency_cap_hold_across_replicas() {
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-fair");
    let a = replica(&openai, &prefix, 1, 1, 0).await;
    let b = replica(&openai, &prefix, 1, 1, 0).await;
    let (bob, carol) = (user(2), user(3));
    let (_, first) = until_started(a.gateway.submit(request(bob, "tg:2:1")).await.unwrap()).await;

    // Alice queues three on A, then Carol one on B: Carol's must not wait
    // behind all of Alice's.
    let mut streams = vec![first];
    for id in ["tg:1:1", "tg:1:2", "tg:1:3"] {
        streams.push(a.gateway.submit(request(ALICE, id)).await.unwrap());
    }
    streams.push(b.gateway.submit(request(carol, "tg:3:1")).await.unwrap());

    let snapshot = b.gateway.runner().snapshot().await;
    assert_eq!(
        ids(&snapshot.running),
        ["tg:2:1"],
        "one call at once in the deployment"
    );
    assert_eq!(
        ids(&snapshot.waiting),
        ["tg:1:1", "tg:3:1", "tg:1:2", "tg:1:3"]
    );
    assert_eq!(snapshot.waiting[1].position, Some(1));

    openai.release();
    for events in streams {
        assert_eq!(charged(&finish(events).await), 1);
    }
    let order = ["tg:2:1", "tg:1:1", "tg:3:1", "tg:1:2", "tg:1:3"].map(|id| format!("prompt {id}"));
    assert_eq!(
        prompts(&openai),
        order,
        "upstream calls in the fair order, one at a time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_holds_across_replicas_on_the_queues_clock() {
    let openai = FakeOpenAi::start().await;
    let prefix = unique_prefix("queue-pace");
    let a = replica(&openai, &prefix, 2, 1, 1).await;
    let b = replica(&openai, &prefix, 2, 1, 1).await;
    let first = run_to_end(&a, request(ALICE, "tg:1:1")).await;
    assert_eq!(charged(&first), 1);

    // One image a minute for the whole deployment: B may not start another yet.
    let second = b.gateway.submit(request(ALICE, "tg:1:2")).await.unwrap();
    let snapshot = a.gateway.runner().snapshot().await;
    assert_eq!(ids(&snapshot.waiting), ["tg:1:2"]);
    assert_eq!(openai.requests().len(), 1);

    for stack in [&a, &b] {
        stack.clock.advance(Duration::from_secs(60));
    }
    assert_eq!(charged(&finish(second).await), 1);
    assert_eq!(openai.requests().len(), 2);
}

async fn run_to_end(stack: &Stack, request: Request) -> Vec<JobEvent> {
    finish(stack.gateway.submit(request).await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_job_is_cancelled_from_any_replica_and_refunded() {
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-cancel");
    let a = replica(&openai, &prefix, 1, 1, 0).await;
    let b = replica(&openai, &prefix, 1, 1, 0).await;
    let (_, first) = until_started(a.gateway.submit(request(ALICE, "tg:1:1")).await.unwrap()).await;
    let second = a.gateway.submit(request(ALICE, "tg:1:2")).await.unwrap();
    let waiting = RequestId::new("tg:1:2").unwrap();
    let running = RequestId::new("tg:1:1").unwrap();

    assert_eq!(
        b.gateway.cancel(user(9), &waiting).await.unwrap(),
        CancelOutcome::Unknown,
        "not another user's"
    );
    assert_eq!(
        b.gateway.cancel(ALICE, &running).await.unwrap(),
        CancelOutcome::AlreadyStarted
    );
    assert_eq!(
        b.gateway.cancel(ALICE, &waiting).await.unwrap(),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        b.gateway.cancel(ALICE, &waiting).await.unwrap(),
        CancelOutcome::Unknown
    );
    let events = finish(second).await;
    assert!(
        matches!(
            events.last(),
            Some(JobEvent::Failed {
                failure: JobFailure::Cancelled,
                ..
            })
        ),
        "{events:?}"
    );

    openai.release();
    assert_eq!(charged(&finish(first).await), 1);
    let quota = a.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (1, 0));
    assert_eq!(openai.requests().len(), 1);
}

/// A consumer that claims the second job and dies (never renews): the
/// first job runs on A, held, so the cap of 1 keeps A and B from claiming.
async fn ghost_holds_the_second_job(
    openai: &FakeOpenAi,
    prefix: &str,
) -> (Stack, Stack, JobStream) {
    openai.hold();
    let a = replica(openai, prefix, 1, 1, 0).await;
    let b = replica(openai, prefix, 1, 1, 0).await;
    let (_, first) = until_started(a.gateway.submit(request(ALICE, "tg:1:1")).await.unwrap()).await;
    let second = a.gateway.submit(request(ALICE, "tg:1:2")).await.unwrap();
    let ghost = RedisQueue::connect(&redis_url(), prefix, Clock::manual(START))
        .await
        .unwrap();
    match ghost.claim(2, 0, LEASE).await.unwrap() {
        Claim::Job(job) => assert_eq!(job.id.as_str(), "tg:1:2"),
        other => panic!("the ghost claimed nothing: {other:?}"),
    }
    openai.release();
    assert_eq!(charged(&finish(first).await), 1);
    (a, b, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_consumers_job_is_taken_over_and_delivered_once() {
    let openai = FakeOpenAi::start().await;
    let prefix = unique_prefix("queue-takeover");
    let (a, b, second) = ghost_holds_the_second_job(&openai, &prefix).await;
    assert_eq!(openai.requests().len(), 1, "the ghost never ran it");

    // Its heartbeat lapses on the queue's clock: the next renewal pass takes it over.
    for stack in [&a, &b] {
        stack.clock.advance(LEASE);
    }
    let events = finish(second).await;
    assert_eq!(charged(&events), 1);
    let dones = events
        .iter()
        .filter(|e| matches!(e, JobEvent::Done { .. }))
        .count();
    assert_eq!(dones, 1);
    let quota = a.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (2, 0));
    assert_eq!(openai.requests().len(), 2);
    // (Its entry is acked just after the final event is written, so the
    // running list is not read here: that would race the ack.)
    assert!(a.gateway.runner().snapshot().await.waiting.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_over_job_whose_reservation_was_refunded_never_runs() {
    let openai = FakeOpenAi::start().await;
    let prefix = unique_prefix("queue-reaped");
    let (a, b, second) = ghost_holds_the_second_job(&openai, &prefix).await;
    // The reaper got there first: the reservation is refunded.
    let id = RequestId::new("tg:1:2").unwrap();
    a.gateway
        .ledger()
        .settle(ALICE, &id, Settlement::Failed)
        .await
        .unwrap();

    for stack in [&a, &b] {
        stack.clock.advance(LEASE);
    }
    let events = finish(second).await;
    assert!(
        matches!(
            events.last(),
            Some(JobEvent::Failed {
                failure: JobFailure::ReservationLost,
                ..
            })
        ),
        "{events:?}"
    );
    assert_eq!(openai.requests().len(), 1, "never sent upstream unpaid");
    let quota = a.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (1, 0));
    assert!(a.gateway.runner().snapshot().await.waiting.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_replica_hands_another_replicas_job_back_and_it_is_finished_there() {
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-drain");
    let b = replica(&openai, &prefix, 2, 1, 0).await;
    let (_, zero) =
        until_started(b.gateway.submit(request(user(2), "tg:2:1")).await.unwrap()).await;
    let a = replica(&openai, &prefix, 2, 1, 0).await;
    // B is busy: A runs B's user's job.
    let (_, events) =
        until_started(b.gateway.submit(request(ALICE, "tg:1:1")).await.unwrap()).await;
    assert_eq!((running_here(&a), running_here(&b)), (1, 1));

    let report = a.gateway.drain(Duration::ZERO).await;
    assert_eq!((report.stopped, report.refunded_waiting), (1, 0));
    assert_eq!(running_here(&a), 0);
    let snapshot = b.gateway.runner().snapshot().await;
    assert_eq!(ids(&snapshot.waiting), ["tg:1:1"], "back in the queue");

    openai.release();
    assert_eq!(charged(&finish(zero).await), 1);
    let events = finish(events).await;
    let starts = events.iter().filter(|e| **e == JobEvent::Started).count();
    assert_eq!((charged(&events), starts), (1, 1), "{events:?}");
    let quota = b.gateway.quota(ALICE).await.unwrap();
    assert_eq!(
        (quota.windows[0].used, quota.in_flight),
        (1, 0),
        "charged once"
    );
    assert_eq!(
        openai.requests().len(),
        3,
        "B's, the cut-short call and the rerun"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_replica_refunds_the_jobs_it_accepted_that_did_not_finish_in_time() {
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-drain-own");
    let a = replica(&openai, &prefix, 1, 1, 0).await;
    let (_, first) = until_started(a.gateway.submit(request(ALICE, "tg:1:1")).await.unwrap()).await;
    let b = replica(&openai, &prefix, 1, 1, 0).await;
    let second = a.gateway.submit(request(ALICE, "tg:1:2")).await.unwrap();

    // Nobody but A could show these to their user: refunded, not handed on.
    let report = a.gateway.drain(Duration::ZERO).await;
    assert_eq!((report.stopped, report.refunded_waiting), (1, 1));
    for events in [first, second] {
        let events = finish(events).await;
        assert!(
            matches!(events.last(), Some(JobEvent::Failed { .. })),
            "{events:?}"
        );
    }
    let snapshot = b.gateway.runner().snapshot().await;
    assert!(
        snapshot.waiting.is_empty(),
        "nothing left for B to run unseen"
    );
    let quota = b.gateway.quota(ALICE).await.unwrap();
    assert_eq!(
        (quota.windows[0].used, quota.in_flight),
        (0, 0),
        "nothing charged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_settled_before_its_replica_died_is_delivered_from_its_kept_output() {
    let openai = FakeOpenAi::start().await;
    let prefix = unique_prefix("queue-settled");
    let (a, b, second) = ghost_holds_the_second_job(&openai, &prefix).await;
    // The ghost got its images, kept them, settled, and died before `Done`.
    let id = RequestId::new("tg:1:2").unwrap();
    let ghost = RedisQueue::connect(&redis_url(), &prefix, Clock::manual(START))
        .await
        .unwrap();
    let image = ImageData {
        mime: "image/png".into(),
        bytes: FakeOpenAi::final_image(7),
    };
    let output = Output {
        images: vec![image.clone()],
        cost_micros: 5,
    };
    ghost.keep_output(&id, &output).await.unwrap();
    let how = Settlement::Delivered {
        images: 1,
        cost_micros: 5,
    };
    a.gateway.ledger().settle(ALICE, &id, how).await.unwrap();

    for stack in [&a, &b] {
        stack.clock.advance(LEASE);
    }
    let events = finish(second).await;
    match events.last() {
        Some(JobEvent::Done {
            images, charged, ..
        }) => assert_eq!((images.as_slice(), *charged), (&[image][..], 1)),
        other => panic!("not delivered: {other:?}"),
    }
    assert_eq!(openai.requests().len(), 1, "not run a second time");
    let quota = a.gateway.quota(ALICE).await.unwrap();
    assert_eq!(
        (quota.windows[0].used, quota.in_flight),
        (2, 0),
        "charged once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_queue_runs_on_a_redis_cluster() {
    let url = easel_tests::redis_cluster::shared().url();
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-cluster");
    let a = replica_at(&openai, &url, &prefix, 1, 1, 0).await;
    let b = replica_at(&openai, &url, &prefix, 1, 1, 0).await;
    let first = a.gateway.submit(request(ALICE, "tg:1:1")).await.unwrap();
    let (_, first) = until_started(first).await;
    let second = b.gateway.submit(request(ALICE, "tg:1:2")).await.unwrap();
    let snapshot = a.gateway.runner().snapshot().await;
    assert_eq!(
        (ids(&snapshot.running), ids(&snapshot.waiting)),
        (vec!["tg:1:1"], vec!["tg:1:2"])
    );
    let third = b.gateway.submit(request(ALICE, "tg:1:3")).await.unwrap();
    let id = RequestId::new("tg:1:3").unwrap();
    assert_eq!(
        a.gateway.cancel(ALICE, &id).await.unwrap(),
        CancelOutcome::Cancelled
    );

    openai.release();
    assert_eq!(charged(&finish(first).await), 1);
    assert_eq!(charged(&finish(second).await), 1);
    let events = finish(third).await;
    assert!(
        matches!(
            events.last(),
            Some(JobEvent::Failed {
                failure: JobFailure::Cancelled,
                ..
            })
        ),
        "{events:?}"
    );
    let quota = b.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_jobs_position_moves_up_when_a_job_ahead_leaves() {
    let openai = FakeOpenAi::start().await;
    openai.hold();
    let prefix = unique_prefix("queue-position");
    let a = replica(&openai, &prefix, 1, 1, 0).await;
    let b = replica(&openai, &prefix, 1, 1, 0).await;
    let (_, first) = until_started(a.gateway.submit(request(ALICE, "tg:1:1")).await.unwrap()).await;
    let _second = a.gateway.submit(request(ALICE, "tg:1:2")).await.unwrap();
    let mut third = a.gateway.submit(request(user(2), "tg:2:1")).await.unwrap();
    // Bob's first job is fairer than Alice's second: it goes ahead of it.
    assert_eq!(third.recv().await, Some(JobEvent::Queued { position: 0 }));
    let mut fourth = b.gateway.submit(request(user(3), "tg:3:1")).await.unwrap();
    assert_eq!(fourth.recv().await, Some(JobEvent::Queued { position: 1 }));

    let id = RequestId::new("tg:2:1").unwrap();
    assert_eq!(
        a.gateway.cancel(user(2), &id).await.unwrap(),
        CancelOutcome::Cancelled
    );
    // B follows Carol's job and hears that it moved up.
    assert_eq!(fourth.recv().await, Some(JobEvent::Queued { position: 0 }));
    openai.release();
    let (_, fourth) = until_started(fourth).await;
    assert_eq!(charged(&finish(fourth).await), 1);
    assert_eq!(charged(&finish(first).await), 1);
}
