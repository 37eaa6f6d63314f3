//! Tests of the conversation core, one binary (links once).

/// Intent parsing for admin commands.
mod admin;
/// The request builder against the real in-process gateway, per intent kind.
mod build;
/// Catalog parity: same keys and placeables in every language.
mod catalogs;
/// Intent parsing for users: private, group, replies, buttons, commands.
mod intent;
/// Quota, denial and redemption texts.
mod render_quota;
/// Admin replies, excerpts, help and problem texts.
mod render_text;
/// Builders and fixtures shared by the modules above.
mod util;
