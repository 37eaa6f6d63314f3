//! How an image should be rendered: the options a user sets with flags
//! (`--ar 3:2 --q high --n 2`) or settings, independent of any backend.
//! Backends map them to what their API supports.

use serde::{Deserialize, Serialize};

mod size;

pub use size::{SizeRefusal, SizeRule};

/// Rendering quality; higher costs more and takes longer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// Let the model choose.
    #[default]
    Auto,
    /// Fast drafts.
    Low,
    /// The usual balance.
    Medium,
    /// Best detail and text rendering.
    High,
}

/// The picture's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Let the model choose.
    #[default]
    Auto,
    /// An aspect ratio such as 16:9; backends pick their nearest supported size.
    Aspect {
        /// Width part of the ratio.
        w: u16,
        /// Height part of the ratio.
        h: u16,
    },
    /// Exact pixels, for models that accept arbitrary sizes.
    Exact {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
}

impl Shape {
    /// Whether this shape asks for more than ~1.6 megapixels (priced higher).
    pub fn is_large(self) -> bool {
        match self {
            Shape::Exact { width, height } => u64::from(width) * u64::from(height) > 1_600_000,
            Shape::Auto | Shape::Aspect { .. } => false,
        }
    }
}

/// Transparent or opaque background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Background {
    /// Let the model choose.
    #[default]
    Auto,
    /// Transparent (needs PNG or WebP output).
    Transparent,
    /// Opaque.
    Opaque,
}

/// The encoding of the returned image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Lossless, supports transparency.
    #[default]
    Png,
    /// Small, no transparency.
    Jpeg,
    /// Small, supports transparency.
    Webp,
}

/// Everything about how to render, apart from the prompt and input images.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RenderOptions {
    /// Shape of the output.
    pub shape: Shape,
    /// Quality tier.
    pub quality: Quality,
    /// Background handling.
    pub background: Background,
    /// Output encoding.
    pub format: OutputFormat,
    /// How many images to make (1..=10).
    pub n: u8,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            shape: Shape::Auto,
            quality: Quality::Auto,
            background: Background::Auto,
            format: OutputFormat::Png,
            n: 1,
        }
    }
}
