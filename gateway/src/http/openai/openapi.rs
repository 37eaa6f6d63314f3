//! The OpenAPI document of the `/v1` API (`GET /v1/openapi.json`), generated
//! from the handlers' `#[utoipa::path]` annotations and the schema types
//! below, so contract tests (schemathesis) can point at it.

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use super::error::{ErrorBody, ErrorDetail};

/// The `/v1` API's document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Easel OpenAI-compatible Images API", description = "Per-user API keys from /apikey; requests draw on the key owner's plan and credits."),
    paths(super::images::generations, super::images::edits, super::models),
    components(schemas(GenerationRequest, EditRequest, SseEvent, Quality, Background, OutputFormat, Moderation, InputFidelity, ResponseFormat, ImagesResponse, ImageItem, Usage, InputTokensDetails, ModelList, Model, ErrorBody, ErrorDetail)),
    modifiers(&BearerKey)
)]
pub struct V1Doc;

/// Declares the `api_key` bearer scheme the paths name.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(V1Doc::openapi())
}

/// The refusal of a missing, unknown or revoked key: every `/v1` route's.
#[derive(IntoResponses)]
#[response(status = 401, description = "Missing, unknown or revoked API key")]
#[allow(dead_code)]
pub struct KeyRefused(ErrorBody);

/// The refusals both image routes share, in OpenAI's error shape (one
/// list, so the two routes' documents cannot drift apart).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ImageRefusals {
    /// `access_denied`.
    #[response(
        status = 403,
        description = "The key's user is banned or not allowed (`access_denied`)"
    )]
    Forbidden(ErrorBody),
    /// `model_not_found`.
    #[response(
        status = 404,
        description = "A model this deployment does not serve (`model_not_found`)"
    )]
    UnknownModel(ErrorBody),
    /// `request_too_large`.
    #[response(
        status = 413,
        description = "The body is larger than 64 MiB (`request_too_large`)"
    )]
    TooLarge(ErrorBody),
    /// Quota denied.
    #[response(
        status = 429,
        description = "Quota denied; Retry-After says when it can work"
    )]
    QuotaDenied(ErrorBody),
}

/// The JSON body of `POST /v1/images/generations` (OpenAI's fields).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // the API refuses unknown parameters (400)
#[allow(dead_code)]
pub struct GenerationRequest {
    /// What to draw (at most 32000 characters, not only whitespace).
    #[schema(min_length = 1, max_length = 32000, pattern = r"\S")]
    prompt: String,
    /// One of `GET /v1/models` (default: the first).
    model: Option<String>,
    /// Images to make, 1 to 10.
    #[schema(minimum = 1, maximum = 10)]
    n: Option<u8>,
    /// `auto` or `WIDTHxHEIGHT` the model accepts.
    #[schema(pattern = r"^(auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4})$")]
    size: Option<String>,
    /// `auto`, `low`, `medium`, `high`.
    quality: Option<Quality>,
    /// `auto`, `transparent` (png/webp only), `opaque`.
    background: Option<Background>,
    /// `png`, `jpeg`, `webp`.
    output_format: Option<OutputFormat>,
    /// 0 to 100, for jpeg and webp (sent upstream over the backend's setting).
    #[schema(minimum = 0, maximum = 100)]
    output_compression: Option<u8>,
    /// `auto` or `low` (sent upstream over the backend's setting).
    moderation: Option<Moderation>,
    /// The caller's own end-user id (accepted, not used).
    user: Option<String>,
    /// Answer with server-sent events.
    stream: Option<bool>,
    /// Partial images to stream, 0 to 3 (as many as the upstream sends, at most this).
    #[schema(minimum = 0, maximum = 3)]
    partial_images: Option<u8>,
    /// Only `b64_json`.
    response_format: Option<ResponseFormat>,
}

