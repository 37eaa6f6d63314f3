//! DCT-scaled JPEG decoding: when the target is at least half the stored
//! size, decode at 1/2, 1/4 or 1/8 scale straight from the DCT
//! coefficients (what libjpeg's "draft" mode does), skipping most of the
//! IDCT, upsampling and colour conversion and a full-size pixel buffer.
//! zune-jpeg, image's JPEG decoder, cannot do this; jpeg-decoder can.

use image::{DynamicImage, GrayImage, RgbImage};
use jpeg_decoder::{Decoder, PixelFormat};

use super::pixels::fit_long_side;

/// The image decoded at the largest DCT scale still covering
/// `long_side`, or `None` when scaling would not help or jpeg-decoder
/// cannot handle the file (CMYK, arithmetic coding, any error): the
/// caller then takes the full-size path, which reports errors properly.
pub(crate) fn decode(
    bytes: &[u8],
    (width, height): (u32, u32),
    long_side: u32,
    max_alloc: u64,
) -> Option<DynamicImage> {
    let (tw, th) = fit_long_side(width, height, long_side);
    if tw.saturating_mul(2) > width || th.saturating_mul(2) > height {
        return None;
    }
    let mut decoder = Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(usize::try_from(max_alloc).unwrap_or(usize::MAX));
    let (sw, sh) = decoder
        .scale(u16::try_from(tw).ok()?, u16::try_from(th).ok()?)
        .ok()?;
    let format = decoder.info()?.pixel_format;
    if !matches!(format, PixelFormat::RGB24 | PixelFormat::L8) {
        return None;
    }
    let pixels = decoder.decode().ok()?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    match format {
        PixelFormat::RGB24 => RgbImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageRgb8),
        PixelFormat::L8 => GrayImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageLuma8),
        _ => None,
    }
}
