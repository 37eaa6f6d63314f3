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
    /// Provider knobs the request sets over the backend's configured ones
    /// (the `/v1` API passes OpenAI's through); unset in chat requests.
    #[serde(default, skip_serializing_if = "Tuning::is_unset")]
    pub tuning: Tuning,
}

/// OpenAI's `moderation` level for generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    /// Standard filtering.
    Auto,
    /// Less restrictive filtering.
    Low,
}

impl Moderation {
    /// The value OpenAI's APIs take.
    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::Auto => "auto",
            Moderation::Low => "low",
        }
    }
}

/// OpenAI's `input_fidelity` for edits: how closely the inputs' details are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFidelity {
    /// Keep faces, logos and fine detail.
    High,
    /// The default.
    Low,
}

impl InputFidelity {
    /// The value OpenAI's APIs take.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFidelity::High => "high",
            InputFidelity::Low => "low",
        }
    }
}

/// Provider settings a request may choose for itself; each one set wins
/// over the backend's configured value, and a backend or model without
/// the setting ignores it (the capability table decides, e.g. models
/// without `input_fidelity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Tuning {
    /// `output_compression` (0-100) for jpeg/webp output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_compression: Option<u8>,
    /// `moderation` for generations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation: Option<Moderation>,
    /// `input_fidelity` for edits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_fidelity: Option<InputFidelity>,
}

impl Tuning {
    /// Whether nothing is set (the backend's config applies throughout).
    pub fn is_unset(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            shape: Shape::Auto,
            quality: Quality::Auto,
            background: Background::Auto,
            format: OutputFormat::Png,
            n: 1,
            tuning: Tuning::default(),
        }
    }
}
