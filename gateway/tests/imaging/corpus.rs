//! The imaging test corpus, generated in memory: valid images in every
//! accepted format and layout, and hostile or broken files built byte by byte.

use std::io::Cursor;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{
    Delay, DynamicImage, ExtendedColorType, Frame, ImageEncoder, ImageFormat, Rgb, RgbImage, Rgba,
    RgbaImage,
};

pub(crate) const RED: [u8; 3] = [255, 0, 0];
pub(crate) const GREEN: [u8; 3] = [0, 160, 0];
pub(crate) const BLUE: [u8; 3] = [0, 0, 255];

/// `w` x `h`, green, with a red 16x16 block in the top-left corner: the
/// corner tells where the top-left ended up after orientation.
pub(crate) fn marked(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < 16 && y < 16 {
            Rgb(RED)
        } else {
            Rgb(GREEN)
        }
    })
}

/// Smooth gradients with a little noise, like a photo (and unlike flat test cards).
pub(crate) fn photo_like(w: u32, h: u32) -> RgbImage {
    let mut seed: u32 = 0x9E37_79B9;
    RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed & 15) as f32 - 8.0;
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let c = |v: f32| (v + noise).clamp(0.0, 255.0) as u8;
        Rgb([
            c(255.0 * fx),
            c(255.0 * fy),
            c(128.0 + 100.0 * (fx * 20.0).sin() * (fy * 15.0).cos()),
        ])
    })
}

pub(crate) fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encode jpeg");
    out
}

pub(crate) fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("encode png");
    out
}

pub(crate) fn webp_lossless(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(img, img.width(), img.height(), ExtendedColorType::Rgba8)
        .expect("encode webp");
    out
}

/// A 16-bit RGB PNG whose 8-bit rendering is exactly [255, 128, 0].
pub(crate) fn png16() -> Vec<u8> {
    let img = image::ImageBuffer::from_pixel(24, 16, Rgb([u16::MAX, 0x8080, 0]));
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            bytemuck_u16(img.as_raw()).as_slice(),
            24,
            16,
            ExtendedColorType::Rgb16,
        )
        .expect("encode png16");
    out
}

/// PNG wants 16-bit samples as big-endian bytes.
fn bytemuck_u16(samples: &[u16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_be_bytes()).collect()
}

/// A palette PNG (colour type 3) with a transparent entry, via the png crate
/// because image's encoder never writes palettes.
pub(crate) fn palette_png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 4, 2);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette(vec![255, 0, 0, 0, 0, 255]);
        enc.set_trns(vec![255, 0]); // entry 1 (blue) fully transparent
        let mut w = enc.write_header().expect("png header");
        w.write_image_data(&[0, 0, 1, 1, 0, 0, 1, 1])
            .expect("png data");
    }
    out
}

/// Two frames, red then blue: decoding must give red.
pub(crate) fn animated_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).expect("repeat");
        for colour in [RED, BLUE] {
            let [r, g, b] = colour;
            let frame = RgbaImage::from_pixel(20, 10, Rgba([r, g, b, 255]));
            enc.encode_frame(Frame::from_parts(
                frame,
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ))
            .expect("gif frame");
        }
    }
    out
}

/// An animated WebP, built by hand (image only writes still WebP): two
/// lossless frames, red then blue, in ANMF chunks behind a VP8X header.
pub(crate) fn animated_webp() -> Vec<u8> {
    let (w, h) = (20u32, 10u32);
    let le24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = kind.to_vec();
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    };
    let mut vp8x = vec![0x02, 0, 0, 0]; // animation flag
    vp8x.extend(le24(w - 1));
    vp8x.extend(le24(h - 1));
    let mut body = b"WEBP".to_vec();
    body.extend(chunk(b"VP8X", &vp8x));
    body.extend(chunk(b"ANIM", &[255, 255, 255, 255, 0, 0]));
    for [r, g, b] in [RED, BLUE] {
        let still = webp_lossless(&RgbaImage::from_pixel(w, h, Rgba([r, g, b, 255])));
        // A still lossless WebP is RIFF, size, WEBP, then the VP8L chunk.
        let vp8l = &still[12..];
        let mut frame = [le24(0), le24(0), le24(w - 1), le24(h - 1), le24(100)].concat();
        frame.push(0b10); // no blending, no disposal
        frame.extend_from_slice(vp8l);
        body.extend(chunk(b"ANMF", &frame));
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// A CMYK JPEG (Adobe APP14, as Photoshop writes them) of pure cyan, magenta, yellow stripes.
pub(crate) fn cmyk_jpeg() -> Vec<u8> {
    let (w, h) = (48u16, 16u16);
    let mut data = Vec::new();
    for _y in 0..h {
        for x in 0..w {
            // C, M, Y, K with 255 = full ink.
            data.extend_from_slice(match x / 16 {
                0 => &[255, 0, 0, 0],
                1 => &[0, 255, 0, 0],
                _ => &[0, 0, 255, 0],
            });
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(&data, w, h, jpeg_encoder::ColorType::Cmyk)
        .expect("encode cmyk");
    out
}

/// Inserts an APP1 Exif segment right after SOI.
pub(crate) fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    let len = u16::try_from(payload.len() + 2).expect("small exif");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A big-endian TIFF header with one IFD entry: Orientation = `value`.
pub(crate) fn exif_orientation(value: u16) -> Vec<u8> {
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    t.extend_from_slice(&1u16.to_be_bytes()); // one entry
    t.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]); // tag 0x0112, SHORT, count 1
    t.extend_from_slice(&value.to_be_bytes());
    t.extend_from_slice(&[0, 0]); // value padding
    t.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    t
}

/// Exif whose IFD0 points to a GPS IFD with latitude 48N 51' 24" (Paris).
pub(crate) fn exif_gps() -> Vec<u8> {
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    // IFD0 at 8: one entry, GPSInfo (0x8825, LONG) -> offset 26.
    t.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    // GPS IFD at 26: LatitudeRef "N", Latitude RATIONAL x3 at offset 56.
    t.extend_from_slice(&[0, 2]);
    t.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    for (num, den) in [(48u32, 1u32), (51, 1), (24, 1)] {
        t.extend_from_slice(&num.to_be_bytes());
        t.extend_from_slice(&den.to_be_bytes());
    }
    t
}

/// A PNG signature and an IHDR declaring `w` x `h` RGBA, correct CRC, no pixel data.
pub(crate) fn forged_png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    out
}

/// Like [`forged_png_header`], plus a tiny IDAT and IEND, so a decoder that
/// reads up to the pixel data finds a well-formed file.
pub(crate) fn forged_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = forged_png_header(w, h);
    // An empty zlib stream: far too little data for the declared pixels.
    for (kind, data) in [
        (
            &b"IDAT"[..],
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
        ),
        (b"IEND", &[]),
    ] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let chunk = [kind, data].concat();
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

/// CRC-32 (IEEE), as PNG chunks use it.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The JPEG segments (marker, payload) before the first scan.
pub(crate) fn jpeg_segments(b: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= b.len() && b[i] == 0xFF {
        let marker = b[i + 1];
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        out.push((marker, b[i + 4..i + 2 + len].to_vec()));
        if marker == 0xDA {
            break;
        }
        i += 2 + len;
    }
    out
}

/// Decodes with the image crate, for checking our outputs.
pub(crate) fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("output decodes")
}

/// True when `a` is within `tolerance` of `b` on every channel (JPEG is lossy).
pub(crate) fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}