/// The multipart body of `POST /v1/images/edits`: the generation fields as
/// text parts plus the files.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct EditRequest {
    /// What to change (at most 32000 characters, not only whitespace).
    #[schema(min_length = 1, max_length = 32000, pattern = r"\S")]
    prompt: String,
    /// The images to edit, 1 to 16 (`image[]` parts, or one `image`).
    #[serde(rename = "image[]")]
    #[schema(value_type = Vec<String>, format = Binary)]
    images: Vec<String>,
    /// A PNG the size of the first image, transparent where to edit.
    #[schema(value_type = Option<String>, format = Binary)]
    mask: Option<String>,
    /// Images to make, 1 to 10.
    #[schema(minimum = 1, maximum = 10)]
    n: Option<u8>,
    /// `auto` or `WIDTHxHEIGHT`.
    #[schema(pattern = r"^(auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4})$")]
    size: Option<String>,
    /// `auto`, `low`, `medium`, `high`.
    quality: Option<Quality>,
    /// `auto`, `transparent`, `opaque`.
    background: Option<Background>,
    /// `png`, `jpeg`, `webp`.
    output_format: Option<OutputFormat>,
    /// `high` or `low` (sent upstream over the backend's setting, to models that take it).
    input_fidelity: Option<InputFidelity>,
    /// One of `GET /v1/models` (default: the first).
    model: Option<String>,
    /// 0 to 100, for jpeg and webp (sent upstream over the backend's setting).
    #[schema(minimum = 0, maximum = 100)]
    output_compression: Option<u8>,
    /// The caller's own end-user id (accepted, not used).
    user: Option<String>,
    /// Only `b64_json`.
    response_format: Option<ResponseFormat>,
    /// Answer with server-sent events.
    stream: Option<bool>,
    /// Partial images to stream, 0 to 3.
    #[schema(minimum = 0, maximum = 3)]
    partial_images: Option<u8>,
}

/// `quality`, as `params.rs` accepts it. The closed sets below are in the
/// document so schema-driven clients (and schemathesis) send values the API
/// takes: an open `string` made nearly every generated request a 400.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Quality {
    /// The backend's default.
    Auto,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// `background`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Background {
    /// The model decides.
    Auto,
    /// png or webp only.
    Transparent,
    /// Opaque.
    Opaque,
}

/// `output_format`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum OutputFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
}

/// `moderation`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Moderation {
    /// Standard.
    Auto,
    /// Less restrictive.
    Low,
}

/// `input_fidelity`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum InputFidelity {
    /// Keep the inputs' details.
    High,
    /// Default.
    Low,
}

/// `response_format`: GPT image models answer in base64 only.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum ResponseFormat {
    /// Base64 image bytes.
    #[serde(rename = "b64_json")]
    B64Json,
}

/// One server-sent event of a streamed answer (`stream: true`): `event` is
/// `image_generation.partial_image` / `.completed` (`image_edit.*` for
/// edits) or `error`; `data` is that event's JSON object, as OpenAI's.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct SseEvent {
    /// The event's type.
    event: String,
    /// Its JSON payload, as text.
    data: String,
}

/// The answer of both image routes.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ImagesResponse {
    /// Unix seconds.
    created: u64,
    /// One item per image.
    data: Vec<ImageItem>,
    /// The provider's token counts for the delivered call (zeros when it
    /// reported none).
    usage: Usage,
    /// As asked (`auto` or `WIDTHxHEIGHT`).
    size: String,
    /// As asked.
    quality: String,
    /// As asked.
    background: String,
    /// As asked.
    output_format: String,
}

/// One image.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ImageItem {
    /// The provider's bytes, base64.
    b64_json: String,
}

/// OpenAI's usage object.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Usage {
    /// Input plus output.
    total_tokens: u64,
    /// Prompt and image tokens.
    input_tokens: u64,
    /// Image tokens made.
    output_tokens: u64,
    /// The input split into text and image tokens.
    input_tokens_details: InputTokensDetails,
}

/// `usage.input_tokens_details`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct InputTokensDetails {
    /// Prompt tokens.
    text_tokens: u64,
    /// Input image tokens (edits).
    image_tokens: u64,
}

/// `GET /v1/models`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ModelList {
    /// Always `list`.
    object: String,
    /// The models.
    data: Vec<Model>,
}

/// One model.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Model {
    /// The model name to send as `model`.
    id: String,
    /// Always `model`.
    object: String,
    /// Always 0.
    created: u64,
    /// Always `easel`.
    owned_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared refusal types put every status on both image routes,
    /// each as `ErrorBody`, and the key refusal on `/v1/models`.
    #[test]
    fn both_image_routes_document_the_shared_refusals() {
        let doc = serde_json::to_value(V1Doc::openapi()).expect("json");
        let error = serde_json::json!({"$ref": "#/components/schemas/ErrorBody"});
        for (path, method, statuses) in [
            (
                "/v1/images/generations",
                "post",
                &["400", "401", "403", "404", "413", "429"][..],
            ),
            (
                "/v1/images/edits",
                "post",
                &["400", "401", "403", "404", "413", "429"][..],
            ),
            ("/v1/models", "get", &["401"][..]),
        ] {
            let responses = &doc["paths"][path][method]["responses"];
            for status in statuses {
                let schema = &responses[*status]["content"]["application/json"]["schema"];
                assert_eq!(schema, &error, "{path} {status}: {responses}");
                assert!(responses[*status]["description"].is_string());
            }
        }
    }
}
