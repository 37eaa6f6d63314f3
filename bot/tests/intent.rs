//! Intent parsing: private, group, replies, buttons, admin and non-admin,
//! unknown commands, `/img@EaselBot`. Each case is one `check` row.

use easel_bot::core::{
    Action, AdminCommand, ChangeTarget, Chat, ChatKind, Context, ImageRef, Incoming, Intent,
    MintRequest, Problem, RepliedTo, ResultId, SettingsChange, UsageError, UserRef, interpret,
};
use easel_bot::i18n::Locale;
use easel_shared::flags::{Flag, FlagError, FlagSet};
use easel_shared::render::{Quality, Shape};
use easel_shared::{RequestId, UserKey};

const ADMIN: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 1,
};
const USER: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 2,
};

fn ctx() -> Context<'static> {
    Context {
        bot_username: "EaselBot",
        admins: std::slice::from_ref(&ADMIN),
    }
}

fn private(text: &str) -> Incoming {
    Incoming {
        text: text.to_owned(),
        ..Incoming::new(
            USER,
            Chat {
                id: 2,
                kind: ChatKind::Private,
            },
        )
    }
}

fn group(text: &str) -> Incoming {
    Incoming {
        text: text.to_owned(),
        ..Incoming::new(
            USER,
            Chat {
                id: -100,
                kind: ChatKind::Group,
            },
        )
    }
}

fn from(user: UserKey, msg: Incoming) -> Incoming {
    Incoming { user, ..msg }
}

fn img(h: &str) -> ImageRef {
    ImageRef::new(h)
}

fn result(id: &str) -> ResultId {
    ResultId(id.to_owned())
}

fn reply_to_result(id: &str) -> Option<RepliedTo> {
    Some(RepliedTo {
        from_bot: true,
        result: Some(result(id)),
        images: vec![img("res")],
        author: None,
    })
}

fn generate(prompt: &str) -> Result<Intent, Problem> {
    Ok(Intent::Generate {
        prompt: prompt.to_owned(),
        flags: FlagSet::default(),
    })
}

fn check(msg: Incoming, expected: Result<Intent, Problem>) {
    assert_eq!(interpret(&msg, &ctx()), expected, "{msg:#?}");
}

#[test]
fn private_chat_requests() {
    check(private("a red fox"), generate("a red fox"));
    check(
        private("a red fox --ar 16:9 --q high"),
        Ok(Intent::Generate {
            prompt: "a red fox".into(),
            flags: FlagSet {
                shape: Some(Shape::Aspect { w: 16, h: 9 }),
                quality: Some(Quality::High),
                ..FlagSet::default()
            },
        }),
    );
    check(
        Incoming {
            images: vec![img("p1"), img("p2"), img("p3")],
            ..private("make them pastel")
        },
        Ok(Intent::Edit {
            prompt: "make them pastel".into(),
            flags: FlagSet::default(),
            inputs: vec![img("p1"), img("p2"), img("p3")],
        }),
    );
    check(
        Incoming {
            images: vec![img("p1")],
            ..private("")
        },
        Ok(Intent::AskChange(ChangeTarget::Images(vec![img("p1")]))),
    );
    check(private("--n 2"), Err(Problem::EmptyPrompt));
    check(private("/imagine"), Err(Problem::EmptyPrompt));
    check(
        private("a fox --n 11"),
        Err(Problem::BadFlag(FlagError::BadValue {
            flag: Flag::N,
            value: "11".into(),
        })),
    );
    check(
        private("a fox --zoom 2"),
        Err(Problem::BadFlag(FlagError::Unknown {
            flag: "--zoom".into(),
        })),
    );
}

#[test]
fn replies_refine_or_edit() {
    check(
        Incoming {
            reply_to: reply_to_result("r1"),
            ..private("make the sky purple --n 2")
        },
        Ok(Intent::Refine {
            result: result("r1"),
            prompt: "make the sky purple".into(),
            flags: FlagSet {
                n: Some(2),
                ..FlagSet::default()
            },
            extra_inputs: vec![],
        }),
    );
    check(
        Incoming {
            reply_to: reply_to_result("r1"),
            ..private("")
        },
        Ok(Intent::AskChange(ChangeTarget::Result(result("r1")))),
    );
    // A reply to any photo (not one of ours) edits that photo.
    let their_photo = Some(RepliedTo {
        from_bot: false,
        result: None,
        images: vec![img("theirs")],
        author: Some(ADMIN),
    });
    check(
        Incoming {
            reply_to: their_photo,
            images: vec![img("mine")],
            ..private("swap faces")
        },
        Ok(Intent::Edit {
            prompt: "swap faces".into(),
            flags: FlagSet::default(),
            inputs: vec![img("mine"), img("theirs")],
        }),
    );
}

