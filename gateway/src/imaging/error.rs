//! Why an image was refused, in words a user can act on, with a stable key
//! per case so the bot can translate the message.

/// Everything that can go wrong while reading, converting or encoding an image.
///
/// `Display` is plain English for logs and fallbacks; frontends translate
/// [`ImageError::key`] instead.
/// Serde: it crosses the wire from a remote gateway to its frontends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageError {
    /// The upload has no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The upload is larger than the byte limit (checked before decoding).
    #[error("the file is too big: at most {max_mb} MB")]
    TooManyBytes {
        /// The limit, in whole megabytes (10^6 bytes).
        max_mb: u64,
    },
    /// The bytes are not any image format we recognise (text, PDF, ...).
    #[error("this file is not an image")]
    NotAnImage,
    /// A real image format, but not one we accept.
    #[error("this image format ({format}) is not supported: send JPEG, PNG, WebP or GIF")]
    UnsupportedFormat {
        /// The format's usual name, e.g. `TIFF`.
        format: String,
    },
    /// The header declares more pixels or a longer side than allowed:
    /// refused before any pixel memory is allocated (decompression bombs).
    #[error(
        "the image is too large: at most {max_megapixels} megapixels and {max_side} pixels per side"
    )]
    TooLarge {
        /// The pixel-count limit, in megapixels.
        max_megapixels: u64,
        /// The limit on either side, in pixels.
        max_side: u32,
    },
    /// The file stops before the image data ends (an interrupted upload).
    #[error("the image file is incomplete: it looks cut off, please send it again")]
    Truncated,
    /// The file claims to be an image but its contents cannot be decoded.
    #[error("the image is damaged and cannot be read")]
    Corrupt,
    /// A mask must say where to edit with transparency, and this one has none.
    #[error("the mask has no transparent areas: make the parts to change transparent")]
    MaskWithoutAlpha,
    /// Our own encoder or resizer failed on pixels we produced: a bug, not
    /// the user's fault. The detail is for the log only.
    #[error("internal image processing error: {0}")]
    Internal(String),
}

impl ImageError {
    /// Every key [`ImageError::key`] returns: the one list frontends check
    /// their catalogs against (a test fails if a key has no text).
    pub const KEYS: [&'static str; 9] = [
        "image.empty",
        "image.too_many_bytes",
        "image.not_an_image",
        "image.unsupported_format",
        "image.too_large",
        "image.truncated",
        "image.corrupt",
        "image.mask_without_alpha",
        "image.internal",
    ];

    /// Stable message key for translation, e.g. `image.not_an_image`.
    ///
    /// Keys never change once released; add a new variant instead.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Empty => "image.empty",
            Self::TooManyBytes { .. } => "image.too_many_bytes",
            Self::NotAnImage => "image.not_an_image",
            Self::UnsupportedFormat { .. } => "image.unsupported_format",
            Self::TooLarge { .. } => "image.too_large",
            Self::Truncated => "image.truncated",
            Self::Corrupt => "image.corrupt",
            Self::MaskWithoutAlpha => "image.mask_without_alpha",
            Self::Internal(_) => "image.internal",
        }
    }

    /// True when the user can fix this by sending another file; false for
    /// our own faults, which deserve a generic apology and a log line.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Self::Internal(_))
    }
}

#[cfg(test)]
mod tests {
    use super::ImageError;

    /// One value of every variant. The match has no wildcard, so a new
    /// variant does not compile until it is listed here too.
    fn every_variant() -> Vec<ImageError> {
        let all = vec![
            ImageError::Empty,
            ImageError::TooManyBytes { max_mb: 1 },
            ImageError::NotAnImage,
            ImageError::UnsupportedFormat {
                format: "TIFF".into(),
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
        for e in &all {
            match e {
                ImageError::Empty
                | ImageError::TooManyBytes { .. }
                | ImageError::NotAnImage
                | ImageError::UnsupportedFormat { .. }
                | ImageError::TooLarge { .. }
                | ImageError::Truncated
                | ImageError::Corrupt
                | ImageError::MaskWithoutAlpha
                | ImageError::Internal(_) => {}
            }
        }
        all
    }

    #[test]
    fn keys_lists_exactly_the_keys_of_every_variant() {
        let keys: Vec<&str> = every_variant().iter().map(ImageError::key).collect();
        assert_eq!(keys, ImageError::KEYS);
    }
}
