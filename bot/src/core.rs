//! The conversation core: platform-free. An adapter turns a platform update
//! into an [`Incoming`] message, calls [`interpret`] and acts on the
//! [`Intent`] (or replies to the [`Problem`]); [`render`] makes every text
//! the user reads. No teloxide or serenity type appears here, so Telegram,
//! Discord and tests share one copy of the logic.

pub mod act;
pub mod admin;
pub mod admit;
pub mod apikey;
pub mod build;
pub mod command;
pub mod intent;
pub mod interpret;
pub mod message;
pub mod notify;
pub mod privacy;
pub mod render;
pub mod request;
pub mod weblink;

pub use admin::{AdminCommand, MintRequest, UserRef};
pub use command::{AdminVerb, Command};
pub use intent::{ApiKeyAction, ChangeTarget, Intent, Problem, SettingsChange, UsageError};
pub use interpret::{Context, interpret, is_admin};
pub use message::{Action, Chat, ChatKind, ImageRef, Incoming, RepliedTo, ResultId};