#[test]
fn groups_answer_only_when_addressed() {
    check(group("a red fox"), Ok(Intent::Ignore));
    check(
        Incoming {
            images: vec![img("p")],
            ..group("")
        },
        Ok(Intent::Ignore),
    );
    check(group("/img a red fox"), generate("a red fox"));
    check(group("/img@EaselBot a red fox"), generate("a red fox"));
    check(group("/IMAGINE@easelbot a red fox"), generate("a red fox"));
    check(group("/img@OtherBot a red fox"), Ok(Intent::Ignore));
    check(group("@EaselBot a red fox"), generate("a red fox"));
    check(group("hey @EaselBotFan, a red fox"), Ok(Intent::Ignore));
    check(
        Incoming {
            mentioned: true,
            ..group("a red fox")
        },
        generate("a red fox"),
    );
    check(
        Incoming {
            reply_to: reply_to_result("r9"),
            ..group("bluer")
        },
        Ok(Intent::Refine {
            result: result("r9"),
            prompt: "bluer".into(),
            flags: FlagSet::default(),
            extra_inputs: vec![],
        }),
    );
    // A sticker in reply to the bot is chatter.
    check(
        Incoming {
            reply_to: reply_to_result("r9"),
            ..group("")
        },
        Ok(Intent::Ignore),
    );
    // Unknown commands in groups may be for another bot; addressed to us they get help.
    check(group("/frobnicate"), Ok(Intent::Ignore));
    check(
        group("/frobnicate@EaselBot"),
        Err(Problem::UnknownCommand {
            command: "frobnicate".into(),
        }),
    );
    check(
        private("/frobnicate"),
        Err(Problem::UnknownCommand {
            command: "frobnicate".into(),
        }),
    );
}

#[test]
fn buttons_are_actions() {
    let press = |action| Incoming {
        action: Some(action),
        ..group("ignored text")
    };
    check(
        press(Action::Again(result("r1"))),
        Ok(Intent::Again {
            result: result("r1"),
        }),
    );
    check(
        press(Action::Vary(result("r1"))),
        Ok(Intent::Vary {
            result: result("r1"),
        }),
    );
    check(
        press(Action::Edit(result("r1"))),
        Ok(Intent::AskChange(ChangeTarget::Result(result("r1")))),
    );
    check(
        press(Action::Original(result("r1"))),
        Ok(Intent::Original {
            result: result("r1"),
        }),
    );
    let job = RequestId::new("tg:5:6").unwrap();
    check(
        press(Action::Cancel(job.clone())),
        Ok(Intent::Cancel { job }),
    );
}

#[test]
fn user_commands() {
    check(private("/start"), Ok(Intent::Start));
    check(private("/help"), Ok(Intent::Help { admin: false }));
    check(
        from(ADMIN, private("/help")),
        Ok(Intent::Help { admin: true }),
    );
    check(private("/quota"), Ok(Intent::Quota));
    check(
        private("/redeem EASEL-ABCD-EFGH"),
        Ok(Intent::Redeem {
            code: "EASEL-ABCD-EFGH".into(),
        }),
    );
    check(
        private("/redeem"),
        Err(Problem::Usage {
            command: "redeem",
            reason: UsageError::Missing("CODE"),
        }),
    );
    check(private("/lang zh"), Ok(Intent::Lang(Locale::ZhCn)));
    check(private("/lang en"), Ok(Intent::Lang(Locale::En)));
    check(
        private("/lang fr"),
        Err(Problem::Usage {
            command: "lang",
            reason: UsageError::Bad {
                arg: "en|zh",
                given: "fr".into(),
            },
        }),
    );
    check(private("/forget"), Ok(Intent::Forget { confirmed: false }));
    check(
        private("/forget confirm"),
        Ok(Intent::Forget { confirmed: true }),
    );
    check(
        private("/settings"),
        Ok(Intent::Settings(SettingsChange::Show)),
    );
    check(
        private("/settings reset"),
        Ok(Intent::Settings(SettingsChange::Reset)),
    );
    check(
        private("/settings ar 3:2 --q high"),
        Ok(Intent::Settings(SettingsChange::Set(FlagSet {
            shape: Some(Shape::Aspect { w: 3, h: 2 }),
            quality: Some(Quality::High),
            ..FlagSet::default()
        }))),
    );
    check(
        private("/settings n"),
        Err(Problem::BadFlag(FlagError::MissingValue { flag: Flag::N })),
    );
    check(
        private("/settings zoom 2"),
        Err(Problem::BadFlag(FlagError::Unknown {
            flag: "--zoom".into(),
        })),
    );
}

