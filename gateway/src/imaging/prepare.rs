//! Turning an upload into what a model receives: decoded within limits,
//! downscaled, upright, re-encoded from pixels (so no metadata survives).

use image::ImageFormat;

use super::decode::{Decoded, InputLimits, decode};
use super::pixels::{Pixels, fit_long_side};
use super::{ImageError, PreparedImage, encode};

/// What the model can use; larger inputs only cost upload time and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Longest side after preparation, in pixels; smaller images are not upscaled.
    pub long_side: u32,
    /// Keep transparency (sent as PNG) when the image really has some;
    /// otherwise it is flattened onto white and sent as JPEG.
    pub keep_alpha: bool,
}

impl Target {
    /// An opaque photo input with this long side.
    pub fn photo(long_side: u32) -> Self {
        Self {
            long_side,
            keep_alpha: false,
        }
    }
}

impl Default for Target {
    /// 1536 px (the largest side GPT image models generate), alpha kept.
    fn default() -> Self {
        Self {
            long_side: 1536,
            keep_alpha: true,
        }
    }
}

/// A prepared input and what the user may want to be told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The bytes to send upstream.
    pub image: PreparedImage,
    /// The upload was animated (GIF, WebP, APNG): only its first frame is used.
    pub first_frame_only: bool,
    /// The upload was larger than the target and was downscaled.
    pub downscaled: bool,
    /// The format the upload arrived in.
    pub source_format: ImageFormat,
}

/// Prepares an uploaded image for a model: decode within `limits`, apply
/// EXIF orientation, downscale to `target`, re-encode (JPEG q90, or PNG
/// when transparency matters). Never panics on any input.
pub fn prepare(bytes: &[u8], limits: &InputLimits, target: Target) -> Result<Prepared, ImageError> {
    let Decoded {
        image,
        format,
        orientation,
        animated,
        stored,
    } = decode(bytes, limits, Some(target.long_side))?;
    let (w, h) = (image.width(), image.height());
    let (tw, th) = fit_long_side(w, h, target.long_side);
    // A DCT-scaled JPEG is already smaller than the upload.
    let downscaled = (tw, th) != stored;
    let pixels = Pixels::from_image(image, target.keep_alpha).resize(tw, th)?;
    // Orienting after the resize rotates a quarter of the pixels a 12 MP photo has.
    let mut oriented = pixels.into_dynamic();
    oriented.apply_orientation(orientation);
    let image = encode::for_model(&Pixels::from_dynamic(oriented))?;
    Ok(Prepared {
        image,
        first_frame_only: animated,
        downscaled,
        source_format: format,
    })
}

/// Prepares an edit mask: transparent where the model may paint. Oriented
/// like an input, resized to exactly `size` (the first prepared input's
/// width and height, as the OpenAI edits endpoint requires), sent as PNG.
pub fn prepare_mask(
    bytes: &[u8],
    limits: &InputLimits,
    size: (u32, u32),
) -> Result<PreparedImage, ImageError> {
    let decoded = decode(bytes, limits, None)?;
    if !decoded.image.color().has_alpha() {
        return Err(ImageError::MaskWithoutAlpha);
    }
    let mut image = decoded.image;
    image.apply_orientation(decoded.orientation);
    let rgba = image.into_rgba8();
    // An alpha channel that is opaque everywhere marks nothing to edit.
    if rgba.pixels().all(|p| p.0[3] == u8::MAX) {
        return Err(ImageError::MaskWithoutAlpha);
    }
    let pixels = Pixels::Rgba(rgba);
    let (width, height) = size;
    if width == 0 || height == 0 {
        return Err(ImageError::Internal(format!(
            "mask target size {width}x{height}"
        )));
    }
    let pixels = pixels.resize(width, height)?;
    Ok(PreparedImage {
        bytes: encode::png(&pixels)?.into(),
        mime: "image/png",
        width,
        height,
    })
}
