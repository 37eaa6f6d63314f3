//! The fake's two HTTP handlers: Bot API calls (`/bot<token>/<Method>`)
//! and file downloads (`/file/bot<token>/<path>`). A call is checked in the
//! order Telegram does: token, method, body, then the method's own rules.

use std::collections::VecDeque;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::store::remember_result;
use super::wire::{parse_body, telegram_error};
use super::{Call, Shared, Upload, methods, validate};

/// Answers one Bot API call and records it.
pub(super) async fn api(
    State(shared): State<Shared>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(page) = outage(&shared) {
        return page;
    }
    if bot.strip_prefix("bot") != Some(shared.token.as_str()) {
        return telegram_error(StatusCode::UNAUTHORIZED, "Unauthorized", None);
    }
    let method = method.to_ascii_lowercase();
    if !methods::KNOWN.contains(&method.as_str()) {
        // What telegram-bot-api answers for a method it does not have.
        return telegram_error(StatusCode::NOT_FOUND, "Not Found: method not found", None);
    }
    let (params, uploads) = match parse_body(&headers, &body) {
        Ok(parsed) => parsed,
        Err(description) => {
            let call = refused(method, json!({}), Vec::new());
            shared.lock().calls.push(call);
            return telegram_error(StatusCode::BAD_REQUEST, &description, None);
        }
    };
    let limited = shared
        .lock()
        .rate_limits
        .get_mut(&method)
        .and_then(VecDeque::pop_front);
    if let Some(secs) = limited {
        shared.lock().calls.push(refused(method, params, uploads));
        return telegram_error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too Many Requests: retry after {secs}"),
            Some(secs),
        );
    }
    if method == "getupdates" {
        let result = methods::get_updates(&shared, &params).await;
        shared.lock().calls.push(Call {
            method,
            params,
            uploads,
            result: Some(result.clone()),
        });
        return axum::Json(json!({ "ok": true, "result": result })).into_response();
    }
    // A user who never started a private chat with the bot: Telegram
    // refuses to let the bot write to them first.
    let closed = params
        .get("chat_id")
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
        .is_some_and(|chat| shared.lock().closed_private.contains(&chat));
    if closed && (method.starts_with("send") || method.starts_with("copy")) {
        shared.lock().calls.push(refused(method, params, uploads));
        return telegram_error(
            StatusCode::FORBIDDEN,
            "Forbidden: bot can't initiate conversation with a user",
            None,
        );
    }
    let outcome = {
        let mut inner = shared.lock();
        let scripted = inner.faults.get_mut(&method).and_then(VecDeque::pop_front);
        match scripted {
            Some(description) => Err(description),
            None => validate::check(&inner, &method, &params).and_then(|()| {
                let result = methods::answer(&mut inner, &method, &params, &uploads)?;
                remember_result(&mut inner, &method, &params, &result);
                Ok(result)
            }),
        }
    };
    match outcome {
        Ok(result) => {
            shared.lock().calls.push(Call {
                method,
                params,
                uploads,
                result: Some(result.clone()),
            });
            axum::Json(json!({ "ok": true, "result": result })).into_response()
        }
        Err(description) => {
            shared.lock().calls.push(refused(method, params, uploads));
            telegram_error(StatusCode::BAD_REQUEST, &description, None)
        }
    }
}

fn refused(method: String, params: Value, uploads: Vec<Upload>) -> Call {
    Call {
        method,
        params,
        uploads,
        result: None,
    }
}

/// Serves a file the bot may download.
pub(super) async fn download(
    State(shared): State<Shared>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    if bot.strip_prefix("bot") != Some(shared.token.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut inner = shared.lock();
    inner.downloads += 1;
    let found = inner
        .files
        .values()
        .find(|f| f.path == path)
        .map(|f| f.bytes.clone());
    match found {
        Some(bytes) => Body::from(bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// While the fake is down: the HTML 502 page Telegram's nginx serves.
fn outage(shared: &Shared) -> Option<Response> {
    let mut inner = shared.lock();
    if !inner.down {
        return None;
    }
    inner.refused_down += 1;
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";
    Some(
        (
            StatusCode::BAD_GATEWAY,
            [(axum::http::header::CONTENT_TYPE, "text/html")],
            page,
        )
            .into_response(),
    )
}
