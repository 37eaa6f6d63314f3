//! The two image routes: read the body (JSON or multipart), check the
//! fields, then submit through the `Gateway` port for the key's user (its
//! pre-check runs before any image is decoded), and answer with the finished images or stream them as
//! OpenAI's server-sent events.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use easel_shared::job::{ImageData, JobEvent, Usage};
use easel_shared::request::{InputImage, Request};
use easel_shared::{Denial, Refusal, RequestId, UnixMillis, UserKey};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::params::{self, ImageParams, Route};
use super::{KeyHolder, MAX_BODY_BYTES, served_models};
use crate::http::AppState;
use crate::service::{Gateway, GatewayError, JobStream};

/// Most input images per edit (OpenAI's limit).
const MAX_EDIT_IMAGES: usize = 16;

/// `POST /v1/images/generations`: a JSON body.
#[utoipa::path(
    post,
    path = "/v1/images/generations",
    request_body(content = super::openapi::GenerationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The images (or, with stream=true, text/event-stream of image_generation.partial_image and image_generation.completed events)",
            content((super::openapi::ImagesResponse = "application/json"), (super::openapi::SseEvent = "text/event-stream"))),
        (status = 400, description = "A bad field", body = super::error::ErrorBody),
        super::openapi::KeyRefused,
        super::openapi::ImageRefusals,
    ),
    security(("api_key" = []))
)]
pub async fn generations(
    State(state): State<AppState>,
    holder: KeyHolder,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let fields = match json_fields(body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    match params::parse(Route::Generations, &fields) {
        Ok(p) => run(&state, &holder, Route::Generations, p, Vec::new(), None).await,
        Err(e) => e.into_response(),
    }
}

/// `POST /v1/images/edits`: multipart with `image` / `image[]` parts (1 to
/// 16), an optional `mask`, and the same text fields as generations.
#[utoipa::path(
    post,
    path = "/v1/images/edits",
    request_body(content = super::openapi::EditRequest, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The images (or, with stream=true, text/event-stream of image_edit.partial_image and image_edit.completed events)",
            content((super::openapi::ImagesResponse = "application/json"), (super::openapi::SseEvent = "text/event-stream"))),
        (status = 400, description = "A bad field or image", body = super::error::ErrorBody),
        super::openapi::KeyRefused,
        super::openapi::ImageRefusals,
    ),
    security(("api_key" = []))
)]
pub async fn edits(
    State(state): State<AppState>,
    holder: KeyHolder,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let form = match form {
        Ok(f) => f,
        Err(e) => {
            return ApiError::bad_body(format!("Expected a multipart/form-data body: {e}."))
                .into_response();
        }
    };
    let (fields, images, mask) = match read_form(form).await {
        Ok(parts) => parts,
        Err(e) => return e.into_response(),
    };
    if images.is_empty() {
        return ApiError::missing("image").into_response();
    }
    if images.len() > MAX_EDIT_IMAGES {
        return ApiError::invalid_value(
            "image",
            format!("At most {MAX_EDIT_IMAGES} images per edit."),
        )
        .into_response();
    }
    match params::parse(Route::Edits, &fields) {
        Ok(p) => run(&state, &holder, Route::Edits, p, images, mask).await,
        Err(e) => e.into_response(),
    }
}

/// A JSON object body, or OpenAI's refusal of it.
fn json_fields(body: Result<Bytes, BytesRejection>) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => ApiError::too_large(MAX_BODY_BYTES),
        other => ApiError::bad_body(other.body_text()),
    })?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_body("The body must be a JSON object.")),
        Err(_) => Err(ApiError::bad_body(
            "We could not parse the JSON body of your request. Send a JSON object with Content-Type: application/json.",
        )),
    }
}

