//! Easel bot: the platform-free conversation core, the message catalogs,
//! and the Discord adapter built on them (Telegram to come).
#![deny(missing_docs)]

pub mod core;
pub mod discord;
pub mod i18n;
