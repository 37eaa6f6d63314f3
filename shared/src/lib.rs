//! Easel's vocabulary, shared by the gateway and the chat frontends.
//!
//! Serde types only, no I/O: this crate is also the wire format between a
//! bot and a standalone gateway. Invariant: nothing here touches the network,
//! the disk or a clock.
#![deny(missing_docs)]

pub mod admin;
pub mod apikey;
pub mod config;
pub mod date;
pub mod flags;
pub mod ids;
pub mod job;
pub mod notice;
#[cfg(feature = "openapi")]
mod openapi;
pub mod quota;
pub mod render;
pub mod request;
pub mod results;
pub mod secret;
pub mod weblink;

pub use ids::{Platform, RequestId, UnixMillis, UserKey};
pub use quota::{Denial, QuotaStatus, Refusal, WindowStatus};
