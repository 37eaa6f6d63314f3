//! Decoding untrusted bytes with limits: every refusal becomes a distinct
//! [`ImageError`], and the pixel buffer is only allocated after the header
//! has been checked against [`InputLimits`].

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::error::LimitErrorKind;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{ImageError, scaled, sniff};

/// Bounds on what an upload may cost us before we refuse it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLimits {
    /// Largest accepted file, checked before anything is parsed.
    pub max_bytes: usize,
    /// Longest accepted side, in pixels.
    pub max_side: u32,
    /// Most pixels (width x height) accepted; the decompression-bomb guard.
    pub max_pixels: u64,
    /// Most bytes the decoder may allocate for pixels and its own buffers.
    pub max_alloc: u64,
}

impl Default for InputLimits {
    /// 25 MB files, 16384 px sides, 64 megapixels (a 48 MP phone photo
    /// fits), 512 MiB of decoder memory.
    fn default() -> Self {
        Self {
            max_bytes: 25_000_000,
            max_side: 16_384,
            max_pixels: 64_000_000,
            max_alloc: 512 * 1024 * 1024,
        }
    }
}

impl InputLimits {
    fn too_large(&self) -> ImageError {
        ImageError::TooLarge {
            max_megapixels: self.max_pixels / 1_000_000,
            max_side: self.max_side,
        }
    }
}

/// A decoded image and what the container told us about it.
pub(crate) struct Decoded {
    pub(crate) image: DynamicImage,
    pub(crate) format: ImageFormat,
    /// EXIF orientation, applied by the caller (after resizing, where it is cheaper).
    pub(crate) orientation: Orientation,
    /// The file had more frames than the one decoded.
    pub(crate) animated: bool,
    /// Width and height as stored in the file (`image` may be smaller: DCT scaling).
    pub(crate) stored: (u32, u32),
}

/// The formats we decode; anything else recognised is "unsupported".
const ACCEPTED: [ImageFormat; 4] = [
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::Gif,
    ImageFormat::WebP,
];

/// Checks size and format, then returns the format without decoding pixels.
pub(crate) fn sniff_format(bytes: &[u8], limits: &InputLimits) -> Result<ImageFormat, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooManyBytes {
            max_mb: (limits.max_bytes / 1_000_000) as u64,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| ImageError::NotAnImage)?;
    if !ACCEPTED.contains(&format) {
        return Err(ImageError::UnsupportedFormat {
            format: format!("{format:?}").to_uppercase(),
        });
    }
    Ok(format)
}

/// Reads only the header (and, for JPEG, walks the markers): format and
/// dimensions, after the same checks as [`decode`].
pub(crate) fn header(
    bytes: &[u8],
    limits: &InputLimits,
) -> Result<(ImageFormat, u32, u32), ImageError> {
    let format = sniff_format(bytes, limits)?;
    if format == ImageFormat::Jpeg && !sniff::jpeg_is_complete(bytes) {
        return Err(ImageError::Truncated);
    }
    let guarded = catch_unwind(AssertUnwindSafe(|| {
        let decoder = open(bytes, format, limits)?;
        let (w, h) = decoder.dimensions();
        check_size(&*decoder, limits)?;
        Ok((format, w, h))
    }));
    guarded.unwrap_or(Err(ImageError::Corrupt))
}

/// Decodes the first frame of `bytes` within `limits`. With `long_side`,
/// a large JPEG may come back smaller, but never below that long side.
pub(crate) fn decode(
    bytes: &[u8],
    limits: &InputLimits,
    long_side: Option<u32>,
) -> Result<Decoded, ImageError> {
    let format = sniff_format(bytes, limits)?;
    if format == ImageFormat::Jpeg && !sniff::jpeg_is_complete(bytes) {
        return Err(ImageError::Truncated);
    }
    let animated = sniff::is_animated(format, bytes);
    // A decoder bug must cost one request, not the worker: turn a panic into "corrupt".
    let guarded = catch_unwind(AssertUnwindSafe(|| {
        let mut decoder = open(bytes, format, limits)?;
        check_size(&*decoder, limits)?;
        // Broken EXIF is common and harmless: show the image as stored.
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let stored = decoder.dimensions();
        let scaled = match long_side {
            Some(long) if format == ImageFormat::Jpeg => {
                scaled::decode(bytes, decoder.dimensions(), long, limits.max_alloc)
            }
            _ => None,
        };
        let image = match scaled {
            Some(image) => image,
            None => DynamicImage::from_decoder(decoder).map_err(|e| classify(e, format, limits))?,
        };
        Ok(Decoded {
            image,
            format,
            orientation,
            animated,
            stored,
        })
    }));
    guarded.unwrap_or(Err(ImageError::Corrupt))
}

fn open<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    limits: &InputLimits,
) -> Result<Box<dyn ImageDecoder + 'a>, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut l = Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    reader.limits(l);
    let decoder = reader
        .into_decoder()
        .map_err(|e| classify(e, format, limits))?;
    Ok(Box::new(decoder))
}

/// Refuses by the header's numbers, before the pixel buffer exists.
fn check_size(decoder: &dyn ImageDecoder, limits: &InputLimits) -> Result<(), ImageError> {
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(ImageError::Corrupt);
    }
    let too_big = w > limits.max_side
        || h > limits.max_side
        || u64::from(w) * u64::from(h) > limits.max_pixels
        || decoder.total_bytes() > limits.max_alloc;
    if too_big {
        return Err(limits.too_large());
    }
    Ok(())
}

/// Maps image's error to ours. Decoders report truncation in different
/// shapes (an I/O EOF, or a decoding error whose text says so), hence the
/// text match as a last resort.
fn classify(e: image::ImageError, format: ImageFormat, limits: &InputLimits) -> ImageError {
    use image::ImageError as E;
    match e {
        E::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                limits.too_large()
            }
            _ => ImageError::Internal(l.to_string()),
        },
        // The format is one we accept, so a variant of it is not (e.g. 12-bit JPEG).
        E::Unsupported(_) => ImageError::UnsupportedFormat {
            format: format!("this kind of {format:?}").to_uppercase(),
        },
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => ImageError::Truncated,
        other => {
            let text = other.to_string().to_lowercase();
            let cut = [
                "eof",
                "end of file",
                "unexpected end",
                "truncat",
                "not enough data",
            ];
            if cut.iter().any(|c| text.contains(c)) {
                ImageError::Truncated
            } else {
                ImageError::Corrupt
            }
        }
    }
}
