//! Admin replies, prompt excerpts (a 1,500-character Chinese prompt), help
//! and problem texts, all complete in both languages.

use super::util::*;
use easel_bot::core::render::{self, ButtonKind};
use easel_bot::core::{AdminCommand, Command, Problem, UsageError, UserRef};
use easel_bot::i18n::Locale;
use easel_shared::admin::{Actor, CodeInfo, CodeSpec, MintedCode, SpendStatus};
use easel_shared::flags::{Flag, FlagError};
use easel_shared::{UnixMillis, UserKey};

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

#[test]
fn result_buttons_decode_to_their_actions_and_images() {
    use easel_bot::core::{Action, ResultId};
    let id = ResultId("0123456789AB".into());
    let [first, originals] = render::result_buttons(Locale::En, &id, 3);
    let kinds: Vec<_> = first.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        [ButtonKind::Again, ButtonKind::Vary, ButtonKind::Edit]
    );
    assert_eq!(
        Action::decode(&first[1].data),
        Some(Action::Vary(id.clone()))
    );
    assert_eq!(originals.len(), 3);
    let Some(Action::Original(third)) = Action::decode(&originals[2].data) else {
        panic!("not an Original button: {:?}", originals[2]);
    };
    let (stored, index) = third.original_target().expect("a valid target");
    assert_eq!((stored.to_string(), index), ("0123456789AB".to_owned(), 2));
    assert!(originals[2].label.ends_with(" 3"), "{}", originals[2].label);

    // One image: one plain button, the result's first image.
    let [_, single] = render::result_buttons(Locale::En, &id, 1);
    assert_eq!(single.len(), 1);
    let Some(Action::Original(only)) = Action::decode(&single[0].data) else {
        panic!("not an Original button: {:?}", single[0]);
    };
    assert_eq!(only.original_target().map(|(_, i)| i), Some(0));
    assert!(!single[0].label.ends_with(" 1"), "{}", single[0].label);

    // An album holds ten images; more get no button.
    let [_, many] = render::result_buttons(Locale::En, &id, 12);
    assert_eq!(many.len(), 10);
}
