//! Every admin-API error leaves as `{"error": {"code", "message"}}` with the
//! right status: what the extractors refuse, what the router answers on its
//! own, and what the body limit refuses before any handler runs. None of
//! them changes anything.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use axum::{Router, middleware};
use easel_gateway::http::app;
use easel_gateway::http::error_shape::json_errors;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{Api, TOKEN};

/// What came back: status, content type, JSON body (Null if not JSON), and
/// the `Allow` header.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
    allow: Option<String>,
}

impl Answer {
    /// Asserts the one error shape with exactly `code`, and a message.
    fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/json", "{}", self.body);
        let error = self.body["error"].as_object().expect("an error object");
        assert_eq!(error.len(), 2, "only code and message: {}", self.body);
        assert_eq!(error["code"], code, "{}", self.body);
        let message = error["message"].as_str().expect("a message");
        assert!(!message.is_empty());
        assert!(!message.contains(TOKEN));
        assert_eq!(self.body.as_object().unwrap().len(), 1, "{}", self.body);
    }
}

async fn send(router: Router, req: Request<Body>) -> Answer {
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let header_text = |name| {
        res.headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default();
    let allow = header_text(header::ALLOW);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        body,
        allow,
    }
}

impl Api {
    /// A request with a raw body and the content type given (none if `None`).
    async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Body,
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {TOKEN}"));
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        send(app(self.state.clone()), req.body(body).unwrap()).await
    }

    async fn credits_of(&self, user: &str) -> u64 {
        let (_, status) = self
            .admin("GET", &format!("/admin/v1/users/{user}"), None)
            .await;
        status["credits"].as_u64().unwrap()
    }
}

const CREDITS: &str = "/admin/v1/users/tg:7/credits";
const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn bad_bodies_are_refused_in_the_json_shape_and_change_nothing() {
    let api = Api::new(TOKEN);
    let syntax = api
        .raw("POST", CREDITS, JSON, Body::from("{\"delta\": 5,"))
        .await;
    syntax.assert_error(StatusCode::BAD_REQUEST, "invalid_json");

    let missing = api
        .raw("POST", CREDITS, JSON, Body::from("{\"reason\": \"x\"}"))
        .await;
    missing.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let message = missing.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("delta"), "names the field: {message}");

    let typed = api
        .raw("POST", CREDITS, JSON, Body::from("{\"delta\": \"5\"}"))
        .await;
    typed.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");

    let untyped = api
        .raw("POST", CREDITS, None, Body::from("{\"delta\": 5}"))
        .await;
    untyped.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let text = api
        .raw(
            "POST",
            CREDITS,
            Some("text/plain"),
            Body::from("{\"delta\": 5}"),
        )
        .await;
    text.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    assert_eq!(api.credits_of("tg:7").await, 0, "nothing was granted");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_json_413_whether_its_length_is_declared_or_streamed() {
    let api = Api::new(TOKEN);
    // A valid grant padded past the 64 KiB limit: refused for its size alone.
    let big = json!({"delta": 5, "reason": "x".repeat(70 * 1024)}).to_string();

    let declared = api
        .raw("POST", CREDITS, JSON, Body::from(big.clone()))
        .await;
    declared.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Chunked, no Content-Length: the limit trips while the body is read.
    let chunks: Vec<Result<String, std::io::Error>> = big
        .as_bytes()
        .chunks(8 * 1024)
        .map(|c| Ok(String::from_utf8(c.to_vec()).unwrap()))
        .collect();
    let streamed = api
        .raw(
            "POST",
            CREDITS,
            JSON,
            Body::from_stream(futures::stream::iter(chunks)),
        )
        .await;
    streamed.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    assert_eq!(api.credits_of("tg:7").await, 0, "nothing was granted");
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_bad_queries_answer_in_the_json_shape() {
    let api = Api::new(TOKEN);
    let unknown = api
        .raw("GET", "/admin/v1/nosuch", None, Body::empty())
        .await;
    unknown.assert_error(StatusCode::NOT_FOUND, "route_not_found");
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/admin/v1/nosuch")
    );
    let outside = api.raw("POST", "/nowhere", JSON, Body::from("{}")).await;
    outside.assert_error(StatusCode::NOT_FOUND, "route_not_found");

    let method = api
        .raw("PATCH", "/admin/v1/spend", None, Body::empty())
        .await;
    method.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let allow = method.allow.expect("405 keeps its Allow header");
    assert!(allow.contains("GET"), "{allow}");

    let query = api
        .raw("GET", "/admin/v1/audit?limit=many", None, Body::empty())
        .await;
    query.assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    let negative = api
        .raw("GET", "/admin/v1/top?days=-1", None, Body::empty())
        .await;
    negative.assert_error(StatusCode::BAD_REQUEST, "invalid_query");

    let key = api
        .raw("GET", "/admin/v1/users/nobody", None, Body::empty())
        .await;
    key.assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn a_caller_without_the_token_learns_nothing_from_a_bad_body() {
    let api = Api::new(TOKEN);
    let req = Request::builder()
        .method("POST")
        .uri(CREDITS)
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let answer = send(app(api.state.clone()), req).await;
    answer.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn the_layer_rewrites_plain_text_errors_but_leaves_v1_and_json_alone() {
    let router = Router::new()
        .route("/plain", get(|| async { (StatusCode::CONFLICT, "taken") }))
        .route(
            "/v1/plain",
            get(|| async { (StatusCode::CONFLICT, "taken") }),
        )
        .route(
            "/fine",
            get(|| async { (StatusCode::OK, "plain text success") }),
        )
        .layer(middleware::from_fn(json_errors));
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();

    let plain = send(router.clone(), get("/plain")).await;
    plain.assert_error(StatusCode::CONFLICT, "request_refused");
    assert_eq!(plain.body["error"]["message"], "taken");

    // /v1 answers in OpenAI's error shape, its own: untouched.
    let v1 = send(router.clone(), get("/v1/plain")).await;
    assert_eq!(v1.status, StatusCode::CONFLICT);
    assert!(
        v1.content_type.starts_with("text/plain"),
        "{}",
        v1.content_type
    );

    let fine = send(router, get("/fine")).await;
    assert_eq!(fine.status, StatusCode::OK);
    assert!(fine.content_type.starts_with("text/plain"));
}

/// Regressions from schemathesis (docs/bench/schemathesis.md): a grant near
/// `i64::MAX` overflowed the ledger's script (503), and query values outside
/// the documented ranges were silently clamped.
#[tokio::test]
async fn values_outside_the_documented_ranges_are_refused_before_the_ledger() {
    let api = Api::new(TOKEN);
    let huge = json!({"delta": 9_223_372_036_854_775_806_i64});
    let answer = api
        .raw("POST", CREDITS, JSON, Body::from(huge.to_string()))
        .await;
    answer.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let limit = json!({"delta": 1_000_000_000});
    let answer = api
        .raw("POST", CREDITS, JSON, Body::from(limit.to_string()))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(api.credits_of("tg:7").await, 1_000_000_000);

    for query in [
        "/admin/v1/top?days=32",
        "/admin/v1/top?days=0",
        "/admin/v1/audit?limit=1001",
    ] {
        let answer = api.raw("GET", query, None, Body::empty()).await;
        answer.assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    }
    let answer = api
        .raw(
            "GET",
            "/admin/v1/top?days=31&limit=1000",
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}
