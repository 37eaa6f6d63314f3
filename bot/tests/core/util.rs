//! Shared helpers: message builders for intent tests, a fixed clock and
//! quota fixtures for render tests, and the completeness check for texts.

use easel_bot::core::{
    Chat, ChatKind, Context, ImageRef, Incoming, Intent, Problem, RepliedTo, ResultId, interpret,
};
use easel_bot::i18n::Locale;
use easel_shared::flags::FlagSet;
use easel_shared::{QuotaStatus, UnixMillis, UserKey, WindowStatus};

pub(crate) const ADMIN: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 1,
};
pub(crate) const USER: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 2,
};

pub(crate) fn ctx() -> Context<'static> {
    Context {
        bot_username: "EaselBot",
        admins: std::slice::from_ref(&ADMIN),
    }
}

pub(crate) fn private(text: &str) -> Incoming {
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

pub(crate) fn group(text: &str) -> Incoming {
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

pub(crate) fn from(user: UserKey, msg: Incoming) -> Incoming {
    Incoming { user, ..msg }
}

pub(crate) fn img(h: &str) -> ImageRef {
    ImageRef::new(h)
}

pub(crate) fn result(id: &str) -> ResultId {
    ResultId(id.to_owned())
}

pub(crate) fn reply_to_result(id: &str) -> Option<RepliedTo> {
    Some(RepliedTo {
        from_bot: true,
        result: Some(result(id)),
        images: vec![img("res")],
        author: None,
    })
}

pub(crate) fn generate(prompt: &str) -> Result<Intent, Problem> {
    Ok(Intent::Generate {
        prompt: prompt.to_owned(),
        flags: FlagSet::default(),
    })
}

pub(crate) fn check(msg: Incoming, expected: Result<Intent, Problem>) {
    assert_eq!(interpret(&msg, &ctx()), expected, "{msg:#?}");
}

pub(crate) const MIN: i64 = 60_000;
pub(crate) const NOW: UnixMillis = UnixMillis(1_764_162_300_000); // 2025-11-26 13:05 UTC

/// No unfilled placeable and no bare message id in a rendered text.
pub(crate) fn assert_complete(text: &str) {
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

pub(crate) fn status(used: u32) -> QuotaStatus {
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
