//! Unit tests of the quota rules, one rule per test.

use std::time::Duration;

use easel_shared::config::{AccessMode, Config, WindowConfig};
use easel_shared::{Denial, UnixMillis, UserKey, WindowStatus};

use super::*;
use crate::ledger::embedded::records::{Charge, UserRecord};

const H: i64 = 3_600_000;

fn win(limit: u32, hours: u64) -> WindowConfig {
    WindowConfig {
        limit,
        period: Duration::from_secs(hours * 3600),
    }
}

// The rules over a plain list of charges (the `WindowLog` of a slice).
fn room_l(w: &[WindowConfig], mut log: &[Charge], now: UnixMillis) -> u64 {
    room(w, &mut log, now).expect("a list never fails")
}

fn split_l(
    w: &[WindowConfig],
    mut log: &[Charge],
    credits: u64,
    now: UnixMillis,
    images: u32,
    cpi: u32,
) -> Split {
    split(w, &mut log, credits, now, images, cpi).expect("a list never fails")
}

fn retry_at_l(
    w: &[WindowConfig],
    mut log: &[Charge],
    now: UnixMillis,
    need: u64,
) -> Option<UnixMillis> {
    retry_at(w, &mut log, now, need).expect("a list never fails")
}

fn window_status_l(w: &[WindowConfig], mut log: &[Charge], now: UnixMillis) -> Vec<WindowStatus> {
    window_status(w, &mut log, now).expect("a list never fails")
}

fn charge(t: i64, c: u32, id: &str) -> Charge {
    Charge {
        t: UnixMillis(t),
        c,
        id: id.to_owned(),
    }
}

#[test]
fn window_sum_excludes_charges_exactly_one_period_old() {
    let log = [charge(0, 2, "a"), charge(H, 3, "b"), charge(2 * H, 4, "c")];
    let period = Duration::from_secs(3600);
    // At 2h the charge at 1h is exactly one period old: freed.
    assert_eq!(used(&log, UnixMillis(2 * H), period), 4);
    assert_eq!(used(&log, UnixMillis(2 * H - 1), period), 3 + 4);
    assert_eq!(
        used(&log, UnixMillis(2 * H), Duration::from_secs(3 * 3600)),
        9
    );
}

#[test]
fn room_is_the_tightest_window_floored_at_zero() {
    let log = [charge(0, 8, "a")];
    let now = UnixMillis(H);
    assert_eq!(room_l(&[win(10, 3), win(30, 24)], &log, now), 2);
    assert_eq!(room_l(&[win(5, 3), win(30, 24)], &log, now), 0);
    assert_eq!(room_l(&[], &log, now), 0);
}

#[test]
fn split_takes_windows_first_then_credits() {
    let log = [charge(0, 8, "a")];
    let now = UnixMillis(H);
    let w = [win(10, 3)];
    assert_eq!(
        split_l(&w, &log, 5, now, 4, 1),
        Split::Admit {
            from_windows: 2,
            from_credits: 2
        }
    );
    assert_eq!(
        split_l(&w, &log, 0, now, 2, 1),
        Split::Admit {
            from_windows: 2,
            from_credits: 0
        }
    );
    // No plan: credits only.
    assert_eq!(
        split_l(&[], &[], 6, now, 2, 3),
        Split::Admit {
            from_windows: 0,
            from_credits: 6
        }
    );
}

#[test]
fn short_reports_what_fits_and_when_the_request_would() {
    // Limit 10 per 3h; charges 4 at 0h, 3 at 1h, 3 at 2h: full at 2h.
    let log = [charge(0, 4, "a"), charge(H, 3, "b"), charge(2 * H, 3, "c")];
    let w = [win(10, 3)];
    let now = UnixMillis(2 * H);
    // 5 images, 1 credit: need 5 -> the 4 at 0h frees at 3h (room 4), the 3 at 1h at 4h.
    assert_eq!(
        split_l(&w, &log, 0, now, 5, 1),
        Split::Short {
            fits: 0,
            retry_at: Some(UnixMillis(4 * H))
        }
    );
    // With 2 credits, need 3 windows credits: fits at 3h; 2 images fit now.
    assert_eq!(
        split_l(&w, &log, 2, now, 5, 1),
        Split::Short {
            fits: 2,
            retry_at: Some(UnixMillis(3 * H))
        }
    );
}

#[test]
fn retry_at_is_the_latest_window_and_none_when_impossible() {
    let log = [charge(0, 5, "a"), charge(10 * H, 5, "b")];
    let now = UnixMillis(11 * H);
    // 3h window: used 5 (room 5). 24h window limit 10: used 10 (room 0).
    let w = [win(10, 3), win(10, 24)];
    assert_eq!(retry_at_l(&w, &log, now, 4), Some(UnixMillis(24 * H)));
    assert_eq!(retry_at_l(&w, &log, now, 11), None);
    assert_eq!(retry_at_l(&[], &log, now, 1), None);
}

