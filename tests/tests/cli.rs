//! The operator's terminal commands end to end. `easel doctor`: each check
//! finds the misconfiguration it claims to, against the fake Telegram and
//! Discord APIs, the shared Redis, a private Redis and temp-dir stores.
//! `easel try`: one request through the real in-process gateway to the fake
//! OpenAI server, with the ledger read before and after.

#[path = "cli/doctor.rs"]
mod doctor;
/// `easel doctor` against a remote gateway on a port.
#[path = "cli/gateway.rs"]
mod gateway;
#[path = "cli/harness.rs"]
mod harness;
#[path = "cli/try_.rs"]
mod try_;
