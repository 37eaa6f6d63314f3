//! Imaging behaviour on a generated corpus: hostile and broken files are
//! refused with distinct errors, unusual valid images are converted
//! correctly, metadata never survives, previews respect platform limits.

#[path = "imaging/corpus.rs"]
mod corpus;
#[path = "imaging/outputs.rs"]
mod outputs;
#[path = "imaging/robustness.rs"]
mod robustness;

use corpus::{BLUE, GREEN, RED, near};
use easel_gateway::imaging::{ImageError, InputLimits, Prepared, Target, prepare, prepare_mask};
use image::{DynamicImage, GenericImageView, GrayImage, ImageDecoder, Luma, Rgba, RgbaImage};

fn prep(bytes: &[u8]) -> Result<Prepared, ImageError> {
    prepare(bytes, &InputLimits::default(), Target::default())
}

fn rgb_at(bytes: &[u8], x: u32, y: u32) -> [u8; 3] {
    corpus::decode(bytes).to_rgb8().get_pixel(x, y).0
}

#[test]
fn forged_100000_square_png_header_is_refused_before_allocation() {
    let bomb = corpus::forged_png_header(100_000, 100_000);
    // Allocating these pixels would need 40 GB: an Err here (rather than an
    // abort) shows the header alone was judged.
    let err = prep(&bomb).unwrap_err();
    assert_eq!(
        err,
        ImageError::TooLarge {
            max_megapixels: 64,
            max_side: 16_384
        }
    );
    assert_eq!(err.key(), "image.too_large");
    assert_eq!(
        err.to_string(),
        "the image is too large: at most 64 megapixels and 16384 pixels per side"
    );
}

#[test]
fn header_within_side_limit_but_over_pixel_budget_is_refused() {
    // 256 megapixels, each side under the 16384 limit.
    let bomb = corpus::forged_png(16_000, 16_000);
    assert_eq!(prep(&bomb).unwrap_err().key(), "image.too_large");
    // The same file at a size within the budget is judged on its data instead.
    assert_ne!(
        prep(&corpus::forged_png(100, 100)).unwrap_err().key(),
        "image.too_large"
    );
}

#[test]
fn truncated_jpeg_is_refused_as_truncated() {
    let whole = corpus::jpeg(&corpus::photo_like(256, 192), 90);
    assert!(prep(&whole).is_ok(), "the untruncated file is fine");
    let cut = &whole[..whole.len() * 6 / 10];
    let err = prep(cut).unwrap_err();
    assert_eq!(err, ImageError::Truncated);
    assert_eq!(err.key(), "image.truncated");
}

#[test]
fn zero_bytes_are_refused_as_empty() {
    assert_eq!(prep(b"").unwrap_err(), ImageError::Empty);
}

#[test]
fn text_file_named_png_is_not_an_image() {
    // Only content counts, never the name: "notes.png" is text.
    let err = prep(b"hello, this is a shopping list\nmilk\n").unwrap_err();
    assert_eq!(err, ImageError::NotAnImage);
    assert_eq!(err.to_string(), "this file is not an image");
}

#[test]
fn known_but_unaccepted_format_is_unsupported() {
    let bmp = b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0";
    let err = prep(bmp).unwrap_err();
    assert_eq!(err.key(), "image.unsupported_format");
    assert!(err.to_string().contains("BMP"), "{err}");
}

#[test]
fn file_over_the_byte_limit_is_refused_before_parsing() {
    let limits = InputLimits {
        max_bytes: 1_000_000,
        ..InputLimits::default()
    };
    let err = prepare(&vec![0u8; 1_000_001], &limits, Target::default()).unwrap_err();
    assert_eq!(err, ImageError::TooManyBytes { max_mb: 1 });
}

#[test]
fn error_keys_are_distinct() {
    let all = [
        ImageError::Empty,
        ImageError::TooManyBytes { max_mb: 1 },
        ImageError::NotAnImage,
        ImageError::UnsupportedFormat {
            format: "BMP".into(),
        },
        ImageError::TooLarge {
            max_megapixels: 1,
            max_side: 1,
        },
        ImageError::Truncated,
        ImageError::Corrupt,
        ImageError::MaskWithoutAlpha,
        ImageError::Internal("x".into()),
    ];
    let keys: std::collections::HashSet<_> = all.iter().map(ImageError::key).collect();
    assert_eq!(keys.len(), all.len());
    assert!(all.iter().filter(|e| !e.is_user_error()).count() == 1);
}

