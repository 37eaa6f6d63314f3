//! The ledger conformance suite: every rule of docs/ledger.md, run against the
//! Redis ledger (`redis::*`, shared Redis, unique key prefix per test), the
//! Redis ledger on a local 3-master Redis Cluster (`cluster::*`, one cluster
//! for this binary, unique key prefix per test) and the embedded ledger
//! (`embedded::*`, a fresh temp file per test), on a manual
//! clock so windows and leases age out exactly, without sleeping. Then the
//! tests that only make sense for one store.
//!
//! The modules live in `ledger/` (this file is the crate root, hence `#[path]`).

/// The effective plan: access modes, assigned plans, expiry, credits-only users, bans.
#[path = "ledger/access.rs"]
mod access;
/// Admin operations (credits, plans, bans), their audit entries, status fields.
#[path = "ledger/admin.rs"]
mod admin;
/// API keys of the `/v1` API: create, resolve, list, revoke, the per-user cap.
#[path = "ledger/api_keys.rs"]
mod api_keys;
/// The day's spend and top list match the records, whichever way a settle comes.
#[path = "ledger/bookings.rs"]
mod bookings;
/// Redis Cluster only: state spread over the masters, cross-slot calls, per-master checks.
#[path = "ledger/cluster.rs"]
mod cluster_only;
/// Access codes: mint, list, revoke, invalid text, typos, expiry, uses, plan days.
#[path = "ledger/codes.rs"]
mod codes;
/// Races from independent instances: windows, credits, settle/refund, codes, spend cap.
#[path = "ledger/concurrency.rs"]
mod concurrency;
/// Prepaid credits after the windows, splits, credits-first refunds.
#[path = "ledger/credits.rs"]
mod credits;
/// The embedded store only: SIGKILL of a writer under load, reopen.
#[path = "ledger/embedded_store.rs"]
mod embedded_store;
/// In-flight cap, lease expiry, reapers, renewals, settles after a reap.
#[path = "ledger/leases.rs"]
mod leases;
/// The Redis ledger only: settles across a paused Redis and a dead process (the outbox).
#[path = "ledger/outbox.rs"]
mod outbox;
/// The plan's policy (max n, qualities, editing) inside reserve, and plan changes racing it.
#[path = "ledger/policy.rs"]
mod policy;
/// The Redis ledger only: every script call's KEYS in one Cluster slot.
#[path = "ledger/redis_slots.rs"]
mod redis_slots;
/// The Redis ledger only: Redis dying and restarting, SCRIPT FLUSH, password-free errors.
#[path = "ledger/redis_store.rs"]
mod redis_store;
/// Idempotent reserve by request id.
#[path = "ledger/replay.rs"]
mod replay;
/// The Redis ledger only: round trips per operation, counted by the server.
#[path = "ledger/round_trips.rs"]
mod round_trips;
/// Settle/refund idempotency, the usage log, the top list.
#[path = "ledger/settle.rs"]
mod settle;
/// The daily spend cap.
#[path = "ledger/spend.rs"]
mod spend;
/// The running window sums: boundaries, refunds and settles across cursors, roll-over.
#[path = "ledger/window_sums.rs"]
mod window_sums;
/// Exact rolling windows, retry_at and fits.
#[path = "ledger/windows.rs"]
mod windows;

/// Web sessions and one-time sign-in links: expiry, sign-out, take-once races.
#[path = "ledger/web_sessions.rs"]
mod web_sessions;

