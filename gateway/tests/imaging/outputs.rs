//! Previews of provider results: the original is handed back untouched when
//! it fits, and a derived JPEG respects the platform's limits.

use bytes::Bytes;
use easel_gateway::imaging::{AI_GENERATED_SOURCE_TYPE, PreviewLimits, original_fits, preview};
use image::{DynamicImage, GenericImageView};

use super::corpus::{self, GREEN, RED, near};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn big_png_gets_a_jpeg_preview_within_telegram_limits() {
    let original = Bytes::from(corpus::png(&DynamicImage::ImageRgb8(corpus::marked(
        6000, 5000,
    ))));
    let limits = PreviewLimits::telegram_photo();
    assert!(!original_fits(&original, &limits).expect("header"));

    let p = preview(&original, &limits).expect("preview");
    assert!(p.derived);
    let img = &p.image;
    assert_eq!(img.mime, "image/jpeg");
    assert!(img.bytes.len() <= 10_000_000);
    assert!(
        img.width + img.height <= 10_000,
        "{}x{}",
        img.width,
        img.height
    );
    assert!(img.width.max(img.height) <= 20 * img.width.min(img.height));
    let decoded = corpus::decode(&img.bytes);
    assert_eq!(decoded.dimensions(), (img.width, img.height));
    // Same picture: the red corner and green body are where they were.
    assert!(near(decoded.to_rgb8().get_pixel(2, 2).0, RED, 60));
    assert!(near(
        decoded.to_rgb8().get_pixel(img.width / 2, img.height / 2).0,
        GREEN,
        30
    ));
}

#[test]
fn derived_preview_is_marked_ai_generated_and_carries_no_exif() {
    let original = Bytes::from(corpus::png(&DynamicImage::ImageRgb8(corpus::marked(
        6000, 5000,
    ))));
    let p = preview(&original, &PreviewLimits::telegram_photo()).expect("preview");
    let segments = corpus::jpeg_segments(&p.image.bytes);
    let app1: Vec<_> = segments.iter().filter(|(m, _)| *m == 0xE1).collect();
    assert_eq!(app1.len(), 1, "exactly one APP1: our XMP");
    assert!(app1[0].1.starts_with(b"http://ns.adobe.com/xap/1.0/\0"));
    assert!(contains(&app1[0].1, AI_GENERATED_SOURCE_TYPE.as_bytes()));
    assert!(!contains(&p.image.bytes, b"Exif\0\0"));
}

#[test]
fn small_jpeg_is_returned_untouched() {
    let original = Bytes::from(corpus::jpeg(&corpus::photo_like(640, 480), 85));
    let limits = PreviewLimits::telegram_photo();
    assert!(original_fits(&original, &limits).expect("header"));
    let p = preview(&original, &limits).expect("preview");
    assert!(!p.derived);
    assert_eq!(p.image.bytes, original, "byte-equal");
    assert_eq!(
        p.image.bytes.as_ptr(),
        original.as_ptr(),
        "same buffer, no copy"
    );
    assert_eq!(
        (p.image.mime, p.image.width, p.image.height),
        ("image/jpeg", 640, 480)
    );
}

#[test]
fn very_wide_image_is_letterboxed_to_the_ratio_limit() {
    let strip = corpus::png(&DynamicImage::ImageRgb8(corpus::marked(4200, 100)));
    let p = preview(&Bytes::from(strip), &PreviewLimits::telegram_photo()).expect("preview");
    assert!(p.derived, "ratio 42 breaks Telegram's limit of 20");
    let (w, h) = (p.image.width, p.image.height);
    assert!(w <= 20 * h, "{w}x{h}");
    // Padding is white, above and below the strip.
    assert!(near(
        corpus::decode(&p.image.bytes)
            .to_rgb8()
            .get_pixel(w / 2, 0)
            .0,
        [255; 3],
        8
    ));
}

#[test]
fn discord_byte_limit_shrinks_the_preview() {
    let original = Bytes::from(corpus::jpeg(&corpus::photo_like(1600, 1200), 95));
    assert!(original.len() > 150_000);
    let limits = PreviewLimits::discord(150_000);
    let p = preview(&original, &limits).expect("preview");
    assert!(p.derived);
    assert!(
        p.image.bytes.len() <= 150_000,
        "{} bytes",
        p.image.bytes.len()
    );
}

#[test]
fn gif_original_is_not_sent_as_a_photo() {
    let gif = Bytes::from(corpus::animated_gif());
    let p = preview(&gif, &PreviewLimits::telegram_photo()).expect("preview");
    assert!(p.derived);
    assert_eq!(p.image.mime, "image/jpeg");
}

#[test]
fn broken_original_gives_an_error_not_a_preview() {
    let whole = corpus::jpeg(&corpus::photo_like(64, 64), 90);
    let cut = Bytes::copy_from_slice(&whole[..whole.len() / 2]);
    let limits = PreviewLimits::telegram_photo();
    assert_eq!(preview(&cut, &limits).unwrap_err().key(), "image.truncated");
    assert_eq!(
        preview(&Bytes::new(), &limits).unwrap_err().key(),
        "image.empty"
    );
}
