//! Safe image handling: decode user uploads with limits, orient, strip
//! metadata, downscale and re-encode for the model; derive previews of results.
//!
//! Inputs go through [`prepare`] (and [`prepare_mask`]): nothing in the
//! upload but its pixels reaches the provider. Outputs are never modified:
//! [`preview`] hands back the provider's bytes when they fit a platform and
//! derives a JPEG only when they do not.
//!
//! Crates: `image` sniffs, reads headers and EXIF orientation and decodes
//! PNG, GIF, WebP and small JPEGs; `jpeg-decoder` decodes large JPEGs at
//! 1/2..1/8 scale (see `scaled`); `fast_image_resize` downscales (SIMD
//! Lanczos3); `jpeg-encoder` writes JPEG. docs/bench/imaging.md has the numbers.
//!
//! ICC profiles go with the rest of the metadata: a Display P3 photo is
//! read as sRGB and shifts slightly in saturation, which a model input can
//! afford and which keeps every output byte ours.

use bytes::Bytes;

mod decode;
mod encode;
mod error;
mod pixels;
mod prepare;
mod preview;
mod scaled;
mod sniff;

pub use decode::InputLimits;
pub use error::ImageError;
pub use prepare::{Prepared, Target, prepare, prepare_mask};
pub use preview::{AI_GENERATED_SOURCE_TYPE, Preview, PreviewLimits, original_fits, preview};

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

/// Bytes decoding `bytes` may hold at its peak, from the header alone: the
/// file plus its pixels at 4 bytes each (a DCT-scaled JPEG needs less, so
/// this errs high). An unreadable header counts as the file only; the
/// decode then refuses it quickly.
pub fn decode_cost(bytes: &[u8], limits: &InputLimits) -> u64 {
    let file = bytes.len() as u64;
    match decode::header(bytes, limits) {
        Ok((_, w, h)) => file.saturating_add(u64::from(w) * u64::from(h) * 4),
        Err(_) => file,
    }
}
