//! Operations: what an operator watches and how the process behaves around
//! outages and restarts. Time moves by the manual clock; the platforms,
//! the image provider and nothing else are faked.

/// `/metrics`: the series each recording point feeds, and its token.
#[path = "ops/metrics.rs"]
mod metrics;

/// `/readyz`: each check listed, 200 only when all pass.
#[path = "ops/readyz.rs"]
mod readyz;

/// Graceful shutdown: refuse new work, refund the queue, drain within the grace.
#[path = "ops/drain.rs"]
mod drain;

/// A platform down at start-up is retried while the rest serves; a rejected
/// token is final.
#[path = "ops/platforms.rs"]
mod platforms;

use easel_shared::render::RenderOptions;
use easel_shared::request::Request;
use easel_shared::{RequestId, UserKey};

/// A plain one-image request of `user` with id `id`.
fn request(id: &str, user: UserKey) -> Request {
    Request {
        id: RequestId::new(id).unwrap(),
        user,
        prompt: "a lighthouse at dusk".into(),
        options: RenderOptions::default(),
        inputs: Vec::new(),
        parent: None,
        mask: None,
    }
}

/// A port nothing listens on right now (bound, then released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
