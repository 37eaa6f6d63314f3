//! The conversation's own texts: help and start, replies to problems and
//! small commands, progress, button labels, and result captions.

use easel_shared::QuotaStatus;
use easel_shared::flags::{Flag, FlagError};
use easel_shared::render::{Background, OutputFormat, Quality, RenderOptions, Shape};
use unicode_segmentation::UnicodeSegmentation;

use super::quota::quota_line;
use crate::core::command::Command;
use crate::core::intent::{Problem, UsageError};
use crate::i18n::{Locale, t, tr};

/// How many characters of the prompt a result caption shows.
pub const CAPTION_PROMPT_CHARS: usize = 200;

/// The first `max` user-perceived characters of `text`, with `…` if cut.
/// Cuts only between grapheme clusters, so it never splits a multi-byte
/// character, an emoji sequence or a combining mark.
pub fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    let mut graphemes = text.grapheme_indices(true);
    match graphemes.nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
    }
}

/// A result's caption: the prompt excerpt and the quota left.
pub fn result_caption(locale: Locale, prompt: &str, status: Option<&QuotaStatus>) -> String {
    let prompt = excerpt(prompt, CAPTION_PROMPT_CHARS);
    match status
        .map(|s| quota_line(locale, s))
        .filter(|q| !q.is_empty())
    {
        Some(quota) => format!("{prompt}\n\n{quota}"),
        None => prompt,
    }
}

/// The answer to /start.
pub fn start(locale: Locale) -> String {
    format!("{}\n\n{}", t(locale, "start"), help(locale, false))
}

/// The answer to /help: every command with a line of explanation, the
/// flags, and for admins the admin commands.
pub fn help(locale: Locale, admin: bool) -> String {
    let mut lines = vec![t(locale, "help-intro"), String::new()];
    lines.extend(Command::USER.iter().map(|c| command_line(locale, *c)));
    lines.push(String::new());
    lines.push(t(locale, "help-flags"));
    lines.extend(
        Flag::ALL
            .iter()
            .map(|f| format!("  {} {}", f.name(), flag_allowed(locale, *f))),
    );
    if admin {
        lines.push(String::new());
        lines.push(t(locale, "help-admin"));
        lines.extend(Command::ADMIN.iter().map(|c| command_line(locale, *c)));
    }
    lines.join("\n")
}

fn command_line(locale: Locale, cmd: Command) -> String {
    let usage = t(locale, &format!("usage-{}", cmd.name()));
    let what = t(locale, &format!("help-cmd-{}", cmd.name()));
    format!("{usage} — {what}")
}

/// The reply to a problem with a message addressed to the bot.
pub fn problem(locale: Locale, problem: &Problem) -> String {
    match problem {
        Problem::UnknownCommand { command } => {
            let list = Command::USER
                .iter()
                .map(|c| format!("/{}", c.name()))
                .collect::<Vec<_>>()
                .join(" ");
            tr(
                locale,
                "problem-unknown-command",
                &[
                    ("command", command.as_str().into()),
                    ("commands", list.into()),
                ],
            )
        }
        Problem::EmptyPrompt => t(locale, "problem-empty-prompt"),
        Problem::BadFlag(err) => flag_error(locale, err),
        Problem::NotAdmin => t(locale, "problem-not-admin"),
        Problem::Usage { command, reason } => {
            let usage = t(locale, &format!("usage-{command}"));
            let (id, arg, given) = match reason {
                UsageError::Missing(arg) => ("problem-usage-missing", *arg, ""),
                UsageError::Bad { arg, given } => ("problem-usage-bad", *arg, given.as_str()),
                UsageError::Unexpected(given) => ("problem-usage-extra", "", given.as_str()),
                UsageError::NoReply => ("problem-usage-no-reply", "USER", ""),
            };
            tr(
                locale,
                id,
                &[
                    ("command", (*command).into()),
                    ("arg", arg.into()),
                    ("given", given.into()),
                    ("usage", usage.into()),
                ],
            )
        }
    }
}

/// A flag error, naming the flag and what it accepts.
pub fn flag_error(locale: Locale, err: &FlagError) -> String {
    match err {
        FlagError::Unknown { flag } => {
            let known = Flag::ALL.map(Flag::name).join(" ");
            tr(
                locale,
                "problem-flag-unknown",
                &[("flag", flag.as_str().into()), ("flags", known.into())],
            )
        }
        FlagError::MissingValue { flag } => tr(
            locale,
            "problem-flag-missing",
            &[
                ("flag", flag.name().into()),
                ("allowed", flag_allowed(locale, *flag).into()),
            ],
        ),
        FlagError::BadValue { flag, value } => tr(
            locale,
            "problem-flag-bad",
            &[
                ("flag", flag.name().into()),
                ("value", value.as_str().into()),
                ("allowed", flag_allowed(locale, *flag).into()),
            ],
        ),
    }
}