/// The multipart parts: text fields, images in order, the mask.
async fn read_form(
    mut form: Multipart,
) -> Result<(Map<String, Value>, Vec<Bytes>, Option<Bytes>), ApiError> {
    let mut fields = Map::new();
    let mut images = Vec::new();
    let mut mask = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "image" | "image[]" => {
                images.push(field.bytes().await.map_err(|e| multipart_error(&e))?)
            }
            "mask" => mask = Some(field.bytes().await.map_err(|e| multipart_error(&e))?),
            _ => {
                let text = field.text().await.map_err(|e| multipart_error(&e))?;
                fields.insert(name.clone(), params::text_value(&name, text));
            }
        }
    }
    Ok((fields, images, mask))
}

fn multipart_error(e: &MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(MAX_BODY_BYTES)
    } else {
        ApiError::bad_body(format!(
            "The multipart body could not be read: {}.",
            e.body_text()
        ))
    }
}

/// Submits for the key's holder, then answers or streams.
async fn run(
    state: &AppState,
    holder: &KeyHolder,
    route: Route,
    params: ImageParams,
    images: Vec<Bytes>,
    mask: Option<Bytes>,
) -> Response {
    let Some(gateway) = state.gateway.clone() else {
        return ApiError::not_served().into_response();
    };
    if let Some(model) = &params.model
        && !served_models(state).contains(model)
    {
        return ApiError::model_not_found(model).into_response();
    }
    let id = match RequestId::new(format!("v1-{:032x}", rand::random::<u128>())) {
        Ok(id) => id,
        Err(_) => return ApiError::unavailable().into_response(),
    };
    // The bytes are already here, so no separate pre-check: `submit`
    // pre-checks before it decodes anything (a denied user costs nothing).
    let user = holder.user;
    let request = Request {
        id,
        user,
        prompt: params.prompt.clone(),
        options: params.options.clone(),
        inputs: images
            .into_iter()
            .map(|bytes| InputImage::Upload { bytes })
            .collect(),
        parent: None,
        mask: mask.filter(|_| route == Route::Edits),
    };
    let events = match gateway.submit_keyed(request, holder.key.expose()).await {
        Ok(events) => events,
        Err(e) => return refusal(gateway.as_ref(), user, &e).await.into_response(),
    };
    if params.stream {
        stream(route, params, events).into_response()
    } else {
        collect(params, events).await
    }
}

/// The gateway's refusal, with `Retry-After` on the ledger's clock.
async fn refusal(gateway: &dyn Gateway, user: UserKey, err: &GatewayError) -> ApiError {
    let now = match err {
        // A revoked key's answer says nothing about the account.
        GatewayError::Denied(Refusal {
            denial: Denial::KeyRevoked,
            ..
        }) => system_now(),
        GatewayError::Denied { .. } => match gateway.quota(user).await {
            Ok(status) => status.now,
            Err(_) => system_now(),
        },
        _ => system_now(),
    };
    ApiError::from_gateway(err, now)
}

/// Waits for the job's end and answers like OpenAI's non-streaming call.
async fn collect(params: ImageParams, mut events: JobStream) -> Response {
    while let Some(event) = events.recv().await {
        match event {
            JobEvent::Done { images, usage, .. } => {
                let data: Vec<Value> = images.iter().map(|i| json!({"b64_json": b64(i)})).collect();
                let mut body = described(&params);
                body.insert("usage".into(), usage_json(usage));
                body.insert("created".into(), json!(unix_secs()));
                body.insert("data".into(), Value::Array(data));
                return Json(Value::Object(body)).into_response();
            }
            JobEvent::Failed { failure, .. } => {
                return ApiError::from_failure(&failure).into_response();
            }
            _ => {}
        }
    }
    ApiError::from_failure(&easel_shared::job::JobFailure::Failed).into_response()
}

/// Streams the job as OpenAI's events: up to `partial_images` partials per
/// image, then one `*.completed` per image, or an `error` event.
fn stream(
    route: Route,
    params: ImageParams,
    events: JobStream,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let follow = Follow {
        prefix: route.event_prefix(),
        params,
        events,
        partials: Vec::new(),
        pending: VecDeque::new(),
        finished: false,
    };
    let out = futures::stream::unfold(follow, |mut f| async move {
        let next = f.next().await?;
        Some((Ok(next), f))
    });
    Sse::new(out).keep_alive(KeepAlive::default())
}

