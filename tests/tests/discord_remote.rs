//! The Discord suite (`discord.rs`, every scenario) in remote mode: the
//! adapter reaches the gateway through the frontend API and a
//! `RemoteGateway` (the harness picks the mode from this binary's name).

#[path = "discord.rs"]
mod suite;