#[test]
fn cmyk_jpeg_is_converted_to_the_right_colours() {
    let out = prep(&corpus::cmyk_jpeg()).expect("cmyk accepted");
    assert_eq!(out.image.mime, "image/jpeg");
    let (w, h) = (out.image.width, out.image.height);
    assert_eq!((w, h), (48, 16));
    let cyan = rgb_at(&out.image.bytes, 8, 8);
    let magenta = rgb_at(&out.image.bytes, 24, 8);
    let yellow = rgb_at(&out.image.bytes, 40, 8);
    assert!(near(cyan, [0, 255, 255], 40), "cyan came out {cyan:?}");
    assert!(
        near(magenta, [255, 0, 255], 40),
        "magenta came out {magenta:?}"
    );
    assert!(
        near(yellow, [255, 255, 0], 40),
        "yellow came out {yellow:?}"
    );
}

#[test]
fn sixteen_bit_png_is_scaled_to_eight_bits() {
    let out = prep(&corpus::png16()).expect("16-bit accepted");
    assert_eq!((out.image.width, out.image.height), (24, 16));
    let px = rgb_at(&out.image.bytes, 12, 8);
    assert!(near(px, [255, 128, 0], 8), "{px:?}");
}

#[test]
fn greyscale_png_becomes_grey_rgb() {
    let grey = DynamicImage::ImageLuma8(GrayImage::from_pixel(20, 20, Luma([90])));
    let out = prep(&corpus::png(&grey)).expect("greyscale accepted");
    assert_eq!(out.image.mime, "image/jpeg");
    let px = rgb_at(&out.image.bytes, 10, 10);
    assert!(near(px, [90, 90, 90], 3), "{px:?}");
}

#[test]
fn palette_png_with_transparency_keeps_alpha_when_asked() {
    let out = prep(&corpus::palette_png()).expect("palette accepted");
    assert_eq!(out.image.mime, "image/png");
    let img = corpus::decode(&out.image.bytes).to_rgba8();
    assert_eq!(img.get_pixel(0, 0).0, [255, 0, 0, 255]);
    assert_eq!(
        img.get_pixel(2, 0).0[3],
        0,
        "transparent entry stays transparent"
    );
}

#[test]
fn transparency_is_flattened_onto_white_for_opaque_targets() {
    let out = prepare(
        &corpus::palette_png(),
        &InputLimits::default(),
        Target::photo(1536),
    )
    .expect("palette accepted");
    assert_eq!(out.image.mime, "image/jpeg");
    assert!(near(rgb_at(&out.image.bytes, 3, 1), [255, 255, 255], 8));
    assert!(near(rgb_at(&out.image.bytes, 0, 1), RED, 60));
}

#[test]
fn opaque_rgba_is_sent_as_jpeg() {
    let rgba = RgbaImage::from_pixel(30, 30, Rgba([10, 20, 30, 255]));
    let out = prep(&corpus::webp_lossless(&rgba)).expect("webp accepted");
    assert_eq!(out.image.mime, "image/jpeg");
}

#[test]
fn animated_gif_uses_the_first_frame_and_says_so() {
    let out = prep(&corpus::animated_gif()).expect("gif accepted");
    assert!(out.first_frame_only);
    assert_eq!((out.image.width, out.image.height), (20, 10));
    let px = rgb_at(&out.image.bytes, 10, 5);
    assert!(near(px, RED, 30), "first frame is red, got {px:?}");
    assert!(!near(px, BLUE, 100));
}

#[test]
fn animated_webp_uses_the_first_frame_and_says_so() {
    let out = prep(&corpus::animated_webp()).expect("animated webp accepted");
    assert!(out.first_frame_only);
    assert_eq!((out.image.width, out.image.height), (20, 10));
    let px = rgb_at(&out.image.bytes, 10, 5);
    assert!(near(px, RED, 30), "first frame is red, got {px:?}");
}

#[test]
fn still_images_are_not_flagged_as_animated() {
    let out = prep(&corpus::jpeg(&corpus::marked(40, 40), 90)).expect("jpeg");
    assert!(!out.first_frame_only);
    assert!(!out.downscaled);
}