#[test]
fn admin_commands_for_admins_only() {
    // A non-admin is refused before any argument is read, even nonsense ones.
    for text in [
        "/grant 5 10",
        "/grant",
        "/codes mint 999999",
        "/stats",
        "/ban@EaselBot @x",
    ] {
        check(private(text), Err(Problem::NotAdmin));
        check(group(text), Err(Problem::NotAdmin));
    }
    let admin = |text: &str| from(ADMIN, private(text));
    let tg = |id| UserRef::Key(UserKey::telegram(id));
    check(
        admin("/grant 42 10 good feedback"),
        Ok(Intent::Admin(AdminCommand::Grant {
            user: tg(42),
            credits: 10,
            reason: "good feedback".into(),
        })),
    );
    check(
        admin("/deduct dc:77 3"),
        Ok(Intent::Admin(AdminCommand::Deduct {
            user: UserRef::Key(UserKey::discord(77)),
            credits: 3,
            reason: String::new(),
        })),
    );
    check(
        admin("/plan @alice pro 30"),
        Ok(Intent::Admin(AdminCommand::Plan {
            user: UserRef::Username("alice".into()),
            plan: Some("pro".into()),
            days: Some(30),
        })),
    );
    check(
        admin("/plan 42 default"),
        Ok(Intent::Admin(AdminCommand::Plan {
            user: tg(42),
            plan: None,
            days: None,
        })),
    );
    check(
        Incoming {
            reply_to: Some(RepliedTo {
                author: Some(USER),
                ..RepliedTo::default()
            }),
            ..admin("/ban reply spam")
        },
        Ok(Intent::Admin(AdminCommand::Ban {
            user: UserRef::Key(USER),
            reason: "spam".into(),
        })),
    );
    check(
        admin("/ban reply"),
        Err(Problem::Usage {
            command: "ban",
            reason: UsageError::NoReply,
        }),
    );
    check(
        admin("/unban tg:9"),
        Ok(Intent::Admin(AdminCommand::Unban { user: tg(9) })),
    );
    check(
        admin("/grant 42"),
        Err(Problem::Usage {
            command: "grant",
            reason: UsageError::Missing("N"),
        }),
    );
    check(
        admin("/grant 42 -3"),
        Err(Problem::Usage {
            command: "grant",
            reason: UsageError::Bad {
                arg: "N",
                given: "-3".into(),
            },
        }),
    );
    check(
        admin("/grant xx:1 3"),
        Err(Problem::Usage {
            command: "grant",
            reason: UsageError::Bad {
                arg: "USER",
                given: "xx:1".into(),
            },
        }),
    );
    check(
        admin("/codes mint 5 credits=20 plan=pro days=30 uses=2 expires=7d note=sold to Bob, Nov"),
        Ok(Intent::Admin(AdminCommand::Mint(MintRequest {
            count: 5,
            credits: 20,
            plan: Some("pro".into()),
            plan_days: 30,
            max_uses: 2,
            expires_in: Some(std::time::Duration::from_secs(7 * 86_400)),
            note: "sold to Bob, Nov".into(),
        }))),
    );
    check(
        admin("/codes mint 5"),
        Err(Problem::Usage {
            command: "codes",
            reason: UsageError::Missing("credits=N or plan=NAME"),
        }),
    );
    check(
        admin("/codes mint 5 credits=1 expires=soon"),
        Err(Problem::Usage {
            command: "codes",
            reason: UsageError::Bad {
                arg: "expires",
                given: "soon".into(),
            },
        }),
    );
    check(
        admin("/codes list"),
        Ok(Intent::Admin(AdminCommand::ListCodes)),
    );
    check(
        admin("/codes revoke c7f2"),
        Ok(Intent::Admin(AdminCommand::Revoke { id: "c7f2".into() })),
    );
    check(
        admin("/usage 42"),
        Ok(Intent::Admin(AdminCommand::Usage { user: tg(42) })),
    );
    check(
        admin("/usage top"),
        Ok(Intent::Admin(AdminCommand::Top { days: 7 })),
    );
    check(
        admin("/usage top 30"),
        Ok(Intent::Admin(AdminCommand::Top { days: 30 })),
    );
    check(
        admin("/stats@EaselBot"),
        Ok(Intent::Admin(AdminCommand::Stats)),
    );
    check(
        admin("/stats now"),
        Err(Problem::Usage {
            command: "stats",
            reason: UsageError::Unexpected("now".into()),
        }),
    );
}
