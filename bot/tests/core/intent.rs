//! Intent parsing: private, group, replies, buttons and user commands.
//! Each case is one `check` row.

use super::util::*;
use easel_bot::core::{
    Action, ChangeTarget, Incoming, Intent, Problem, RepliedTo, SettingsChange, UsageError,
};
use easel_bot::i18n::Locale;
use easel_shared::RequestId;
use easel_shared::flags::{Flag, FlagError, FlagSet};
use easel_shared::render::{Quality, Shape};

#[test]
fn private_chat_requests() {
    check(private("a red fox"), generate("a red fox"));
    // A long Chinese prompt reaches the request whole, byte for byte.
    let long: String = "一只穿着宇航服的橘猫在月球上弹吉他，"
        .chars()
        .cycle()
        .take(1_500)
        .collect();
    check(private(&long), generate(&long));
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
    check(
        group("draw @easelbot a  red fox"),
        generate("draw a  red fox"),
    );
    check(group("画@EaselBot 一只猫"), generate("画 一只猫"));
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
fn apikey_commands() {
    use easel_bot::core::ApiKeyAction;
    check(private("/apikey"), Ok(Intent::ApiKey(ApiKeyAction::List)));
    check(
        private("/apikey list"),
        Ok(Intent::ApiKey(ApiKeyAction::List)),
    );
    check(
        private("/apikey CREATE"),
        Ok(Intent::ApiKey(ApiKeyAction::Create)),
    );
    check(
        private("/apikey revoke easel-sk-AbCd1234"),
        Ok(Intent::ApiKey(ApiKeyAction::Revoke {
            prefix: "easel-sk-AbCd1234".into(),
        })),
    );
    check(
        private("/apikey revoke"),
        Err(Problem::Usage {
            command: "apikey",
            reason: UsageError::Missing("PREFIX"),
        }),
    );
    check(
        private("/apikey steal"),
        Err(Problem::Usage {
            command: "apikey",
            reason: UsageError::Bad {
                arg: "create|list|revoke",
                given: "steal".into(),
            },
        }),
    );
    check(
        private("/apikey create now"),
        Err(Problem::Usage {
            command: "apikey",
            reason: UsageError::Unexpected("now".into()),
        }),
    );
}
