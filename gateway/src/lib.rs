//! Easel's gateway: everything between a user's request and the image model.
//!
//! Admission (plan policy, the in-process burst limiter, the quota
//! [`ledger`]), the job runner, image backends and the HTTP API. Used
//! in-process by the bot binary (embedded mode) or run standalone.
//!
//! Invariant: the gateway never talks to a chat platform.

pub mod admission;
pub mod backend;
pub mod digest;
pub mod http;
pub mod imaging;
pub mod ledger;
pub mod metrics;
pub mod notices;
pub mod process;
pub mod readiness;
pub mod redis_link;
pub mod reports;
pub mod results;
pub mod runner;
pub mod server;
pub mod service;
pub mod settings;
