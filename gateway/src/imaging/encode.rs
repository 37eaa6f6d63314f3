//! Encoding pixels for the wire. Encoders write only what we hand them, so
//! the output carries no EXIF, GPS, XMP or ICC from the upload.

use bytes::Bytes;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use super::pixels::Pixels;
use super::{ImageError, PreparedImage};

/// JPEG quality for model inputs: visually lossless for photos.
pub(crate) const INPUT_JPEG_QUALITY: u8 = 90;

/// Encodes opaque pixels as a baseline JPEG, 4:2:0 like camera photos
/// (jpeg-encoder would default to 4:4:4 at q >= 90: bigger and slower for
/// no visible gain). `app1` adds one APP1 segment (our XMP marker).
pub(crate) fn jpeg(
    img: &RgbImage,
    quality: u8,
    app1: Option<Vec<u8>>,
) -> Result<Vec<u8>, ImageError> {
    let (w, h) = wire_dimensions(img.width(), img.height())?;
    let mut out = Vec::with_capacity(img.as_raw().len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    if let Some(segment) = app1 {
        encoder.add_app_segment(1, segment).map_err(internal)?;
    }
    encoder
        .encode(img.as_raw(), w, h, ColorType::Rgb)
        .map_err(internal)?;
    Ok(out)
}

/// Encodes losslessly, keeping alpha (inputs with transparency, masks).
pub(crate) fn png(pixels: &Pixels) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    // Fast deflate: these bytes cross a LAN or the internet once, and the
    // default level costs several times the CPU for ~10% smaller files.
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    let result = match pixels {
        Pixels::Rgb(i) => {
            encoder.write_image(i, i.width(), i.height(), image::ExtendedColorType::Rgb8)
        }
        Pixels::Rgba(i) => {
            encoder.write_image(i, i.width(), i.height(), image::ExtendedColorType::Rgba8)
        }
    };
    result.map_err(internal)?;
    Ok(out)
}

/// Encodes as JPEG when opaque, PNG when transparency must survive.
pub(crate) fn for_model(pixels: &Pixels) -> Result<PreparedImage, ImageError> {
    let (width, height) = pixels.dimensions();
    let (bytes, mime) = match pixels {
        Pixels::Rgb(i) => (jpeg(i, INPUT_JPEG_QUALITY, None)?, "image/jpeg"),
        Pixels::Rgba(_) => (png(pixels)?, "image/png"),
    };
    Ok(PreparedImage {
        bytes: Bytes::from(bytes),
        mime,
        width,
        height,
    })
}

/// JPEG stores sides as 16-bit numbers.
fn wire_dimensions(w: u32, h: u32) -> Result<(u16, u16), ImageError> {
    match (u16::try_from(w), u16::try_from(h)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(ImageError::Internal(format!(
            "{w}x{h} is too large for JPEG"
        ))),
    }
}

fn internal(e: impl std::fmt::Display) -> ImageError {
    ImageError::Internal(format!("encode: {e}"))
}
