//! The web pages (placeholder until the web foundation is merged).

pub mod play;
