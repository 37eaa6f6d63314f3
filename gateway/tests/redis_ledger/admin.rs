//! Admin changes, the audit trail, and the Cluster slot of every script call.

use std::collections::BTreeSet;
use std::time::Duration;

use easel_gateway::ledger::redis::key_slot;
use easel_gateway::ledger::{Ledger, LedgerError};
use easel_shared::admin::Actor;
use easel_shared::{Denial, UnixMillis, UserKey};

use super::fixture::*;

#[tokio::test]
async fn admin_changes_are_applied_and_audited() {
    let f = Fixture::new("admin", config());
    let l = f.ledger().await;
    let admin = Actor::Admin(UserKey::telegram(1));
    let u = UserKey::telegram(40);

    assert_eq!(l.adjust_credits(u, 7, "prize", admin).await.unwrap(), 7);
    assert_eq!(l.adjust_credits(u, -3, "oops", admin).await.unwrap(), 4);
    assert!(matches!(
        l.adjust_credits(u, -5, "too much", admin).await,
        Err(LedgerError::Refused(_))
    ));
    assert_eq!(l.status(u).await.unwrap().credits, 4);

    assert!(matches!(
        l.set_plan(u, Some("gold"), 1, "", admin).await,
        Err(LedgerError::NotFound(_))
    ));
    let day = UnixMillis::DAY;
    let first = l.set_plan(u, Some("pro"), 2, "trial", admin).await.unwrap();
    assert_eq!(first, Some(UnixMillis(START.0 + 2 * day)));
    f.clock.advance(Duration::from_secs(3600));
    let extended = l.set_plan(u, Some("pro"), 3, "paid", admin).await.unwrap();
    assert_eq!(extended, Some(UnixMillis(START.0 + 5 * day)));
    let forever = l.set_plan(u, Some("basic"), 0, "", admin).await.unwrap();
    assert_eq!(forever, None);
    assert_eq!(l.status(u).await.unwrap().plan.as_deref(), Some("basic"));
    assert_eq!(l.set_plan(u, None, 0, "", admin).await.unwrap(), None);

    let running = admit(&l, &req(u, "before-ban", 1)).await;
    l.set_banned(u, true, "spam", Actor::Api).await.unwrap();
    assert_eq!(deny(&l, &req(u, "x", 1)).await.0, Denial::Banned);
    let s = l.status(u).await.unwrap();
    assert!(s.banned);
    assert_eq!(s.in_flight, 1, "a ban leaves running jobs alone");
    assert!(l.renew(u, &running.id).await.unwrap());
    l.set_banned(u, false, "appeal", Actor::Api).await.unwrap();
    admit(&l, &req(u, "x", 1)).await;

    let audit = l.audit(100).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "unban", "ban", "plan", "plan", "plan", "plan", "deduct", "grant"
        ]
    );
    let grant = audit.last().unwrap();
    assert_eq!((grant.actor, grant.user, grant.at), (admin, Some(u), START));
    assert_eq!(grant.reason, "prize");
    assert_eq!(l.audit(2).await.unwrap().len(), 2);
    f.cleanup().await;
}

#[tokio::test]
async fn usage_is_newest_first_and_top_sums_days() {
    let f = Fixture::new("usage-top", config());
    let l = f.ledger().await;
    let (a, b) = (UserKey::telegram(41), UserKey::telegram(42));
    admit(&l, &req(a, "1", 2)).await;
    settle(&l, a, "1", delivered(2, 10)).await;
    f.clock.advance(Duration::from_secs(86_400));
    admit(&l, &req(a, "2", 1)).await;
    settle(&l, a, "2", delivered(1, 10)).await;
    admit(&l, &req(b, "3", 4)).await;
    settle(&l, b, "3", delivered(4, 10)).await;

    let usage = l.usage(a, 10).await.unwrap();
    let ids: Vec<&str> = usage.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["2", "1"]);
    assert_eq!(l.usage(a, 1).await.unwrap().len(), 1);

    let today = l.top(1, 10).await.unwrap();
    assert_eq!(
        today
            .iter()
            .map(|t| (t.user, t.credits))
            .collect::<Vec<_>>(),
        [(b, 4), (a, 1)]
    );
    let two_days = l.top(2, 10).await.unwrap();
    assert_eq!(
        two_days
            .iter()
            .map(|t| (t.user, t.credits))
            .collect::<Vec<_>>(),
        [(b, 4), (a, 3)]
    );
    assert_eq!(l.top(2, 1).await.unwrap().len(), 1);
    f.cleanup().await;
}

#[tokio::test]
async fn every_script_call_stays_in_one_cluster_slot() {
    let f = Fixture::new("slots", config());
    let l = f.ledger().await;
    let calls = l.script_keys(UserKey::discord(80351110224678912), &id("dc:1:2"), "ab12");
    assert_eq!(calls.len(), 13);
    for (script, keys) in calls {
        assert!(!keys.is_empty(), "{script}");
        let slots: BTreeSet<u16> = keys.iter().map(|k| key_slot(k)).collect();
        assert_eq!(slots.len(), 1, "{script}: {keys:?}");
        assert!(keys.iter().all(|k| k.starts_with(&f.prefix)), "{script}");
    }
}

#[tokio::test]
async fn check_server_warns_exactly_about_risky_settings() {
    let f = Fixture::new("check", config());
    let l = f.ledger().await;
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let mut get = async |name: &str| -> String {
        let pair: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query_async(&mut con)
            .await
            .unwrap();
        pair[1].clone()
    };
    let evicts = get("maxmemory-policy").await != "noeviction";
    let volatile = get("appendonly").await != "yes" && get("save").await.trim().is_empty();
    let warnings = l.check_server().await;
    let has = |what: &str| warnings.iter().any(|w| w.contains(what));
    assert_eq!(has("maxmemory-policy"), evicts, "{warnings:?}");
    assert_eq!(has("persistence is off"), volatile, "{warnings:?}");
    assert_eq!(warnings.len(), usize::from(evicts) + usize::from(volatile));
}
