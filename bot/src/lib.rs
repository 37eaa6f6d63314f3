//! Easel bot: the platform-free conversation core, the message catalogs,
//! and the chat adapters built on them ([`telegram`], [`discord`]).
#![deny(missing_docs)]

pub mod app;
pub mod core;
pub mod discord;
pub mod i18n;
pub mod telegram;
