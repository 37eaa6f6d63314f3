//! Quota texts: relative times from a fixed `now`, every denial in both
//! languages with its numbers, redemption outcomes.

use super::util::*;
use std::collections::BTreeMap;

use easel_bot::core::render;
use easel_bot::i18n::Locale;
use easel_shared::admin::Redemption;
use easel_shared::{Denial, QuotaStatus, UnixMillis, WindowStatus};

#[test]
fn quota_line_has_relative_times() {
    let s = QuotaStatus {
        windows: vec![WindowStatus {
            limit: 40,
            period_secs: 3 * 3600,
            used: 28,
            next_free_at: Some(UnixMillis(NOW.0 + 80 * MIN)),
        }],
        ..status(0)
    };
    assert_eq!(
        render::quota_line(Locale::En, &s),
        "12/40 left in this 3 h window, next +1 in 1 h 20 min"
    );
    assert_eq!(
        render::quota_line(Locale::ZhCn, &s),
        "本 3 小时 窗口剩余 12/40，1 小时 20 分钟后再 +1"
    );
    let full = QuotaStatus {
        windows: vec![WindowStatus {
            used: 0,
            next_free_at: None,
            ..s.windows[0].clone()
        }],
        credits: 5,
        ..s
    };
    assert_eq!(
        render::quota_line(Locale::En, &full),
        "40/40 left in this 3 h window · 5 prepaid credits"
    );
}

#[test]
fn quota_status_lists_plan_windows_and_credits() {
    let s = QuotaStatus {
        plan_expires_at: Some(UnixMillis(NOW.0 + 7 * 24 * 60 * MIN)),
        credits: 1,
        in_flight: 2,
        ..status(4)
    };
    for locale in Locale::ALL {
        let text = render::quota_status(locale, &s);
        assert_complete(&text);
        for needle in ["free", "6/10", "26/30", "2025-12-03 13:05", "7 ", "1 "] {
            assert!(text.contains(needle), "{needle} missing in {text}");
        }
    }
    let none = QuotaStatus {
        plan: None,
        ..status(0)
    };
    assert!(render::quota_status(Locale::En, &none).contains("/redeem"));
}

#[test]
fn every_denial_says_why_and_when_in_both_languages() {
    let at = UnixMillis(NOW.0 + 80 * MIN);
    let midnight = NOW.next_day();
    // (denial, numbers and times the text must contain)
    let cases: Vec<(Denial, Vec<&str>)> = vec![
        (Denial::Banned, vec![]),
        (Denial::NeedsCode, vec!["/redeem"]),
        (Denial::NotAllowed, vec![]),
        (
            Denial::Quota {
                fits: 0,
                retry_at: Some(at),
            },
            vec!["0", "10", "3", "1", "20", "/redeem"],
        ),
        (
            Denial::Quota {
                fits: 2,
                retry_at: Some(at),
            },
            vec!["--n 2", "1", "20"],
        ),
        (
            Denial::Quota {
                fits: 1,
                retry_at: None,
            },
            vec!["1"],
        ),
        (Denial::InFlight { limit: 2 }, vec!["2"]),
        (
            Denial::Burst {
                retry_at: UnixMillis(NOW.0 + 12_000),
            },
            vec!["12"],
        ),
        (
            Denial::Budget {
                resets_at: midnight,
            },
            vec!["00:00", "10", "55"],
        ),
        (
            Denial::PlanForbids {
                what: "n".into(),
                max: Some(4),
            },
            vec!["4"],
        ),
        (
            Denial::PlanForbids {
                what: "quality".into(),
                max: None,
            },
            vec!["--q"],
        ),
        (
            Denial::PlanForbids {
                what: "edit".into(),
                max: None,
            },
            vec![],
        ),
        (
            Denial::PlanForbids {
                what: "size".into(),
                max: None,
            },
            vec!["--size"],
        ),
        (
            Denial::PlanForbids {
                what: "mask".into(),
                max: None,
            },
            vec!["mask"],
        ),
        (
            Denial::RedeemRate {
                retry_at: UnixMillis(NOW.0 + 5 * MIN),
            },
            vec!["5"],
        ),
        (
            Denial::Cooldown {
                until: UnixMillis(NOW.0 + 30 * MIN),
            },
            vec!["30"],
        ),
        (Denial::Restarting, vec!["Easel"]),
    ];
    let full = status(10);
    for (denial, needles) in &cases {
        let mut texts = BTreeMap::new();
        for locale in Locale::ALL {
            let text = render::denial(locale, denial, NOW, Some(&full));
            assert_complete(&text);
            for needle in needles {
                assert!(
                    text.contains(needle),
                    "{denial:?} in {}: `{needle}` missing: {text}",
                    locale.tag()
                );
            }
            texts.insert(locale.tag(), text);
        }
        assert_ne!(texts["en"], texts["zh-CN"], "{denial:?} not translated");
    }
    assert_eq!(
        render::denial(Locale::En, &cases[3].0, NOW, Some(&full)),
        "Quota used up: 0 of 10 left in this 3 h window; try again in 1 h 20 min, or redeem a code with /redeem. Nothing was charged."
    );
    assert!(
        render::denial(Locale::ZhCn, &cases[3].0, NOW, Some(&full)).contains("1 小时 20 分钟后")
    );
    // Without a status the quota denial still says when.
    assert!(render::denial(Locale::En, &cases[3].0, NOW, None).contains("in 1 h 20 min"));
}

