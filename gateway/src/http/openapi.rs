//! The admin API's OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` annotations and the wire types' derived schemas, served
//! at `GET /admin/v1/openapi.json`.
//!
//! The document is served without the admin token: it is the same for every
//! deployment (no configuration, no data; the routes are in the source), and
//! tools such as schemathesis or an SDK generator can read it before they
//! are given a token. Every operation in it needs the token (`admin_token`,
//! HTTP bearer).

use axum::Router;
use axum::routing::get;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::AppState;
use super::admin;
use super::error::ErrorBody;
use super::extract::Json;

/// The admin API's document (see the module docs).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Easel admin API",
        description = "Plans, credits, bans, access codes, usage, spend and audit. \
            Every error is `{\"error\": {\"code\", \"message\"}}`.",
    ),
    paths(
        admin::status,
        admin::adjust_credits,
        admin::set_plan,
        admin::set_ban,
        admin::usage,
        admin::top,
        admin::spend,
        admin::mint,
        admin::list_codes,
        admin::revoke,
        admin::audit,
        admin::reload,
        admin::api_keys::create,
        admin::api_keys::list,
        admin::api_keys::revoke,
        admin::queue::queue,
        admin::queue::cancel,
        admin::queue::errors,
        admin::reports::spend_days,
        admin::reports::plans,
        admin::reports::codes_csv,
        admin::reports::find_username,
    ),
    components(schemas(ErrorBody)),
    modifiers(&AdminToken, &SharedErrors),
    security(("admin_token" = [])),
    tags(
        (name = "users", description = "One user's account"),
        (name = "codes", description = "Access codes"),
        (name = "deployment", description = "Deployment-wide reports and configuration"),
    ),
)]
pub struct AdminApi;

/// `GET /admin/v1/openapi.json`, without authentication.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        &format!("{}/openapi.json", admin::PREFIX),
        get(openapi_json),
    )
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(AdminApi::openapi())
}

/// Declares the bearer scheme every operation requires.
struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "The admin token, `http.admin_token` (EASEL_ADMIN_TOKEN)",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("admin_token", SecurityScheme::Http(scheme));
    }
}

/// Adds the errors every operation can answer, in the one JSON shape, so
/// each annotation lists only its own: a missing or wrong token (401), the
/// API disabled or the ledger unreachable (503), bad input (400), and for
/// operations with a body, a body over the limit (413), not JSON (415) or
/// with the wrong fields (422).
struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                add_shared_errors(op);
            }
        }
    }
}

fn add_shared_errors(op: &mut Operation) {
    let mut shared = vec![
        (
            "400",
            "Bad input: a malformed user key, query or value (`bad_request`, `invalid_query`, `invalid_path`)",
        ),
        ("401", "Missing or wrong bearer token (`unauthorized`)"),
        (
            "503",
            "The admin API is disabled (`admin_disabled`) or the quota store is unreachable (`ledger_unavailable`)",
        ),
    ];
    if op.request_body.is_some() {
        shared.extend([
            ("413", "The body is larger than the limit (`payload_too_large`)"),
            ("415", "The body is not `application/json` (`unsupported_media_type`)"),
            ("422", "The body is JSON with missing or mistyped fields (`invalid_body`); syntax errors are 400 `invalid_json`"),
        ]);
    }
    for (status, description) in shared {
        let responses = &mut op.responses.responses;
        if responses.contains_key(status) {
            continue;
        }
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        let response = ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build();
        responses.insert(status.to_owned(), RefOr::T(response));
    }
}
