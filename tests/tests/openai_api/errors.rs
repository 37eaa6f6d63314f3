//! Every `/v1` refusal in OpenAI's shape `{"error": {message, type, param,
//! code}}` with OpenAI's status, and nothing charged for any of them.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use easel_gateway::http::AppState;
use easel_shared::admin::Actor;

use super::{LIMIT, V1, png};

const GEN: &str = "/v1/images/generations";

#[tokio::test]
async fn missing_wrong_and_revoked_keys_are_401_invalid_api_key() {
    let v1 = V1::start().await;
    let minted = v1
        .state
        .ledger
        .create_api_key(v1.user, Actor::Api)
        .await
        .expect("create");
    let revoked = minted.key.expose().to_owned();
    assert!(
        v1.state
            .ledger
            .revoke_api_key(v1.user, &minted.prefix, Actor::Api)
            .await
            .expect("revoke")
    );
    let mut wrong = v1.key.clone();
    wrong.replace_range(wrong.len() - 4.., "zzzz");
    let body = r#"{"prompt":"a cat"}"#;
    for key in [
        None,
        Some(""),
        Some(wrong.as_str()),
        Some(revoked.as_str()),
        Some("sk-proj-foreign"),
    ] {
        let reply = v1.post_json(GEN, key, body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{key:?}: {}",
            reply.text()
        );
        let (kind, code, param) = reply.error();
        assert_eq!(kind, "invalid_request_error");
        assert_eq!(code.as_deref(), Some("invalid_api_key"));
        assert_eq!(param, None);
        // The presented secret is never echoed back.
        if let Some(k) = key.filter(|k| k.len() > 12) {
            assert!(!reply.text().contains(k), "{}", reply.text());
        }
    }
    // /v1/models needs a key too.
    let req = Request::get("/v1/models")
        .body(Body::empty())
        .expect("request");
    assert_eq!(v1.send(req).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(v1.used().await, 0);
    assert!(
        v1.stack.openai.requests().is_empty(),
        "nothing went upstream"
    );
}

/// On Redis the gateway remembers a key's owner after its first use and
/// the admission checks the key inside its one atomic step: a revoke still
/// refuses the very next request, generation or edit, holding nothing.
#[tokio::test]
async fn a_remembered_key_revoked_on_redis_is_refused_at_once_and_holds_nothing() {
    let prefix = easel_tests::ledger::unique_prefix("v1key");
    let v1 = V1::start_with(|c| {
        c.ledger.redis_url = easel_tests::ledger::redis_url();
        c.ledger.key_prefix = prefix.clone();
    })
    .await;
    let body = r#"{"prompt":"a cat"}"#;
    let ok = v1.post_json(GEN, Some(&v1.key), body).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let edit = [
        ("prompt", None, b"make it blue".to_vec()),
        ("image[]", Some("a.png"), png(1)),
    ];
    let edited = v1.post_form(&edit).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(v1.used().await, 2);
    let upstream = v1.stack.openai.requests().len();

    assert!(
        v1.state
            .ledger
            .revoke_api_key(v1.user, &v1.key[..17], Actor::Api)
            .await
            .expect("revoke")
    );
    for reply in [
        v1.post_json(GEN, Some(&v1.key), body).await,
        v1.post_form(&edit).await,
        v1.post_json(GEN, Some(&v1.key), body).await,
    ] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
        assert_eq!(reply.error().1.as_deref(), Some("invalid_api_key"));
    }
    assert_eq!(v1.used().await, 2, "nothing held for a revoked key");
    assert_eq!(
        v1.stack.openai.requests().len(),
        upstream,
        "nothing went upstream"
    );
    let status = v1.state.ledger.status(v1.user).await.expect("status");
    assert_eq!(status.in_flight, 0);
}

