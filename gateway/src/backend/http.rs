//! HTTP plumbing shared by the backends: the client, `retry-after` headers,
//! size-capped body reads, image type sniffing and scrubbing secrets out of
//! upstream text before it lands in an error.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::HeaderMap;

use super::BackendError;

/// Longest upstream message kept in an error (they can be pages of HTML).
const MAX_MESSAGE_CHARS: usize = 300;

/// The configured base URL without a trailing slash (or the provider's
/// default), once the config names a model: models get retired, so there is
/// no built-in one.
pub(crate) fn base_url<'a>(
    config: &'a easel_shared::config::BackendConfig,
    default: &'a str,
) -> Result<&'a str, String> {
    if config.model.trim().is_empty() {
        return Err("no model configured".into());
    }
    let base = if config.base_url.is_empty() {
        default
    } else {
        config.base_url.as_str()
    };
    Ok(base.trim_end_matches('/'))
}

/// Builds the one client a backend shares across calls (connection reuse).
pub(crate) fn client(connect: Duration, overall: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(overall)
        .use_rustls_tls()
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Maps a transport error (no HTTP status) to a backend error.
pub(crate) fn transport_error(e: &reqwest::Error, timeout: Duration) -> BackendError {
    if e.is_timeout() {
        BackendError::Timeout(timeout)
    } else if e.is_body() || e.is_decode() {
        BackendError::BadResponse("the response was cut off".into())
    } else {
        // Connection refused or reset: transient, status 0 marks "no answer".
        BackendError::Busy {
            status: 0,
            retry_after: None,
        }
    }
}

/// The provider's retry hint: `retry-after-ms`, then `retry-after` in seconds
/// (the HTTP-date form is not used by image providers and is ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let valid = |v: f64| (0.0..1e9).contains(&v);
    if let Some(ms) = get("retry-after-ms").filter(|v| valid(*v)) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    get("retry-after")
        .filter(|v| valid(*v))
        .map(Duration::from_secs_f64)
}

/// Reads a body up to `max` bytes; a larger body is refused, not truncated.
pub(crate) async fn read_capped(
    resp: reqwest::Response,
    max: u64,
    timeout: Duration,
) -> Result<Bytes, BackendError> {
    if resp.content_length().is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    let mut body = BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e, timeout))?;
        if body.len() as u64 + chunk.len() as u64 > max {
            return Err(too_large(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn too_large(max: u64) -> BackendError {
    BackendError::BadResponse(format!("response larger than {max} bytes"))
}

/// The image type from its magic bytes, else `fallback`.
pub(crate) fn sniff_mime(bytes: &[u8], fallback: &str) -> String {
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else {
        fallback
    };
    mime.to_owned()
}

/// Upstream text made safe for an error: the key removed (some providers
/// echo part of it), control characters dropped, length bounded.
pub(crate) fn scrub(text: &str, secret: &str) -> String {
    let text = if secret.len() >= 4 {
        text.replace(secret, "***")
    } else {
        text.to_owned()
    };
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_prefers_milliseconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        h.insert("retry-after-ms", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn sniffs_common_formats() {
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\nrest", "x"), "image/png");
        assert_eq!(sniff_mime(&[0xFF, 0xD8, 0xFF, 0], "x"), "image/jpeg");
        assert_eq!(sniff_mime(b"RIFF\0\0\0\0WEBPVP8 ", "x"), "image/webp");
        assert_eq!(sniff_mime(b"??", "image/png"), "image/png");
    }

    #[test]
    fn scrub_removes_the_key_and_bounds_length() {
        let s = scrub("bad key sk-secret-1 given\n", "sk-secret-1");
        assert_eq!(s, "bad key *** given");
        assert_eq!(scrub(&"a".repeat(1000), "key").len(), MAX_MESSAGE_CHARS);
    }
}
