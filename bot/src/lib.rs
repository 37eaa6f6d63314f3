//! Easel bot: the platform-free conversation core, the message catalogs,
//! the chat adapters built on them ([`telegram`], [`discord`]) and the
//! operator's terminal commands ([`cli`]).
#![deny(missing_docs)]

pub mod app;
pub mod cli;
pub mod core;
pub mod discord;
pub mod i18n;
pub mod supervise;
pub mod telegram;
pub mod web;