#[test]
fn exif_rotated_jpeg_comes_out_upright() {
    // Stored 64 wide, 32 high; Orientation 6 means "rotate 90 degrees clockwise to view".
    let stored = corpus::jpeg(&corpus::marked(64, 32), 95);
    let rotated = corpus::with_exif(&stored, &corpus::exif_orientation(6));
    let out = prep(&rotated).expect("rotated jpeg");
    assert_eq!((out.image.width, out.image.height), (32, 64));
    // The stored top-left corner is now the top-right one.
    assert!(near(rgb_at(&out.image.bytes, 32 - 8, 8), RED, 60));
    assert!(near(rgb_at(&out.image.bytes, 8, 8), GREEN, 60));
    assert!(near(rgb_at(&out.image.bytes, 32 - 8, 64 - 8), GREEN, 60));
}

#[test]
fn gps_exif_never_reaches_the_output() {
    let stored = corpus::jpeg(&corpus::marked(64, 48), 90);
    let tagged = corpus::with_exif(&stored, &corpus::exif_gps());
    assert!(
        corpus::jpeg_segments(&tagged)
            .iter()
            .any(|(m, _)| *m == 0xE1)
    );
    let out = prep(&tagged).expect("tagged jpeg");
    let segments = corpus::jpeg_segments(&out.image.bytes);
    assert!(
        segments.iter().all(|(m, _)| *m != 0xE1),
        "no APP1 (EXIF/XMP) segment"
    );
    assert!(!out.image.bytes.windows(4).any(|w| w == b"Exif"));
    let mut decoder = image::ImageReader::new(std::io::Cursor::new(&out.image.bytes[..]))
        .with_guessed_format()
        .expect("format")
        .into_decoder()
        .expect("decoder");
    assert_eq!(decoder.exif_metadata().expect("read"), None);
}

#[test]
fn large_photo_is_downscaled_to_the_target_long_side() {
    let big = corpus::jpeg(&corpus::photo_like(3000, 2000), 92);
    let out = prep(&big).expect("photo");
    assert!(out.downscaled);
    assert_eq!((out.image.width, out.image.height), (1536, 1024));
    assert_eq!(corpus::decode(&out.image.bytes).dimensions(), (1536, 1024));
}

#[test]
fn dct_scaled_jpeg_decode_matches_the_full_size_path() {
    // 3200 px is over twice the target, so the JPEG is decoded at 1/2 scale;
    // the same pixels as PNG take the full-size path.
    let photo = corpus::photo_like(3200, 2400);
    let via_jpeg = prep(&corpus::jpeg(&photo, 95)).expect("jpeg");
    let via_png = prep(&corpus::png(&DynamicImage::ImageRgb8(photo))).expect("png");
    assert!(via_jpeg.downscaled);
    let dims = |p: &Prepared| (p.image.width, p.image.height);
    assert_eq!(dims(&via_jpeg), (1536, 1152));
    assert_eq!(dims(&via_jpeg), dims(&via_png));
    let a = corpus::decode(&via_jpeg.image.bytes).to_rgb8();
    let b = corpus::decode(&via_png.image.bytes).to_rgb8();
    let diff: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let mean = diff as f64 / a.as_raw().len() as f64;
    assert!(mean < 4.0, "mean difference {mean:.2} levels");
}

#[test]
fn mask_keeps_alpha_and_takes_the_first_inputs_size() {
    let mask = RgbaImage::from_fn(100, 50, |x, _| {
        if x < 50 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 0, 255])
        }
    });
    let limits = InputLimits::default();
    let out = prepare_mask(
        &corpus::png(&DynamicImage::ImageRgba8(mask)),
        &limits,
        (64, 40),
    )
    .expect("mask");
    assert_eq!((out.mime, out.width, out.height), ("image/png", 64, 40));
    let img = corpus::decode(&out.bytes).to_rgba8();
    assert_eq!(img.dimensions(), (64, 40));
    assert_eq!(img.get_pixel(5, 20).0[3], 0, "edit area stays transparent");
    assert_eq!(img.get_pixel(60, 20).0[3], 255, "kept area stays opaque");
}

#[test]
fn mask_without_transparency_is_refused() {
    let opaque = corpus::png(&DynamicImage::ImageRgb8(corpus::marked(20, 20)));
    let err = prepare_mask(&opaque, &InputLimits::default(), (20, 20)).unwrap_err();
    assert_eq!(err, ImageError::MaskWithoutAlpha);
}
