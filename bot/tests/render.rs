//! Rendered texts: every denial in both languages carries its numbers and
//! when it can work; quota lines use relative times from a fixed `now`;
//! excerpts of long Chinese prompts never split a character.

use std::collections::BTreeMap;

use easel_bot::core::render::{self, ButtonKind};
use easel_bot::core::{AdminCommand, Command, Problem, UsageError, UserRef};
use easel_bot::i18n::Locale;
use easel_shared::admin::{Actor, CodeInfo, CodeSpec, MintedCode, Redemption, SpendStatus};
use easel_shared::flags::{Flag, FlagError};
use easel_shared::{Denial, QuotaStatus, UnixMillis, UserKey, WindowStatus};

const MIN: i64 = 60_000;
const NOW: UnixMillis = UnixMillis(1_764_162_300_000); // 2025-11-26 13:05 UTC

/// No unfilled placeable and no bare message id in a rendered text.
fn assert_complete(text: &str) {
    assert!(
        !text.contains("{$") && !text.contains("{ $"),
        "unfilled placeable: {text}"
    );
    // A missing message renders as its id.
    let ids: Vec<&str> = Locale::En
        .source()
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(id, _)| id)
        .collect();
    assert!(
        !text.split_whitespace().any(|w| ids.contains(&w)),
        "a message id in: {text}"
    );
}

fn status(used: u32) -> QuotaStatus {
    QuotaStatus {
        plan: Some("free".into()),
        plan_expires_at: None,
        windows: vec![
            WindowStatus {
                limit: 10,
                period_secs: 3 * 3600,
                used,
                next_free_at: Some(UnixMillis(NOW.0 + 80 * MIN)),
            },
            WindowStatus {
                limit: 30,
                period_secs: 24 * 3600,
                used,
                next_free_at: Some(UnixMillis(NOW.0 + 600 * MIN)),
            },
        ],
        credits: 0,
        in_flight: 0,
        banned: false,
        now: NOW,
    }
}

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
fn admin_replies() {
    let cmd = AdminCommand::Grant {
        user: UserRef::Username("alice".into()),
        credits: 15,
        reason: String::new(),
    };
    assert_eq!(
        render::admin_done(Locale::En, &cmd).as_deref(),
        Some("Granted 15 credits to @alice.")
    );
    assert_eq!(
        render::admin_done(Locale::ZhCn, &cmd).as_deref(),
        Some("已给 @alice 增加 15 点额度。")
    );
    let plan = AdminCommand::Plan {
        user: UserRef::Key(UserKey::telegram(7)),
        plan: Some("pro".into()),
        days: Some(30),
    };
    assert!(
        render::admin_done(Locale::En, &plan)
            .is_some_and(|t| t.contains("tg:7") && t.contains("30"))
    );
    assert_eq!(render::admin_done(Locale::En, &AdminCommand::Stats), None);

    let minted = render::minted(
        Locale::En,
        &[MintedCode {
            id: "c1".into(),
            code: "ABCD-EFGH".into(),
        }],
    );
    assert!(
        minted.contains("ABCD-EFGH") && minted.contains("c1"),
        "{minted}"
    );
    let spec = CodeSpec {
        credits: 20,
        plan: None,
        plan_days: 0,
        max_uses: 3,
        redeem_by: Some(UnixMillis(NOW.0 - 1)),
        note: "bob".into(),
    };
    let info = CodeInfo {
        id: "c1".into(),
        spec,
        uses: 1,
        revoked: false,
        created_at: NOW,
        created_by: Actor::System,
    };
    for locale in Locale::ALL {
        let list = render::code_list(locale, std::slice::from_ref(&info), NOW);
        assert_complete(&list);
        assert!(
            list.contains("1/3") && list.contains("20") && list.contains("bob"),
            "{list}"
        );
    }
    let spend = SpendStatus {
        day: NOW.day(),
        spent_micros: 12_345_678,
        cap_micros: 50_000_000,
        by_backend: [("openai".to_owned(), 12_345_678)].into(),
    };
    let stats = render::stats(Locale::En, &spend);
    assert!(
        stats.contains("$12.34")
            && stats.contains("$50.00")
            && stats.contains("24%")
            && stats.contains("openai"),
        "{stats}"
    );
}

