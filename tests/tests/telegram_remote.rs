//! The Telegram suite (`telegram.rs`, every scenario) in remote mode: the
//! bot reaches the gateway through the frontend API and a `RemoteGateway`
//! (the harness picks the mode from this binary's name), plus what only
//! remote mode has (`telegram/remote_only.rs`: a dead gateway).

#[path = "telegram.rs"]
mod suite;

#[path = "telegram/remote_only.rs"]
mod remote_only;