#[test]
fn redemption_outcomes() {
    let ok = Redemption::Redeemed {
        credits: 50,
        plan: Some("pro".into()),
        plan_expires_at: Some(UnixMillis(NOW.0 + 30 * 24 * 60 * MIN)),
    };
    for locale in Locale::ALL {
        let text = render::redemption(locale, &ok, NOW);
        assert!(
            text.contains("50") && text.contains("pro") && text.contains("2025-12-26"),
            "{text}"
        );
        for other in [
            Redemption::AlreadyRedeemed,
            Redemption::Invalid,
            Redemption::Expired,
            Redemption::UsedUp,
            Redemption::Revoked,
        ] {
            let text = render::redemption(locale, &other, NOW);
            assert_complete(&text);
            assert!(!text.is_empty());
        }
    }
    assert_eq!(
        render::redemption(
            Locale::En,
            &Redemption::Redeemed {
                credits: 1,
                plan: None,
                plan_expires_at: None
            },
            NOW
        ),
        "Code redeemed.\n1 credit added."
    );
}

#[test]
fn a_refused_size_names_the_rule_and_a_size_that_works() {
    let refusal = easel_shared::render::SizeRule::default()
        .check(1920, 1080)
        .unwrap_err();
    let denial = Denial::Size(refusal);
    let en = render::denial(Locale::En, &denial, NOW, None);
    for part in [
        "1920x1080",
        "multiples of 16",
        "3840",
        "3:1",
        "--size 1920x1072",
        "Nothing was charged",
    ] {
        assert!(en.contains(part), "{part} missing: {en}");
    }
    let zh = render::denial(Locale::ZhCn, &denial, NOW, None);
    assert!(
        zh.contains("1920x1080") && zh.contains("--size 1920x1072"),
        "{zh}"
    );
}

#[test]
fn model_notices_name_the_model_the_key_and_what_to_use() {
    use easel_shared::date::CalendarDate;
    use easel_shared::notice::{AdminNotice, ModelRef};
    let model = ModelRef {
        backend: "openai".into(),
        config_key: "backends.chain[0].model".into(),
        model: "gpt-image-2".into(),
    };
    let retiring = AdminNotice::ModelRetiring {
        model: model.clone(),
        shutdown: CalendarDate::parse("2027-06-01").unwrap(),
        days_left: 14,
    };
    let gone = AdminNotice::ModelGone {
        model,
        usable: vec!["gpt-image-2.5-flare".into()],
    };
    for locale in [Locale::En, Locale::ZhCn] {
        let text = render::admin::notice(locale, &retiring);
        for part in ["gpt-image-2", "backends.chain[0].model", "2027-06-01", "14"] {
            assert!(text.contains(part), "{part} missing: {text}");
        }
        let text = render::admin::notice(locale, &gone);
        assert!(text.contains("gpt-image-2.5-flare"), "{text}");
    }
    let none = AdminNotice::ModelGone {
        model: ModelRef {
            backend: "b".into(),
            config_key: "k".into(),
            model: "m".into(),
        },
        usable: Vec::new(),
    };
    assert!(render::admin::notice(Locale::En, &none).contains("none listed"));
}