#[tokio::test]
async fn bad_fields_are_400_naming_the_param_and_charge_nothing() {
    let v1 = V1::start().await;
    let key = Some(v1.key.as_str());
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        (r#"{"prompt":"x","n":11}"#, Some("n"), Some("invalid_value")),
        (r#"{"prompt":"x","n":0}"#, Some("n"), Some("invalid_value")),
        (
            r#"{"prompt":"x","size":"huge"}"#,
            Some("size"),
            Some("invalid_value"),
        ),
        (
            r#"{"prompt":"x","size":"1000x1000"}"#,
            Some("size"),
            Some("invalid_value"),
        ),
        (
            r#"{"prompt":"x","quality":"hd"}"#,
            Some("quality"),
            Some("invalid_value"),
        ),
        (
            r#"{"prompt":"x","style":"vivid"}"#,
            Some("style"),
            Some("unknown_parameter"),
        ),
        (
            r#"{"prompt":"x","partial_images":5}"#,
            Some("partial_images"),
            Some("invalid_value"),
        ),
        (
            r#"{"n":1}"#,
            Some("prompt"),
            Some("missing_required_parameter"),
        ),
        (r#"{"prompt":"x""#, None, None),
        (r#"["prompt"]"#, None, None),
    ];
    for (body, param, code) in cases {
        let reply = v1.post_json(GEN, key, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text()
        );
        let (kind, got_code, got_param) = reply.error();
        assert_eq!(kind, "invalid_request_error", "{body}");
        assert_eq!(got_param.as_deref(), *param, "{body}");
        assert_eq!(got_code.as_deref(), *code, "{body}");
    }
    let unknown_model = v1
        .post_json(GEN, key, r#"{"prompt":"x","model":"dall-e-9"}"#)
        .await;
    assert_eq!(unknown_model.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_model.error().1.as_deref(), Some("model_not_found"));
    assert_eq!(v1.used().await, 0);
    assert!(
        v1.stack.openai.requests().is_empty(),
        "nothing went upstream"
    );
}

#[tokio::test]
async fn bad_edit_uploads_are_400_on_image_or_mask_and_charge_nothing() {
    let v1 = V1::start().await;
    let prompt = ("prompt", None, b"make it blue".to_vec());
    let no_image = v1.post_form(std::slice::from_ref(&prompt)).await;
    assert_eq!(no_image.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_image.error().2.as_deref(), Some("image"));

    let garbage = v1
        .post_form(&[
            prompt.clone(),
            ("image[]", Some("a.png"), png(1)),
            ("image[]", Some("b.png"), b"not an image".to_vec()),
        ])
        .await;
    assert_eq!(
        garbage.status,
        StatusCode::BAD_REQUEST,
        "{}",
        garbage.text()
    );
    let (kind, code, param) = garbage.error();
    assert_eq!(
        (kind.as_str(), code.as_deref(), param.as_deref()),
        (
            "invalid_request_error",
            Some("invalid_image"),
            Some("image")
        )
    );

    let bad_mask = v1
        .post_form(&[
            prompt.clone(),
            ("image", Some("a.png"), png(1)),
            ("mask", Some("m.png"), b"not a png".to_vec()),
        ])
        .await;
    assert_eq!(
        bad_mask.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_mask.text()
    );
    assert_eq!(bad_mask.error().2.as_deref(), Some("mask"));

    let bad_n = v1
        .post_form(&[
            prompt.clone(),
            ("image", Some("a.png"), png(1)),
            ("n", None, b"99".to_vec()),
        ])
        .await;
    assert_eq!(bad_n.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_n.error().2.as_deref(), Some("n"));

    let not_multipart = v1
        .post_json("/v1/images/edits", Some(&v1.key), r#"{"prompt":"x"}"#)
        .await;
    assert_eq!(not_multipart.status, StatusCode::BAD_REQUEST);
    not_multipart.error();

    assert_eq!(v1.used().await, 0);
    assert!(
        v1.stack.openai.requests().is_empty(),
        "nothing went upstream"
    );
}

#[tokio::test]
async fn quota_denial_is_429_with_retry_after_from_the_denial() {
    let v1 = V1::start().await;
    let key = Some(v1.key.as_str());
    let full = format!(r#"{{"prompt":"a cat","n":{LIMIT}}}"#);
    let ok = v1.post_json(GEN, key, &full).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(v1.used().await, LIMIT);

    let denied = v1.post_json(GEN, key, r#"{"prompt":"one more"}"#).await;
    assert_eq!(
        denied.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        denied.text()
    );
    let (kind, code, _) = denied.error();
    assert_eq!(kind, "requests");
    assert_eq!(code.as_deref(), Some("rate_limit_exceeded"));
    // The window frees 3 h after the charge; the manual clock has not moved.
    let retry_after = denied.headers.get("retry-after").expect("Retry-After");
    assert_eq!(retry_after.to_str().ok(), Some("10800"));
    assert_eq!(v1.used().await, LIMIT, "the denial charged nothing");

    // An hour later the same denial says two hours.
    v1.stack.clock.advance(std::time::Duration::from_secs(3600));
    let later = v1.post_json(GEN, key, r#"{"prompt":"one more"}"#).await;
    assert_eq!(later.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        later
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7200")
    );
}

#[tokio::test]
async fn a_process_without_the_pipeline_answers_503_in_the_same_shape() {
    let v1 = V1::start().await;
    let state = AppState {
        gateway: None,
        ..v1.state.clone()
    };
    let admin_only = V1 { state, ..v1 };
    let reply = admin_only
        .post_json(GEN, Some(&admin_only.key), r#"{"prompt":"x"}"#)
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error().0, "server_error");
}
