//! Cheap container-level checks the decoders do not make for us: whether a
//! JPEG is complete and whether a GIF, WebP or PNG is animated.
//!
//! These walk the container structure only (markers, chunks, blocks), never
//! pixel data, and treat anything malformed as "no" rather than failing:
//! the decoder is the judge of validity.

use image::ImageFormat;

/// True when the JPEG's markers run from SOI to an EOI.
///
/// zune-jpeg (image's JPEG decoder) pads a cut-off scan with grey and
/// reports success, so an interrupted upload would otherwise reach the model
/// as a half-grey photo.
pub(crate) fn jpeg_is_complete(b: &[u8]) -> bool {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        // Tolerate junk between segments (libjpeg does too): find the next 0xFF.
        let Some(ff) = b
            .get(i..)
            .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
        else {
            return false;
        };
        i += ff;
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = b.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            // Standalone markers carry no length.
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let Some(len) = be_u16(b, i) else {
                    return false;
                };
                if len < 2 {
                    return false;
                }
                i += usize::from(len);
                if i > b.len() {
                    return false;
                }
                if marker == 0xDA {
                    match skip_entropy_data(b, i) {
                        Some(next) => i = next,
                        None => return false,
                    }
                }
            }
        }
    }
}

/// Index of the marker that ends the entropy-coded data starting at `i`.
fn skip_entropy_data(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += b.get(i..)?.iter().position(|&x| x == 0xFF)?;
        match *b.get(i + 1)? {
            // Stuffed zero, restart marker or fill byte: still inside the scan.
            0x00 | 0xD0..=0xD7 | 0xFF => i += 1,
            _ => return Some(i),
        }
    }
}

/// True when the file holds more than one frame (only the first is used).
pub(crate) fn is_animated(format: ImageFormat, b: &[u8]) -> bool {
    match format {
        ImageFormat::Gif => gif_frames_exceed_one(b),
        ImageFormat::WebP => webp_is_animated(b),
        ImageFormat::Png => png_is_animated(b),
        _ => false,
    }
}

/// Counts image descriptors, stopping at the second.
fn gif_frames_exceed_one(b: &[u8]) -> bool {
    // Header (6) + logical screen descriptor (7), then an optional global table.
    let Some(&flags) = b.get(10) else {
        return false;
    };
    let mut i = 13 + colour_table_len(flags);
    let mut frames = 0;
    while let Some(&block) = b.get(i) {
        i += 1;
        match block {
            0x21 => {
                // Extension: a label byte, then sub-blocks.
                i += 1;
                match skip_sub_blocks(b, i) {
                    Some(next) => i = next,
                    None => return false,
                }
            }
            0x2C => {
                frames += 1;
                if frames > 1 {
                    return true;
                }
                let Some(&local) = b.get(i + 8) else {
                    return false;
                };
                // Descriptor (9), local table, LZW minimum code size (1).
                i += 9 + colour_table_len(local) + 1;
                match skip_sub_blocks(b, i) {
                    Some(next) => i = next,
                    None => return false,
                }
            }
            _ => return false, // trailer (0x3B) or garbage
        }
    }
    false
}

fn colour_table_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

/// Index just past a GIF sub-block chain (ended by a zero-length block).
fn skip_sub_blocks(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let len = usize::from(*b.get(i)?);
        i += 1;
        if len == 0 {
            return Some(i);
        }
        i += len;
    }
}

/// The VP8X header's animation flag (bit 1 of its flags byte).
fn webp_is_animated(b: &[u8]) -> bool {
    b.get(0..4) == Some(b"RIFF")
        && b.get(8..16) == Some(b"WEBPVP8X")
        && b.get(20).is_some_and(|f| f & 0x02 != 0)
}

/// An APNG declares itself with an `acTL` chunk before the first `IDAT`.
fn png_is_animated(b: &[u8]) -> bool {
    let mut i = 8;
    while let (Some(len), Some(kind)) = (be_u32(b, i), b.get(i + 4..i + 8)) {
        match kind {
            b"acTL" => return true,
            b"IDAT" => return false,
            _ => {}
        }
        let Some(next) = usize::try_from(len)
            .ok()
            .and_then(|l| i.checked_add(l + 12))
        else {
            return false;
        };
        i = next;
    }
    false
}

fn be_u16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn be_u32(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_completeness_follows_markers_not_file_end() {
        // SOI, a COM segment holding a fake EOI, SOS with stuffed data, EOI.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, 0xFF, 0xD9];
        j.extend([
            0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56,
        ]);
        assert!(!jpeg_is_complete(&j), "no EOI after the scan yet");
        j.extend([0xFF, 0xD9]);
        assert!(jpeg_is_complete(&j));
        assert!(!jpeg_is_complete(&j[..7]));
        assert!(!jpeg_is_complete(b""));
    }

    #[test]
    fn webp_animation_flag_is_read_from_vp8x() {
        let mut w = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0".to_vec();
        assert!(webp_is_animated(&w));
        w[20] = 0x10; // alpha only
        assert!(!webp_is_animated(&w));
    }
}
