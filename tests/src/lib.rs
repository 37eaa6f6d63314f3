//! Easel tests: the helpers and fakes shared by the integration tests in `tests/tests/`.
//!
//! - [`ledger`]: builds fresh ledgers of each kind on a manual clock, and the
//!   [`conformance!`] macro that runs one test body against each kind.
//! - [`redis_server`]: a private `redis-server` on a unix socket, for tests
//!   that must stop or restart Redis (the shared one is never touched).
//! - [`redis_cluster`]: a local 3-master Redis Cluster, one per test binary,
//!   for the cluster runs of the ledger and result-store suites.
//! - [`slot`]: Redis Cluster hash slots, to check that scripts stay in one slot.
//! - [`fake_openai`], [`fake_gemini`]: the image providers, speaking their
//!   real wire formats, with scripted faults.
//! - [`fake_telegram`]: the Telegram Bot API for the real teloxide client:
//!   long polling, uploads, downloads, 429s, every call recorded.
//! - [`logs`]: captures what the code under test logs, for assertions.
//! - [`stack`]: a whole in-process gateway over temp-dir stores and the fake
//!   OpenAI server, for end-to-end tests of the frontends.
//! - [`remote`]: the frontend API and a `RemoteGateway` over a stack, for
//!   the frontend suites' remote mode, and a TCP proxy a test can cut.
//! - [`chaos`]: several real `easel-gateway` processes on one Redis, a
//!   frontend-API client that records every outcome, and the audit that
//!   holds those outcomes against the ledger (tests/tests/chaos.rs).
//! - [`fake_discord`]: Discord's REST API for serenity's real client, with
//!   interaction payloads as Discord sends them.

pub mod chaos;
pub mod fake_discord;
pub mod fake_gemini;
pub mod fake_openai;
pub mod fake_telegram;
pub mod ledger;
pub mod logs;
pub mod redis_cluster;
pub mod redis_server;
pub mod remote;
pub mod slot;
pub mod stack;
