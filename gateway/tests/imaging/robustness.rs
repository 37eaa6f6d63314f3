//! Nothing panics on any input: every prefix and many corrupted copies of
//! valid files in every format come back as `Ok` or a keyed `Err`.

use bytes::Bytes;
use easel_gateway::imaging::{
    ImageError, InputLimits, PreviewLimits, Target, prepare, prepare_mask, preview,
};
use image::{DynamicImage, Rgba, RgbaImage};

use super::corpus;

/// One valid file per format and layout the decoders handle.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let rgba = RgbaImage::from_fn(24, 16, |x, y| Rgba([x as u8 * 10, y as u8 * 15, 90, 128]));
    vec![
        ("jpeg", corpus::jpeg(&corpus::photo_like(40, 24), 85)),
        ("cmyk jpeg", corpus::cmyk_jpeg()),
        (
            "png rgba",
            corpus::png(&DynamicImage::ImageRgba8(rgba.clone())),
        ),
        ("png16", corpus::png16()),
        ("palette png", corpus::palette_png()),
        ("gif", corpus::animated_gif()),
        ("webp", corpus::webp_lossless(&rgba)),
        ("animated webp", corpus::animated_webp()),
        (
            "exif jpeg",
            corpus::with_exif(
                &corpus::jpeg(&corpus::marked(32, 20), 90),
                &corpus::exif_gps(),
            ),
        ),
    ]
}

/// Runs every entry point; returning at all (no panic, no abort) is the point,
/// and an `Err` must carry a key.
fn exercise(bytes: &[u8]) {
    let limits = InputLimits::default();
    for result in [
        prepare(bytes, &limits, Target::default()).map(|p| p.image),
        // A small target sends large-enough JPEGs down the DCT-scaled decoder.
        prepare(bytes, &limits, Target::photo(16)).map(|p| p.image),
        prepare_mask(bytes, &limits, (8, 8)),
        preview(
            &Bytes::copy_from_slice(bytes),
            &PreviewLimits::telegram_photo(),
        )
        .map(|p| p.image),
    ] {
        match result {
            Ok(img) => assert!(img.width > 0 && img.height > 0 && !img.bytes.is_empty()),
            Err(e) => assert!(e.key().starts_with("image."), "{e:?}"),
        }
    }
}

#[test]
fn every_truncation_of_every_format_is_handled() {
    for (name, seed) in seeds() {
        // Every length near the start (headers), then a stride through the data.
        let step = (seed.len() / 200).max(1);
        let lengths = (0..seed.len().min(64)).chain((64..seed.len()).step_by(step));
        let mut refused = 0;
        for len in lengths {
            let cut = &seed[..len];
            exercise(cut);
            if prepare(cut, &InputLimits::default(), Target::default()).is_err() {
                refused += 1;
            }
        }
        assert!(refused > 0, "{name}: some truncation must be refused");
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (_, seed) in seeds() {
        for _ in 0..150 {
            let mut bytes = seed.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            exercise(&bytes);
        }
    }
}

#[test]
fn truncated_jpeg_prefixes_past_the_header_are_truncated_errors() {
    let seed = corpus::jpeg(&corpus::photo_like(64, 48), 90);
    for len in (seed.len() / 2..seed.len() - 2).step_by(37) {
        assert_eq!(
            prepare(&seed[..len], &InputLimits::default(), Target::default()).unwrap_err(),
            ImageError::Truncated,
            "cut at {len} of {}",
            seed.len()
        );
    }
}
