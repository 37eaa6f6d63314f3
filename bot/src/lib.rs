//! Easel bot: the platform-free conversation core, the message catalogs,
//! and (to come) the Telegram and Discord adapters built on them.
#![deny(missing_docs)]

pub mod core;
pub mod i18n;
pub mod telegram;
