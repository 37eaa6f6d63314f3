//! The daily model check: shutdown notices 14 days and 1 day before, once
//! each, and the upkeep's once-a-day schedule on paused time.

use super::*;

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
