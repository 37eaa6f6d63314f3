//! The OpenAI-compatible `/v1` Images API end to end: the real router over a
//! real gateway (`Stack`: embedded stores, the strict fake OpenAI upstream,
//! a manual clock), authenticated by per-user API keys from the ledger.
//! Every error shape is asserted here (`errors`); `python` runs the official
//! `openai` SDK against a listening server.

/// `/apikey` from chat through the core and the port, used on `/v1`.
#[path = "openai_api/chat.rs"]
mod chat;
/// Each error in OpenAI's shape and status: keys, fields, images, quota.
#[path = "openai_api/errors.rs"]
mod errors;
/// `output_compression`, `moderation`, `input_fidelity` reach the upstream.
#[path = "openai_api/passthrough.rs"]
mod passthrough;
/// The official `openai` Python package as a real client.
#[path = "openai_api/python.rs"]
mod python;
/// Success paths through `oneshot`: generate, edit, stream, models, the document.
#[path = "openai_api/success.rs"]
mod success;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use easel_gateway::http::{AppState, app};
use easel_shared::admin::Actor;
use easel_shared::config::{Config, WindowConfig};
use easel_shared::{Platform, UserKey};
use easel_tests::stack::Stack;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Credits per 3 h window of the test plan.
pub(crate) const LIMIT: u32 = 6;

/// A gateway, its `/v1` router, and a user with a key.
pub(crate) struct V1 {
    pub(crate) stack: Stack,
    pub(crate) state: AppState,
    pub(crate) user: UserKey,
    pub(crate) key: String,
}

/// The test plan: one 3 h window of [`LIMIT`] credits, no burst limiter,
/// two streamed partial images from the upstream.
pub(crate) fn tune(config: &mut Config) {
    for plan in config.plans.values_mut() {
        plan.windows = vec![WindowConfig {
            limit: LIMIT,
            period: Duration::from_secs(3 * 3600),
        }];
        plan.burst = None;
        plan.max_in_flight = 0;
        plan.max_n = 10;
    }
    for backend in &mut config.backends.chain {
        backend.partial_images = 2;
    }
}

impl V1 {
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// [`V1::start`] with more config over the test plan's.
    pub(crate) async fn start_with(more: impl FnOnce(&mut Config)) -> Self {
        let stack = Stack::start(|c| {
            tune(c);
            more(c);
        })
        .await;
        let state = AppState {
            ledger: stack.gateway.ledger(),
            config: stack.config.clone(),
            config_path: None,
            gateway: Some(stack.gateway.clone()),
        };
        let user = UserKey {
            platform: Platform::Telegram,
            id: 4242,
        };
        let key = state
            .ledger
            .create_api_key(user, Actor::Api)
            .await
            .expect("create a key")
            .key
            .expose()
            .to_owned();
        Self {
            stack,
            state,
            user,
            key,
        }
    }

    /// Window credits the user has used, as chat's `/quota` reads them.
    pub(crate) async fn used(&self) -> u32 {
        use easel_gateway::service::Gateway;
        let status = self.stack.gateway.quota(self.user).await.expect("quota");
        status.windows[0].used
    }

    /// Sends one request through the router.
    pub(crate) async fn send(&self, req: Request<Body>) -> Reply {
        let res = app(self.state.clone()).oneshot(req).await.expect("router");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            headers,
            body: bytes.to_vec(),
        }
    }

    /// `POST path` with a JSON body and `key` (None: no header).
    pub(crate) async fn post_json(&self, path: &str, key: Option<&str>, body: &str) -> Reply {
        let mut req = Request::post(path).header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        self.send(req.body(Body::from(body.to_owned())).expect("request"))
            .await
    }

    /// `POST /v1/images/edits` with `parts` as (name, filename or None, bytes).
    pub(crate) async fn post_form(&self, parts: &[(&str, Option<&str>, Vec<u8>)]) -> Reply {
        let boundary = "easel-test-boundary";
        let mut body = Vec::new();
        for (name, file, bytes) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some(f) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::post("/v1/images/edits")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("authorization", format!("Bearer {}", self.key))
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }
}

/// A response, read whole.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts OpenAI's error shape and returns `(type, code, param)`.
    pub(crate) fn error(&self) -> (String, Option<String>, Option<String>) {
        let body = self.json();
        let err = body["error"].as_object().expect("an `error` object");
        let keys: Vec<&str> = err.keys().map(String::as_str).collect();
        for field in ["message", "type", "param", "code"] {
            assert!(keys.contains(&field), "missing {field} in {body}");
        }
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        let text = |v: &Value| v.as_str().map(str::to_owned);
        (
            text(&err["type"]).expect("type is a string"),
            text(&err["code"]),
            text(&err["param"]),
        )
    }
}

/// A small valid PNG (from the fake's fixtures).
pub(crate) fn png(seed: u8) -> Vec<u8> {
    easel_tests::fake_openai::known_png(seed).to_vec()
}
