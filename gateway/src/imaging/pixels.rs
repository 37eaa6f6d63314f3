//! Pixel-level steps shared by inputs and previews: 8-bit conversion, the
//! transparency test, flattening onto white, and SIMD downscaling.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, RgbImage, RgbaImage};

use super::ImageError;

/// 8-bit pixels in the two layouts our encoders take.
pub(crate) enum Pixels {
    /// Opaque.
    Rgb(RgbImage),
    /// With transparency that matters.
    Rgba(RgbaImage),
}

impl Pixels {
    /// Converts any decoded layout (grey, palette, 16-bit, CMYK already turned
    /// into RGB by the decoder) to 8-bit RGB, or RGBA when `keep_alpha` and
    /// some pixel is not fully opaque. Dropped transparency is flattened onto
    /// white: discarding alpha would reveal whatever colour hides under it.
    pub(crate) fn from_image(image: DynamicImage, keep_alpha: bool) -> Self {
        if !image.color().has_alpha() {
            return Self::Rgb(image.into_rgb8());
        }
        let rgba = image.into_rgba8();
        let transparent = rgba.pixels().any(|p| p.0[3] != u8::MAX);
        match (transparent, keep_alpha) {
            (true, true) => Self::Rgba(rgba),
            (true, false) => Self::Rgb(flatten_on_white(&rgba)),
            (false, _) => Self::Rgb(DynamicImage::ImageRgba8(rgba).into_rgb8()),
        }
    }

    /// Width and height in pixels.
    pub(crate) fn dimensions(&self) -> (u32, u32) {
        match self {
            Self::Rgb(i) => i.dimensions(),
            Self::Rgba(i) => i.dimensions(),
        }
    }

    /// Resamples to exactly `width` x `height` (Lanczos3; a no-op at the same size).
    pub(crate) fn resize(self, width: u32, height: u32) -> Result<Self, ImageError> {
        if self.dimensions() == (width, height) {
            return Ok(self);
        }
        self.resized(width, height)
    }

    /// A resampled copy at `width` x `height`, leaving `self` for another try.
    pub(crate) fn resized(&self, width: u32, height: u32) -> Result<Self, ImageError> {
        Ok(match self {
            Self::Rgb(i) => {
                let buf = resize_raw(i, i.width(), i.height(), width, height, PixelType::U8x3)?;
                Self::Rgb(RgbImage::from_raw(width, height, buf).ok_or_else(size_mismatch)?)
            }
            Self::Rgba(i) => {
                let buf = resize_raw(i, i.width(), i.height(), width, height, PixelType::U8x4)?;
                Self::Rgba(RgbaImage::from_raw(width, height, buf).ok_or_else(size_mismatch)?)
            }
        })
    }

    /// Hands the pixels back to `image` (for orientation and PNG encoding).
    pub(crate) fn into_dynamic(self) -> DynamicImage {
        match self {
            Self::Rgb(i) => DynamicImage::ImageRgb8(i),
            Self::Rgba(i) => DynamicImage::ImageRgba8(i),
        }
    }

    /// Inverse of [`Pixels::into_dynamic`] for the two 8-bit layouts we produce.
    pub(crate) fn from_dynamic(image: DynamicImage) -> Self {
        match image {
            DynamicImage::ImageRgba8(i) => Self::Rgba(i),
            other => Self::Rgb(other.into_rgb8()),
        }
    }
}

/// The size that brings the long side down to `long_side`, keeping the
/// aspect ratio; never upscales, never returns a zero side.
pub(crate) fn fit_long_side(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side || long_side == 0 {
        return (width, height);
    }
    let scale = f64::from(long_side) / f64::from(long);
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, long_side);
    (side(width), side(height))
}

/// Blends RGBA onto an opaque white background.
pub(crate) fn flatten_on_white(rgba: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = u16::from(a);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn resize_raw(
    src: &[u8],
    src_w: u32,
    src_h: u32,
    dst_w: u32,
    dst_h: u32,
    pixel: PixelType,
) -> Result<Vec<u8>, ImageError> {
    let src = ImageRef::new(src_w, src_h, src, pixel).map_err(internal)?;
    let mut dst = Image::new(dst_w, dst_h, pixel);
    // Lanczos3 keeps downscaled photos sharp; for RGBA the resizer
    // premultiplies alpha so transparent pixels do not bleed their colour.
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(internal)?;
    Ok(dst.into_vec())
}

fn internal(e: impl std::fmt::Display) -> ImageError {
    ImageError::Internal(format!("resize: {e}"))
}

fn size_mismatch() -> ImageError {
    ImageError::Internal("resize produced a buffer of the wrong size".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_long_side_only_shrinks_and_keeps_the_ratio() {
        assert_eq!(fit_long_side(4000, 3000, 1536), (1536, 1152));
        assert_eq!(fit_long_side(3000, 4000, 1536), (1152, 1536));
        assert_eq!(fit_long_side(800, 600, 1536), (800, 600));
        assert_eq!(fit_long_side(100_000, 1, 1000), (1000, 1));
    }

    #[test]
    fn flattening_blends_towards_white() {
        let img = RgbaImage::from_pixel(1, 1, image::Rgba([0, 0, 0, 0]));
        assert_eq!(flatten_on_white(&img).get_pixel(0, 0).0, [255, 255, 255]);
        let img = RgbaImage::from_pixel(1, 1, image::Rgba([0, 0, 0, 255]));
        assert_eq!(flatten_on_white(&img).get_pixel(0, 0).0, [0, 0, 0]);
    }
}
