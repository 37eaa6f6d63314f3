//! The fake's models routes, as OpenAI answers them: `GET /v1/models`
//! (`{"object":"list","data":[{id, object, created, owned_by, shutdown_date}]}`)
//! and `GET /v1/models/{id}` (the model, or a 404 `model_not_found`).
//! The catalog is settable; every call is recorded apart from image calls.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{FakeOpenAi, Shared, error, validate};

/// One entry of the fake's model catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogModel {
    /// The model id.
    pub id: String,
    /// `shutdown_date` (`YYYY-MM-DD`), or none announced.
    pub shutdown_date: Option<String>,
}

impl CatalogModel {
    /// A model with no announced shutdown.
    pub fn current(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            shutdown_date: None,
        }
    }
}

/// What the catalog holds until a test sets it: one current image model
/// and a text model (which the image-model filter must leave out).
pub(super) fn default_catalog() -> Vec<CatalogModel> {
    vec![
        CatalogModel::current("gpt-image-2"),
        CatalogModel::current("gpt-5.1"),
    ]
}

/// Adds the models routes to the fake's router.
pub(super) fn routes(router: Router<Shared>) -> Router<Shared> {
    router
        .route("/v1/models", get(list))
        .route("/v1/models/{id}", get(retrieve))
}

impl FakeOpenAi {
    /// Replaces the model catalog.
    pub fn set_models(&self, models: impl IntoIterator<Item = CatalogModel>) {
        self.shared.lock().catalog = Some(models.into_iter().collect());
    }

    /// The paths of every models call so far (`/v1/models/gpt-image-2`, ...).
    pub fn model_requests(&self) -> Vec<String> {
        self.shared.lock().model_requests.clone()
    }
}

fn model_json(m: &CatalogModel) -> Value {
    json!({
        "id": m.id,
        "object": "model",
        "created": 1_745_000_000,
        "owned_by": "system",
        "shutdown_date": m.shutdown_date,
    })
}

fn catalog(shared: &Shared, path: String) -> Vec<CatalogModel> {
    let mut inner = shared.lock();
    inner.model_requests.push(path);
    inner.catalog.clone().unwrap_or_else(default_catalog)
}

/// OpenAI's answer to a request without this fake's key, as on image routes.
fn unauthorized(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    validate::authorize_header(given, &shared.key)
        .err()
        .map(IntoResponse::into_response)
}

async fn list(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(refused) = unauthorized(&shared, &headers) {
        return refused;
    }
    let data: Vec<Value> = catalog(&shared, "/v1/models".into())
        .iter()
        .map(model_json)
        .collect();
    axum::Json(json!({ "object": "list", "data": data })).into_response()
}

async fn retrieve(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = unauthorized(&shared, &headers) {
        return refused;
    }
    let models = catalog(&shared, format!("/v1/models/{id}"));
    match models.iter().find(|m| m.id == id) {
        Some(m) => axum::Json(model_json(m)).into_response(),
        None => model_not_found(&id),
    }
}

/// OpenAI's answer for a model that does not exist (or not for this key).
pub(super) fn model_not_found(id: &str) -> Response {
    error(
        404,
        "model_not_found",
        &format!("The model `{id}` does not exist or you do not have access to it."),
    )
}