/// A job being streamed: what was sent and what is queued to send.
struct Follow {
    prefix: &'static str,
    params: ImageParams,
    events: JobStream,
    /// Partials sent so far, per image.
    partials: Vec<u8>,
    /// Events made and not yet sent (the completed events of n > 1).
    pending: VecDeque<Event>,
    finished: bool,
}

impl Follow {
    /// The next SSE event; `None` after the last.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Some(ev);
            }
            if self.finished {
                return None;
            }
            let prefix = self.prefix;
            match self.events.recv().await {
                None => {
                    self.finished = true;
                    let failed = ApiError::from_failure(&easel_shared::job::JobFailure::Failed);
                    self.pending.push_back(error_event(&failed));
                }
                Some(JobEvent::Partial { image, preview }) => {
                    // Previews beyond the image count OpenAI allows are dropped.
                    let index = usize::try_from(image).unwrap_or(usize::MAX);
                    if index >= 10 {
                        continue;
                    }
                    if self.partials.len() <= index {
                        self.partials.resize(index + 1, 0);
                    }
                    let count = self.partials[index];
                    if count >= self.params.partial_images {
                        continue;
                    }
                    self.partials[index] = count + 1;
                    let mut body = described(&self.params);
                    body.insert("type".into(), json!(format!("{prefix}.partial_image")));
                    body.insert("b64_json".into(), json!(b64(&preview)));
                    body.insert("partial_image_index".into(), json!(count));
                    body.insert("created_at".into(), json!(unix_secs()));
                    let kind = format!("{prefix}.partial_image");
                    self.pending
                        .push_back(sse_event(&kind, &Value::Object(body)));
                }
                Some(JobEvent::Done { images, usage, .. }) => {
                    self.finished = true;
                    let last = images.len().saturating_sub(1);
                    for (i, image) in images.iter().enumerate() {
                        let mut body = described(&self.params);
                        body.insert("type".into(), json!(format!("{prefix}.completed")));
                        body.insert("b64_json".into(), json!(b64(image)));
                        // One call's tokens, counted once: on the last image's event.
                        let usage = usage.filter(|_| i == last);
                        body.insert("usage".into(), usage_json(usage));
                        body.insert("created_at".into(), json!(unix_secs()));
                        let kind = format!("{prefix}.completed");
                        self.pending
                            .push_back(sse_event(&kind, &Value::Object(body)));
                    }
                }
                Some(JobEvent::Failed { failure, .. }) => {
                    self.finished = true;
                    self.pending
                        .push_back(error_event(&ApiError::from_failure(&failure)));
                }
                Some(_) => {}
            }
        }
    }
}

/// `size`, `quality`, `background`, `output_format` as the answer states them.
fn described(params: &ImageParams) -> Map<String, Value> {
    let o = &params.options;
    let mut body = Map::new();
    body.insert("size".into(), json!(params.size));
    body.insert("quality".into(), json!(params::quality_name(o.quality)));
    body.insert(
        "background".into(),
        json!(params::background_name(o.background)),
    );
    body.insert("output_format".into(), json!(params::format_name(o.format)));
    body
}

/// OpenAI's `usage` object from the provider's reported tokens; zeros
/// (the shape the SDKs parse) when the provider reported none.
fn usage_json(usage: Option<Usage>) -> Value {
    let u = usage.unwrap_or_default();
    json!({"total_tokens": u.total(), "input_tokens": u.input(), "output_tokens": u.output,
           "input_tokens_details": {"text_tokens": u.text_input, "image_tokens": u.image_input}})
}

fn sse_event(kind: &str, data: &Value) -> Event {
    Event::default().event(kind).data(data.to_string())
}

fn error_event(err: &ApiError) -> Event {
    let mut body = err.body();
    body["type"] = json!("error");
    sse_event("error", &body)
}

fn b64(image: &ImageData) -> String {
    STANDARD.encode(&image.bytes)
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn system_now() -> UnixMillis {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    UnixMillis(ms)
}
