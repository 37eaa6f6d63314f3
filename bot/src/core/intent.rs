//! What the user wants (`Intent`) or why the core cannot tell (`Problem`).
//! The adapter acts on the intent; every problem gets a reply in the user's
//! language (see `render::problem`).

use easel_shared::RequestId;
use easel_shared::flags::{FlagError, FlagSet};

use super::admin::AdminCommand;
use super::message::{ImageRef, ResultId};
use crate::i18n::Locale;

/// The outcome of reading one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Make new images from text.
    Generate {
        /// The prompt, flags taken out.
        prompt: String,
        /// Options said in the text; apply them over the user's defaults.
        flags: FlagSet,
    },
    /// Change the given images as the prompt says.
    Edit {
        /// What to change.
        prompt: String,
        /// Options said in the text; apply them over the user's defaults.
        flags: FlagSet,
        /// The images, in the order the user sent them (own first, then the
        /// replied-to message's).
        inputs: Vec<ImageRef>,
    },
    /// Change one of the bot's results (a reply to it).
    Refine {
        /// The result to start from (its stored original is the input).
        result: ResultId,
        /// What to change.
        prompt: String,
        /// Options said in the text; apply them over the parent result's options.
        flags: FlagSet,
        /// Images the user attached to the reply, as further inputs.
        extra_inputs: Vec<ImageRef>,
    },
    /// Ask the user what to change. State-free: the question itself carries
    /// the target, so the user's reply to it is read like any other reply.
    /// For images, the question re-shows them (Telegram: by `file_id`, no
    /// upload); for a result, the adapter records the question message as
    /// showing that result, so the reply refines it.
    AskChange(ChangeTarget),
    /// The same request as a result once more.
    Again {
        /// The result whose request to repeat.
        result: ResultId,
    },
    /// A close variation of a result.
    Vary {
        /// The result to vary.
        result: ResultId,
    },
    /// Send a result's untouched provider file.
    Original {
        /// The result.
        result: ResultId,
    },
    /// Cancel a queued job.
    Cancel {
        /// The job.
        job: RequestId,
    },
    /// Show the user's quota.
    Quota,
    /// Redeem an access code.
    Redeem {
        /// The code as typed (the ledger normalises it).
        code: String,
    },
    /// Show or change the user's default options.
    Settings(SettingsChange),
    /// Set the user's language.
    Lang(Locale),
    /// Delete the user's stored prompts and images.
    Forget {
        /// False: ask first (`/forget confirm` does it).
        confirmed: bool,
    },
    /// Create, list or revoke the user's keys of the OpenAI-compatible API
    /// (answered privately: a new key's secret is in the answer).
    ApiKey(ApiKeyAction),
    /// A one-time sign-in link to the web pages (answered privately: the
    /// link signs its holder in as this user).
    WebLink,
    /// Show the help text.
    Help {
        /// Whether to list the admin commands too.
        admin: bool,
    },
    /// The first contact (`/start`).
    Start,
    /// An admin command from a configured admin.
    Admin(AdminCommand),
    /// Not addressed to the bot (a group message): stay silent.
    Ignore,
}

/// What `AskChange` asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeTarget {
    /// One of the bot's results (the Edit button).
    Result(ResultId),
    /// Images sent without a caption.
    Images(Vec<ImageRef>),
}

/// What `/apikey` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeyAction {
    /// A new key, shown once.
    Create,
    /// The user's keys by visible prefix and date.
    List,
    /// Revoke the key with this visible prefix (as typed; the gateway
    /// normalises it).
    Revoke {
        /// The prefix, e.g. `easel-sk-AbCd1234`.
        prefix: String,
    },
}

/// `/settings` with or without arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsChange {
    /// Show the current defaults.
    Show,
    /// Set these defaults (what is not said stays).
    Set(FlagSet),
    /// Back to the deployment's defaults.
    Reset,
}

/// A command the core knows, by its canonical name (for usage texts).
pub type CommandName = &'static str;

/// Why a message addressed to the bot cannot be acted on. Each has a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// `/foo`: not a command; the reply lists the commands.
    #[error("unknown command /{command}")]
    UnknownCommand {
        /// The command as typed, without the slash.
        command: String,
    },
    /// Nothing left to draw after the command and flags.
    #[error("empty prompt")]
    EmptyPrompt,
    /// A flag the parser refused.
    #[error(transparent)]
    BadFlag(#[from] FlagError),
    /// An admin command from someone not in `access.admins`.
    #[error("not an admin")]
    NotAdmin,
    /// A command's arguments do not fit; the reply shows its usage.
    #[error("/{command}: {reason}")]
    Usage {
        /// The command, e.g. `grant`.
        command: CommandName,
        /// What is wrong.
        reason: UsageError,
    },
}

/// What is wrong with a command's arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// A required argument is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// An argument has the wrong form.
    #[error("bad {arg}: {given}")]
    Bad {
        /// The argument's name in the usage text, e.g. `N`.
        arg: &'static str,
        /// What was given.
        given: String,
    },
    /// Arguments left over after the last one the command takes.
    #[error("unexpected {0}")]
    Unexpected(String),
    /// `reply` names a user, but the message replies to no one.
    #[error("`reply` needs a reply to the user's message")]
    NoReply,
}
