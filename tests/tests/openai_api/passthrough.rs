//! The provider settings a `/v1` caller chooses (`output_compression`,
//! `moderation`, `input_fidelity`) reach the upstream over the backend's
//! configured values, as the strict fake records them; a model the
//! capability table says takes no `input_fidelity` never gets it.

use axum::http::StatusCode;
use easel_shared::config::{Config, ModelCaps};

use super::{V1, png};

/// The deployment's own choices, which a request may override.
fn configured(c: &mut Config) {
    let backend = &mut c.backends.chain[0];
    backend.moderation = Some("auto".into());
    backend.output_compression = Some(90);
    backend.input_fidelity = Some("low".into());
}

#[tokio::test]
async fn a_generations_moderation_and_compression_override_the_config() {
    let v1 = V1::start_with(configured).await;
    let asked = v1
        .post_json(
            "/v1/images/generations",
            Some(&v1.key),
            r#"{"prompt":"a cat","output_format":"webp","output_compression":35,"moderation":"low"}"#,
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text());
    let plain = v1
        .post_json(
            "/v1/images/generations",
            Some(&v1.key),
            r#"{"prompt":"a dog","output_format":"webp"}"#,
        )
        .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text());
    let sent = v1.stack.openai.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].field("output_compression").as_deref(), Some("35"));
    assert_eq!(sent[0].field("moderation").as_deref(), Some("low"));
    // Without them the deployment's settings apply.
    assert_eq!(sent[1].field("output_compression").as_deref(), Some("90"));
    assert_eq!(sent[1].field("moderation").as_deref(), Some("auto"));
}

#[tokio::test]
async fn an_edits_input_fidelity_overrides_the_config() {
    let v1 = V1::start_with(configured).await;
    let reply = v1
        .post_form(&[
            ("prompt", None, b"sharper".to_vec()),
            ("image[]", Some("a.png"), png(1)),
            ("input_fidelity", None, b"high".to_vec()),
            ("output_format", None, b"jpeg".to_vec()),
            ("output_compression", None, b"20".to_vec()),
        ])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let sent = v1.stack.openai.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].field("input_fidelity").as_deref(), Some("high"));
    assert_eq!(sent[0].field("output_compression").as_deref(), Some("20"));
}

#[tokio::test]
async fn a_model_without_input_fidelity_never_gets_it() {
    let v1 = V1::start_with(|c| {
        configured(c);
        let model = c.backends.chain[0].model.clone();
        c.backends.models.insert(
            model,
            ModelCaps {
                input_fidelity: Some(false),
                ..ModelCaps::default()
            },
        );
    })
    .await;
    let reply = v1
        .post_form(&[
            ("prompt", None, b"sharper".to_vec()),
            ("image[]", Some("a.png"), png(1)),
            ("input_fidelity", None, b"high".to_vec()),
        ])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let sent = v1.stack.openai.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].field("input_fidelity"), None);
}

#[tokio::test]
async fn moderation_on_an_edit_is_refused_as_openai_refuses_it() {
    let v1 = V1::start().await;
    let reply = v1
        .post_form(&[
            ("prompt", None, b"sharper".to_vec()),
            ("image[]", Some("a.png"), png(1)),
            ("moderation", None, b"low".to_vec()),
        ])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    let (_, code, param) = reply.error();
    assert_eq!(code.as_deref(), Some("unknown_parameter"));
    assert_eq!(param.as_deref(), Some("moderation"));
    assert!(
        v1.stack.openai.requests().is_empty(),
        "nothing sent upstream"
    );
    assert_eq!(v1.used().await, 0, "nothing charged");
}