#[test]
fn split_refuses_with_no_windows_and_too_few_credits() {
    assert_eq!(
        split_l(&[], &[], 3, UnixMillis(0), 2, 2),
        Split::Short {
            fits: 1,
            retry_at: None
        }
    );
    // A cost no reservation can record never fits.
    assert_eq!(
        split_l(&[win(10, 3)], &[], 0, UnixMillis(0), u32::MAX, 2),
        Split::Short {
            fits: 5,
            retry_at: None
        }
    );
}

#[test]
fn refunds_go_to_credits_first() {
    assert_eq!(refund_split(3, 5), (3, 0));
    assert_eq!(refund_split(3, 1), (1, 2));
    assert_eq!(refund_split(0, 4), (0, 0));
    // 4 images at 2 credits, 3 delivered: 6 charged, 2 back; a claim of 9 is clamped.
    assert_eq!(settle_amounts(4, 2, 8, 3), (3, 6, 2));
    assert_eq!(settle_amounts(4, 2, 8, 9), (4, 8, 0));
    assert_eq!(settle_amounts(4, 2, 8, 0), (0, 0, 8));
}

#[test]
fn status_names_when_the_oldest_charge_frees() {
    let log = [charge(H, 2, "a"), charge(2 * H, 1, "b")];
    let s = window_status_l(&[win(10, 3), win(5, 1)], &log, UnixMillis(2 * H + 5));
    assert_eq!((s[0].used, s[0].next_free_at), (3, Some(UnixMillis(4 * H))));
    assert_eq!((s[1].used, s[1].next_free_at), (1, Some(UnixMillis(3 * H))));
    let empty = window_status_l(&[win(10, 3)], &[], UnixMillis(0));
    assert_eq!((empty[0].used, empty[0].next_free_at), (0, None));
}

#[test]
fn in_flight_counts_only_live_leases() {
    let pending = [("a", 10), ("b", 5), ("c", 20)]
        .into_iter()
        .map(|(k, t)| (k.to_owned(), UnixMillis(t)))
        .collect();
    assert_eq!(in_flight(&pending, UnixMillis(10)), 1);
}

#[test]
fn effective_plan_follows_assignment_then_access_mode() {
    let mut config = Config::default();
    config.plans.insert("gold".into(), Default::default());
    let user = UserKey::telegram(1);
    let now = UnixMillis(100);
    let mut rec = UserRecord::default();
    assert_eq!(effective(&rec, user, &config, now).name, Some("free"));
    config.access.mode = AccessMode::Code;
    let e = effective(&rec, user, &config, now);
    assert_eq!((e.name, e.no_access), (None, Denial::NeedsCode));
    rec.plan = Some("gold".into());
    rec.plan_until = Some(UnixMillis(200));
    let e = effective(&rec, user, &config, now);
    assert_eq!(
        (e.name, e.expires_at),
        (Some("gold"), Some(UnixMillis(200)))
    );
    assert_eq!(effective(&rec, user, &config, UnixMillis(200)).name, None);
    rec.plan = Some("deleted".into());
    assert_eq!(effective(&rec, user, &config, now).name, None);
    config.access.mode = AccessMode::Allowlist;
    config.access.allowlist.push(user);
    assert_eq!(effective(&rec, user, &config, now).name, Some("free"));
    let other = effective(&rec, UserKey::telegram(2), &config, now);
    assert_eq!((other.name, other.no_access), (None, Denial::NotAllowed));
}

#[test]
fn set_plan_extends_the_same_plan_keeps_forever_else_replaces() {
    let day = UnixMillis::DAY;
    let mut rec = UserRecord::default();
    let now = UnixMillis(0);
    assert_eq!(
        assign_plan(&mut rec, Some("gold"), 2, now),
        Some(UnixMillis(2 * day))
    );
    assert_eq!(
        assign_plan(&mut rec, Some("gold"), 3, now),
        Some(UnixMillis(5 * day))
    );
    assert_eq!(
        assign_plan(&mut rec, Some("pro"), 1, now),
        Some(UnixMillis(day))
    );
    // Expired: restart from now.
    let later = UnixMillis(10 * day);
    assert_eq!(
        assign_plan(&mut rec, Some("pro"), 1, later),
        Some(UnixMillis(11 * day))
    );
    // 0 days: the same plan for good, and a timed grant never shortens that.
    assert_eq!(assign_plan(&mut rec, Some("pro"), 0, later), None);
    assert_eq!(assign_plan(&mut rec, Some("pro"), 30, later), None);
    assert_eq!(assign_plan(&mut rec, Some("gold"), 0, later), None);
    assert_eq!(rec.plan.as_deref(), Some("gold"));
    assert_eq!(assign_plan(&mut rec, None, 5, later), None);
    assert_eq!(rec.plan, None);
}
