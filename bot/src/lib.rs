//! Easel bot: the platform-free conversation core, the message catalogs,
//! and the chat adapters built on them (Telegram in [`telegram`]; Discord to come).
#![deny(missing_docs)]

pub mod app;
pub mod core;
pub mod i18n;
pub mod telegram;
