//! Previews of results for chat platforms. The provider's bytes are the
//! "original" and are never modified (their C2PA provenance only survives
//! that way); a JPEG preview is derived only when the original breaks the
//! platform's photo limits.
//!
//! A derived preview carries our own marker: one XMP packet (APP1) setting
//! IPTC `DigitalSourceType` to `trainedAlgorithmicMedia`, the IPTC term for
//! AI-generated images that platforms and viewers recognise. Nothing else
//! (no EXIF, no ICC) is written.

use bytes::Bytes;
use image::ImageFormat;

use super::decode::{self, InputLimits};
use super::pixels::Pixels;
use super::{ImageError, PreparedImage, encode};

/// The XMP namespace header that opens an XMP APP1 segment.
const XMP_HEADER: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// The IPTC digital source type for media made by a trained model.
pub const AI_GENERATED_SOURCE_TYPE: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// What a platform accepts as an inline photo or attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLimits {
    /// Largest file the platform takes.
    pub max_bytes: usize,
    /// Largest width + height (Telegram photos: 10000).
    pub max_dimension_sum: Option<u32>,
    /// Largest long side / short side (Telegram photos: 20).
    pub max_aspect_ratio: Option<u32>,
    /// Long side of a derived preview; the platform would shrink it anyway.
    pub preview_long_side: u32,
    /// Limits for decoding the original (provider output is not trusted blindly).
    pub decode: InputLimits,
}

impl PreviewLimits {
    /// Telegram `sendPhoto`: <= 10 MB, width + height <= 10000, ratio <= 20.
    /// Telegram shows photos at most 2560 px, so a preview is not larger.
    pub fn telegram_photo() -> Self {
        Self {
            max_bytes: 10_000_000,
            max_dimension_sum: Some(10_000),
            max_aspect_ratio: Some(20),
            preview_long_side: 2560,
            decode: output_decode_limits(),
        }
    }

    /// A Discord attachment of at most `max_bytes` (the interaction's
    /// `attachment_size_limit`, 10 MiB by default).
    pub fn discord(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            max_dimension_sum: None,
            max_aspect_ratio: None,
            preview_long_side: 4096,
            decode: output_decode_limits(),
        }
    }
}

fn output_decode_limits() -> InputLimits {
    InputLimits {
        max_bytes: 64_000_000,
        ..InputLimits::default()
    }
}

/// An image to show on a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The bytes to send: the original itself, or a derived JPEG.
    pub image: PreparedImage,
    /// False when `image.bytes` is the original, untouched.
    pub derived: bool,
}

/// True when `original` can be sent as it is: a JPEG, PNG or WebP within
/// every limit. Reads the header only.
pub fn original_fits(original: &[u8], limits: &PreviewLimits) -> Result<bool, ImageError> {
    Ok(fitting_original(original, limits)?.is_some())
}

/// The original itself when it fits (same buffer, no re-encode), otherwise
/// a JPEG preview within `limits` marked as AI-generated.
pub fn preview(original: &Bytes, limits: &PreviewLimits) -> Result<Preview, ImageError> {
    if let Some((mime, width, height)) = fitting_original(original, limits)? {
        let image = PreparedImage {
            bytes: original.clone(),
            mime,
            width,
            height,
        };
        return Ok(Preview {
            image,
            derived: false,
        });
    }
    let image = derive(original, limits)?;
    Ok(Preview {
        image,
        derived: true,
    })
}

fn fitting_original(
    original: &[u8],
    limits: &PreviewLimits,
) -> Result<Option<(&'static str, u32, u32)>, ImageError> {
    let (format, w, h) = decode::header(original, &limits.decode)?;
    let mime = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Png => "image/png",
        ImageFormat::WebP => "image/webp",
        _ => return Ok(None),
    };
    let fits = original.len() <= limits.max_bytes
        && limits.max_dimension_sum.is_none_or(|max| w + h <= max)
        && limits
            .max_aspect_ratio
            .is_none_or(|max| w.max(h) <= w.min(h).saturating_mul(max));
    Ok(fits.then_some((mime, w, h)))
}

/// Quality steps tried before shrinking further.
const QUALITIES: [u8; 3] = [87, 75, 60];

