//! The fake's models routes in Google's shapes: `models.get`
//! (`GET /v1beta/models/{model}`, or 404 NOT_FOUND) and `models.list`
//! (`GET /v1beta/models`, `{"models":[...]}`). The catalog is settable;
//! every call is recorded apart from `generateContent` calls.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use axum::http::HeaderMap;

use super::validate::{self, Refusal};
use super::{FakeGemini, google_error};

/// What the catalog holds until a test sets it: the current image models
/// and a text model (which the image filter must leave out).
fn default_catalog() -> Vec<String> {
    [
        "gemini-3.1-flash-image",
        "gemini-3-pro-image",
        "gemini-3.5-flash",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Adds `models.get` and `models.list` to the fake's router.
pub(super) fn routes(router: Router<FakeGemini>) -> Router<FakeGemini> {
    router
        .route("/v1beta/models", get(list))
        .route("/v1beta/models/{target}", get(model_get))
}

impl FakeGemini {
    /// Replaces the model catalog (model ids without `models/`).
    pub fn set_models(&self, models: impl IntoIterator<Item = &'static str>) {
        self.lock().catalog = Some(models.into_iter().map(str::to_owned).collect());
    }

    /// The paths of every models call so far.
    pub fn model_requests(&self) -> Vec<String> {
        self.lock().model_requests.clone()
    }

    fn catalog(&self, path: String) -> Vec<String> {
        let mut inner = self.lock();
        inner.model_requests.push(path);
        inner.catalog.clone().unwrap_or_else(default_catalog)
    }
}

fn model_json(id: &str) -> Value {
    json!({
        "name": format!("models/{id}"),
        "version": "001",
        "displayName": id,
        "description": "A fake model.",
        "inputTokenLimit": 65536,
        "outputTokenLimit": 32768,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    })
}

/// Google's refusal of a call without this fake's key, as on `generateContent`.
fn unauthorized(fake: &FakeGemini, headers: &HeaderMap) -> Option<Response> {
    let key = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok());
    validate::check_key(key, &fake.key).err().map(google_error)
}

async fn list(State(fake): State<FakeGemini>, headers: HeaderMap) -> Response {
    if let Some(refused) = unauthorized(&fake, &headers) {
        return refused;
    }
    let models: Vec<Value> = fake
        .catalog("/v1beta/models".into())
        .iter()
        .map(|m| model_json(m))
        .collect();
    axum::Json(json!({ "models": models })).into_response()
}

async fn model_get(
    State(fake): State<FakeGemini>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = unauthorized(&fake, &headers) {
        return refused;
    }
    let models = fake.catalog(format!("/v1beta/models/{id}"));
    if models.contains(&id) {
        return axum::Json(model_json(&id)).into_response();
    }
    not_found(&id)
}

/// Google's answer for a model it does not serve.
pub(super) fn not_found(id: &str) -> Response {
    google_error(Refusal {
        code: 404,
        status: "NOT_FOUND",
        message: format!(
            "models/{id} is not found for API version v1beta, or is not supported for \
             generateContent. Call ListModels to see the list of available models and their \
             supported methods."
        ),
        details: json!([]),
    })
}
