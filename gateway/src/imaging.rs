//! Safe image handling: decode user uploads with limits, orient, strip
//! metadata, downscale and re-encode for the model; derive previews of results.

use bytes::Bytes;

/// An input image ready to send upstream: re-encoded, upright, metadata-free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedImage {
    /// Encoded bytes.
    pub bytes: Bytes,
    /// MIME type: `image/jpeg`, `image/png` or `image/webp`.
    pub mime: &'static str,
    /// Width in pixels after preparation.
    pub width: u32,
    /// Height in pixels after preparation.
    pub height: u32,
}