fn derive(original: &[u8], limits: &PreviewLimits) -> Result<PreparedImage, ImageError> {
    let decoded = decode::decode(original, &limits.decode, None)?;
    let mut image = decoded.image;
    image.apply_orientation(decoded.orientation);
    let Pixels::Rgb(rgb) = Pixels::from_image(image, false) else {
        return Err(ImageError::Internal("flattening kept alpha".into()));
    };
    let source = Pixels::Rgb(pad_to_ratio(rgb, limits.max_aspect_ratio));
    let (w, h) = source.dimensions();
    let mut factor = (f64::from(limits.preview_long_side) / f64::from(w.max(h))).min(1.0);
    if let Some(max) = limits.max_dimension_sum {
        // One pixel of slack: the short side is rounded up in `scaled`.
        let budget = f64::from(max.saturating_sub(1)) / (f64::from(w) + f64::from(h));
        factor = factor.min(budget);
    }
    // A handful of rounds: quality first, then size; each round shrinks the
    // file, so this ends long before the pixels get silly.
    for _ in 0..6 {
        let (pw, ph) = scaled((w, h), factor);
        let small = source.resized(pw, ph)?;
        let Pixels::Rgb(rgb) = &small else {
            return Err(ImageError::Internal("resize changed the layout".into()));
        };
        for quality in QUALITIES {
            let bytes = encode::jpeg(rgb, quality, Some(xmp_segment()))?;
            if bytes.len() <= limits.max_bytes {
                return Ok(PreparedImage {
                    bytes: bytes.into(),
                    mime: "image/jpeg",
                    width: pw,
                    height: ph,
                });
            }
        }
        factor *= 0.7;
    }
    Err(ImageError::Internal(format!(
        "no preview fits in {} bytes",
        limits.max_bytes
    )))
}

/// Letterboxes onto white so that long / short <= `max_ratio` (cropping
/// would hide part of what the user asked for).
fn pad_to_ratio(rgb: image::RgbImage, max_ratio: Option<u32>) -> image::RgbImage {
    let Some(ratio) = max_ratio.filter(|r| *r > 0) else {
        return rgb;
    };
    let (w, h) = rgb.dimensions();
    let short_needed = w.max(h).div_ceil(ratio);
    if w.min(h) >= short_needed {
        return rgb;
    }
    let (cw, ch) = if w >= h {
        (w, short_needed)
    } else {
        (short_needed, h)
    };
    let mut canvas = image::RgbImage::from_pixel(cw, ch, image::Rgb([255, 255, 255]));
    image::imageops::overlay(
        &mut canvas,
        &rgb,
        i64::from((cw - w) / 2),
        i64::from((ch - h) / 2),
    );
    canvas
}

/// Scales by `factor` (<= 1), the long side rounded down and the short
/// side up, so the aspect ratio never grows past what padding ensured.
fn scaled((w, h): (u32, u32), factor: f64) -> (u32, u32) {
    let down = |v: u32| ((f64::from(v) * factor).floor() as u32).max(1);
    let up = |v: u32| ((f64::from(v) * factor).ceil() as u32).clamp(1, v);
    if w >= h {
        (down(w), up(h))
    } else {
        (up(w), down(h))
    }
}

fn xmp_segment() -> Vec<u8> {
    let packet = format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">",
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
            "<rdf:Description rdf:about=\"\" ",
            "xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\" ",
            "Iptc4xmpExt:DigitalSourceType=\"{}\"/>",
            "</rdf:RDF></x:xmpmeta><?xpacket end=\"r\"?>"
        ),
        AI_GENERATED_SOURCE_TYPE
    );
    [XMP_HEADER, packet.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_never_widens_the_ratio() {
        let (w, h) = scaled((2100, 105), 0.5);
        assert!(w <= h * 20, "{w}x{h}");
        assert_eq!(scaled((100, 100), 1.0), (100, 100));
    }

    #[test]
    fn padding_brings_the_ratio_within_the_limit() {
        let strip = image::RgbImage::new(2100, 10);
        let padded = pad_to_ratio(strip, Some(20));
        assert_eq!(padded.dimensions(), (2100, 105));
        assert_eq!(padded.get_pixel(0, 0).0, [255, 255, 255]);
    }
}