/// What a flag accepts, in the user's language.
pub fn flag_allowed(locale: Locale, flag: Flag) -> String {
    t(
        locale,
        match flag {
            Flag::Aspect => "flag-ar",
            Flag::Size => "flag-size",
            Flag::Quality => "flag-q",
            Flag::N => "flag-n",
            Flag::Background => "flag-bg",
            Flag::Format => "flag-fmt",
        },
    )
}

/// Options written as the flags that would set them: `--ar 16:9 --q high --n 1`.
pub fn options_as_flags(o: &RenderOptions) -> String {
    let shape = match o.shape {
        Shape::Auto => "auto".to_owned(),
        Shape::Aspect { w, h } => format!("{w}:{h}"),
        Shape::Exact { width, height } => format!("{width}x{height}"),
    };
    let quality = match o.quality {
        Quality::Auto => "auto",
        Quality::Low => "low",
        Quality::Medium => "medium",
        Quality::High => "high",
    };
    let bg = match o.background {
        Background::Auto => "auto",
        Background::Transparent => "transparent",
        Background::Opaque => "opaque",
    };
    let fmt = match o.format {
        OutputFormat::Png => "png",
        OutputFormat::Jpeg => "jpeg",
        OutputFormat::Webp => "webp",
    };
    let shape_flag = if matches!(o.shape, Shape::Exact { .. }) {
        "--size"
    } else {
        "--ar"
    };
    format!(
        "{shape_flag} {shape} --q {quality} --n {} --bg {bg} --fmt {fmt}",
        o.n
    )
}

/// The answer to /settings (show, or after a change).
pub fn settings(locale: Locale, defaults: &RenderOptions, changed: bool) -> String {
    let id = if changed {
        "settings-saved"
    } else {
        "settings-show"
    };
    let head = tr(
        locale,
        id,
        &[("options", options_as_flags(defaults).into())],
    );
    format!("{head}\n{}", t(locale, "settings-hint"))
}

/// The answer to `/lang`, in the newly chosen language.
pub fn lang_set(locale: Locale) -> String {
    t(locale, "lang-set")
}

/// The answer to /forget: a question first, then the confirmation.
pub fn forget(locale: Locale, confirmed: bool) -> String {
    t(
        locale,
        if confirmed {
            "forget-done"
        } else {
            "forget-ask"
        },
    )
}

/// Asks what to change about an image or result (reply to this message).
pub fn ask_change(locale: Locale) -> String {
    t(locale, "ask-change")
}

/// Progress while queued: position and elapsed time.
pub fn progress_queued(locale: Locale, position: u32, elapsed_ms: i64) -> String {
    tr(
        locale,
        "progress-queued",
        &[
            ("position", position.into()),
            ("elapsed", super::time::duration(locale, elapsed_ms).into()),
        ],
    )
}

/// Progress while the model works.
pub fn progress_running(locale: Locale, elapsed_ms: i64) -> String {
    tr(
        locale,
        "progress-running",
        &[("elapsed", super::time::duration(locale, elapsed_ms).into())],
    )
}

/// A job cancelled by its Cancel button (refunded).
pub fn cancelled(locale: Locale) -> String {
    t(locale, "progress-cancelled")
}

/// A button's label in the user's language.
pub fn button(locale: Locale, kind: ButtonKind) -> String {
    t(locale, kind.message_id())
}

/// The buttons under results and progress messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonKind {
    /// Same request again.
    Again,
    /// A close variation.
    Vary,
    /// Ask what to change.
    Edit,
    /// The untouched provider file.
    Original,
    /// Cancel a queued job.
    Cancel,
}

impl ButtonKind {
    /// Every button, for catalog tests.
    pub const ALL: [ButtonKind; 5] = [
        ButtonKind::Again,
        ButtonKind::Vary,
        ButtonKind::Edit,
        ButtonKind::Original,
        ButtonKind::Cancel,
    ];

    fn message_id(self) -> &'static str {
        match self {
            ButtonKind::Again => "button-again",
            ButtonKind::Vary => "button-vary",
            ButtonKind::Edit => "button-edit",
            ButtonKind::Original => "button-original",
            ButtonKind::Cancel => "button-cancel",
        }
    }
}

/// Our own fault: a generic apology with the request id for the logs.
pub fn internal_error(locale: Locale, request_id: &str) -> String {
    tr(locale, "error-internal", &[("id", request_id.into())])
}

/// The ledger or gateway cannot be reached (fail closed).
pub fn unavailable(locale: Locale) -> String {
    t(locale, "error-unavailable")
}

/// Too many large uploads are being decoded: send again shortly (nothing charged).
pub fn busy(locale: Locale) -> String {
    t(locale, "error-busy")
}
