//! Fetching a user's image from Discord's CDN with a size cap (serenity's
//! `Attachment::download` has none) and a timeout.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;

/// Why an image could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// Larger than the configured cap.
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    /// The CDN did not deliver it.
    #[error("download failed: {0}")]
    Failed(String),
}

/// A client for attachment downloads.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

/// Downloads `url`, refusing anything over `cap` bytes before and while reading.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    url: &str,
    cap: u64,
) -> Result<Bytes, DownloadError> {
    let failed = |e: reqwest::Error| DownloadError::Failed(e.without_url().to_string());
    let response = client
        .get(url)
        .send()
        .await
        .map_err(failed)?
        .error_for_status()
        .map_err(failed)?;
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(DownloadError::TooLarge(cap));
    }
    let mut body = BytesMut::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(failed)?;
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(DownloadError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