#[test]
fn chinese_prompt_excerpt_never_panics() {
    let prompt: String = "一只穿着宇航服的橘猫在月球上弹吉他，背景是地球升起，"
        .chars()
        .cycle()
        .take(1_500)
        .collect();
    assert_eq!(prompt.chars().count(), 1_500);
    for max in [0, 1, 7, 199, 200, 1_499, 1_500, 5_000] {
        let cut = render::excerpt(&prompt, max);
        assert!(prompt.starts_with(cut.trim_end_matches('…')), "{max}");
        assert!(cut.chars().count() <= max + 1, "{max}");
    }
    let caption = render::result_caption(Locale::ZhCn, &prompt, Some(&status(3)));
    assert!(
        caption.starts_with("一只穿着宇航服的橘猫") && caption.contains("7/10"),
        "{caption}"
    );
    // Emoji with modifiers and combining marks stay whole.
    assert_eq!(render::excerpt("👩🏽‍🚀👩🏽‍🚀", 1), "👩🏽‍🚀…");
    assert_eq!(render::excerpt("e\u{301}e\u{301}", 1), "e\u{301}…");
    assert_eq!(render::excerpt("short", 200), "short");
}

#[test]
fn help_problems_and_small_texts_are_complete() {
    for locale in Locale::ALL {
        let help = render::help(locale, true);
        for cmd in Command::USER.iter().chain(&Command::ADMIN) {
            assert!(
                help.contains(&format!("/{}", cmd.name())),
                "/{} missing from help",
                cmd.name()
            );
        }
        assert!(!render::help(locale, false).contains("/grant"));
        let mut texts = vec![render::start(locale), help, render::ask_change(locale)];
        texts.extend(ButtonKind::ALL.map(|b| render::text::button(locale, b)));
        texts.push(render::text::progress_queued(locale, 3, 12_000));
        texts.push(render::text::progress_running(locale, 65_000));
        texts.push(render::text::settings(locale, &Default::default(), true));
        texts.push(render::text::forget(locale, false));
        texts.push(render::text::internal_error(locale, "tg:1:2"));
        for problem in [
            Problem::UnknownCommand {
                command: "foo".into(),
            },
            Problem::EmptyPrompt,
            Problem::NotAdmin,
            Problem::BadFlag(FlagError::Unknown {
                flag: "--zoom".into(),
            }),
            Problem::BadFlag(FlagError::MissingValue { flag: Flag::N }),
            Problem::BadFlag(FlagError::BadValue {
                flag: Flag::N,
                value: "11".into(),
            }),
            Problem::Usage {
                command: "grant",
                reason: UsageError::Missing("N"),
            },
            Problem::Usage {
                command: "grant",
                reason: UsageError::Bad {
                    arg: "N",
                    given: "x".into(),
                },
            },
            Problem::Usage {
                command: "ban",
                reason: UsageError::NoReply,
            },
            Problem::Usage {
                command: "stats",
                reason: UsageError::Unexpected("now".into()),
            },
        ] {
            texts.push(render::problem(locale, &problem));
        }
        for text in &texts {
            assert_complete(text);
        }
    }
    let bad_n = render::problem(
        Locale::En,
        &Problem::BadFlag(FlagError::BadValue {
            flag: Flag::N,
            value: "11".into(),
        }),
    );
    assert!(
        bad_n.contains("--n") && bad_n.contains("1-10") && bad_n.contains("11"),
        "{bad_n}"
    );
    let bad_ar = render::problem(
        Locale::ZhCn,
        &Problem::BadFlag(FlagError::BadValue {
            flag: Flag::Aspect,
            value: "wide".into(),
        }),
    );
    assert!(
        bad_ar.contains("--ar") && bad_ar.contains("宽:高") && bad_ar.contains("wide"),
        "{bad_ar}"
    );
    let unknown = render::problem(
        Locale::ZhCn,
        &Problem::UnknownCommand {
            command: "foo".into(),
        },
    );
    assert!(
        unknown.contains("/foo") && unknown.contains("/imagine") && unknown.contains("/quota"),
        "{unknown}"
    );
    let usage = render::problem(
        Locale::En,
        &Problem::Usage {
            command: "grant",
            reason: UsageError::Missing("N"),
        },
    );
    assert!(usage.contains("/grant USER N [reason]"), "{usage}");
}