easel_tests::conformance! {
    access::open_mode_gives_everyone_the_default_plan,
    access::code_mode_needs_a_code,
    access::allowlist_mode_admits_only_listed_users,
    access::assigned_plan_applies_until_it_expires,
    access::expired_plan_falls_back_to_the_default_in_open_mode,
    access::plan_removed_from_config_falls_back,
    access::credits_alone_give_access_in_code_mode,
    access::banned_users_are_denied_and_status_still_works,
    access::terminal_users_are_users_like_any_other,
    admin::adjust_credits_grants_deducts_and_refuses_overdraft,
    admin::set_plan_assigns_extends_and_clears,
    admin::bans_are_audited,
    admin::status_of_a_fresh_user,
    admin::status_counts_in_flight_and_credits,
    codes::minted_codes_are_listed_and_revocable,
    codes::minting_validates_the_spec,
    codes::invalid_text_typos_and_unknown_codes_are_invalid,
    codes::expired_and_used_up_codes_are_refused,
    codes::a_user_redeems_a_code_once,
    codes::plan_codes_grant_days_and_extend_the_same_plan,
    concurrency::two_hundred_racing_reserves_admit_exactly_the_limit,
    concurrency::racing_reserves_spend_exactly_the_credits_after_the_window,
    concurrency::racing_reserves_never_overflow_either_window,
    concurrency::racing_settles_and_refunds_take_effect_once,
    concurrency::twenty_users_race_for_a_single_use_code,
    concurrency::one_user_redeeming_a_code_twenty_times_at_once_wins_once,
    concurrency::racing_requests_never_push_spend_past_the_cap,
    credits::credits_are_spent_only_after_the_windows,
    credits::partial_settle_refunds_credits_first,
    credits::refund_of_a_window_charge_frees_the_window_at_once,
    credits::delivered_images_are_clamped_to_the_reservation,
    credits::zero_images_delivered_is_a_failed_settle,
    leases::in_flight_cap_counts_pending_unexpired_leases,
    leases::expired_lease_is_refunded_exactly_once_by_two_reapers,
    leases::renewed_lease_is_not_reaped,
    leases::reap_refunds_credits_too,
    leases::reap_in_bounded_passes_refunds_every_lease_once,
    replay::replayed_request_charges_once_and_returns_the_first_answer,
    replay::replayed_denial_is_evaluated_again,
    replay::same_id_for_two_users_is_two_requests,
    settle::settle_twice_is_already_settled,
    settle::refund_twice_is_already_refunded,
    settle::settle_of_an_unknown_id_is_unknown,
    settle::usage_log_is_newest_first_with_outcomes,
    settle::top_sums_charged_credits_per_utc_day,
    settle::usage_keeps_at_least_the_last_thousand,
    spend::spend_cap_denies_refunds_and_notifies_once_per_day,
    spend::settle_replaces_the_estimate_and_refund_releases_it,
    spend::reap_keeps_the_estimate_as_spend,
    spend::a_request_above_the_per_request_cap_is_refused_first,
    codes::plan_codes_never_cut_a_better_plan_short,
    codes::a_many_use_code_counts_each_user_once,
    policy::reserve_enforces_the_plans_policy,
    policy::credits_alone_are_held_to_the_default_plans_rules,
    policy::a_downgrade_between_the_check_and_the_reserve_is_honoured,
    policy::a_plan_change_racing_reserves_never_admits_what_the_plan_forbids,
    replay::a_replay_never_cancels_a_live_reservation,
    spend::no_cap_still_accounts_spend,
    spend::spend_days_series_has_a_row_per_day_with_images_cost_and_credits,
    spend::same_request_id_from_two_users_holds_two_estimates,
    spend::settle_after_midnight_stays_on_the_day_it_was_held,
    spend::replay_of_a_budget_denial_is_not_an_admission,
    windows::window_admits_exactly_the_limit,
    windows::window_frees_exactly_when_the_oldest_charge_ages_out,
    windows::retry_at_walks_charges_oldest_first,
    windows::denial_counts_what_fits_with_credits_per_image,
    windows::retry_at_is_none_when_it_can_never_fit,
    windows::two_windows_both_bind,
    windows::status_reports_each_window,
    window_sums::a_charge_leaves_the_window_exactly_at_its_boundary,
    window_sums::a_refund_of_a_charge_out_of_a_window_changes_only_the_others,
    window_sums::a_refund_of_a_charge_older_than_every_window_frees_nothing,
    window_sums::a_partial_settle_shrinks_the_charge_in_every_sum,
    window_sums::many_charges_roll_out_of_the_window_one_by_one,
    api_keys::keys_resolve_to_their_owner_until_revoked,
    api_keys::unknown_and_malformed_keys_resolve_to_no_one,
    api_keys::a_user_holds_a_bounded_number_of_keys,
    bookings::racing_settles_book_spend_and_top_once,
    bookings::a_repeated_settle_changes_no_booking,
    bookings::a_late_settle_after_a_reap_books_the_estimate_and_no_credits,
    bookings::a_settle_of_an_unknown_id_books_nothing,
    web_sessions::a_session_lives_until_it_expires_or_ends,
    web_sessions::unknown_and_malformed_session_tokens_resolve_to_no_one,
    web_sessions::a_link_signs_in_once,
    web_sessions::an_expired_link_signs_no_one_in,
    web_sessions::racing_instances_take_a_link_exactly_once,
}
