//! The capability table: what each image model accepts (shapes, output
//! sizes, qualities, inputs, mask, transparency, streaming), so requests
//! are shaped and refused from data, not from model names in code.
//!
//! Resolution for one backend, later layers winning field by field: the
//! kind's generic defaults, the built-in entry for the model
//! ([`builtin`], read from the providers' docs on 2026-12-05), the
//! operator's `[backends.models."<model>"]`, then the backend's own
//! legacy keys (`arbitrary_sizes`, `size_rule`, `aspect_ratios`,
//! `max_inputs`) where they differ from their defaults.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::backends::{BackendConfig, BackendKind, parse_ratio};
use crate::render::{Quality, SizeRule};

/// One model's entry in `[backends.models."<model>"]`; unset keys fall
/// back to the built-in entry, then to the kind's defaults.
///
/// ```toml
/// [backends.models."gemini-3-pro-image"]
/// aspect_ratios = ["1:1", "16:9", "9:16"]
/// image_sizes = ["1K", "2K"]
/// max_inputs = 14
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ModelCaps {
    /// Any `WxH` within this rule (OpenAI gpt-image-2); unset: the three
    /// fixed sizes (OpenAI) or the `image_sizes` tiers (Gemini).
    pub size_rule: Option<SizeRule>,
    /// Gemini `imageConfig.aspectRatio` values (`"16:9"`).
    pub aspect_ratios: Option<Vec<String>>,
    /// Gemini `imageConfig.imageSize` tiers (`"512"`, `"1K"`, `"2K"`, `"4K"`);
    /// empty: the model has one size and none is sent.
    pub image_sizes: Option<Vec<String>>,
    /// Qualities the model distinguishes; others are sent as `auto`.
    pub qualities: Option<Vec<Quality>>,
    /// Most input images per edit.
    pub max_inputs: Option<usize>,
    /// Whether an edit mask is accepted.
    pub mask: Option<bool>,
    /// Whether a transparent background can be asked for.
    pub transparent: Option<bool>,
    /// Whether partial images can be streamed.
    pub streaming: Option<bool>,
    /// Whether edits take OpenAI's `input_fidelity`.
    pub input_fidelity: Option<bool>,
}

/// A model's capabilities after resolution: every value set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCaps {
    /// Arbitrary sizes within this rule; `None`: fixed sizes or tiers.
    pub size_rule: Option<SizeRule>,
    /// Aspect ratios (Gemini), parsed.
    pub aspect_ratios: Vec<(u32, u32)>,
    /// Output size tiers (Gemini), smallest first.
    pub image_sizes: Vec<ImageSizeTier>,
    /// Qualities the model distinguishes.
    pub qualities: Vec<Quality>,
    /// Most input images per edit.
    pub max_inputs: usize,
    /// Whether an edit mask is accepted.
    pub mask: bool,
    /// Whether a transparent background can be asked for.
    pub transparent: bool,
    /// Whether partial images can be streamed.
    pub streaming: bool,
    /// Whether edits take OpenAI's `input_fidelity`.
    pub input_fidelity: bool,
}

/// A Gemini output size tier (`imageSize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImageSizeTier {
    /// `"512"`: about 512 pixels on the long edge (gemini-3.1-flash-image).
    Half,
    /// `"1K"`: about 1024.
    OneK,
    /// `"2K"`: about 2048.
    TwoK,
    /// `"4K"`: about 4096.
    FourK,
}

impl ImageSizeTier {
    /// Reads the API's spelling (upper-case K, as the API requires).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "512" => Self::Half,
            "1K" => Self::OneK,
            "2K" => Self::TwoK,
            "4K" => Self::FourK,
            _ => return None,
        })
    }

    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Half => "512",
            Self::OneK => "1K",
            Self::TwoK => "2K",
            Self::FourK => "4K",
        }
    }

    /// The tier's long edge in pixels.
    pub fn long_edge(self) -> u32 {
        match self {
            Self::Half => 512,
            Self::OneK => 1024,
            Self::TwoK => 2048,
            Self::FourK => 4096,
        }
    }
}

/// Gemini's ten common aspect ratios (Google's image-generation docs).
const GEMINI_COMMON: [&str; 10] = [
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
];

fn strings(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| (*s).to_owned()).collect())
}

/// The built-in entry for a known model (a `-preview` suffix is ignored);
/// empty for unknown models. Sources, read 2026-12-05: OpenAI's image
/// generation guide (gpt-image-2 sizes), Google's image-generation docs
/// and `ImageConfig` reference (ratios, `imageSize` tiers, 14 reference
/// images).
pub fn builtin(model: &str) -> ModelCaps {
    let model = model.strip_suffix("-preview").unwrap_or(model);
    let all_qualities = Some(vec![
        Quality::Auto,
        Quality::Low,
        Quality::Medium,
        Quality::High,
    ]);
    match model {
        "gpt-image-2" => ModelCaps {
            size_rule: Some(SizeRule::default()),
            qualities: all_qualities,
            max_inputs: Some(16),
            mask: Some(true),
            transparent: Some(true),
            streaming: Some(true),
            input_fidelity: Some(true),
            ..ModelCaps::default()
        },
        // Shut down 2026-12-01, kept for compatible providers still serving it.
        "gpt-image-1-mini" => ModelCaps {
            input_fidelity: Some(false),
            ..ModelCaps::default()
        },
        "gemini-3-pro-image" => ModelCaps {
            aspect_ratios: strings(&GEMINI_COMMON),
            image_sizes: strings(&["1K", "2K", "4K"]),
            max_inputs: Some(14),
            ..ModelCaps::default()
        },
        "gemini-3.1-flash-image" => {
            let mut ratios = strings(&GEMINI_COMMON).unwrap_or_default();
            ratios.extend(["1:4", "4:1", "1:8", "8:1"].map(str::to_owned));
            ModelCaps {
                aspect_ratios: Some(ratios),
                image_sizes: strings(&["512", "1K", "2K", "4K"]),
                max_inputs: Some(14),
                ..ModelCaps::default()
            }
        }
        _ => ModelCaps::default(),
    }
}

impl ModelCaps {
    /// `self` with `over`'s set fields replacing its own.
    pub fn under(self, over: &ModelCaps) -> ModelCaps {
        ModelCaps {
            size_rule: over.size_rule.or(self.size_rule),
            aspect_ratios: over.aspect_ratios.clone().or(self.aspect_ratios),
            image_sizes: over.image_sizes.clone().or(self.image_sizes),
            qualities: over.qualities.clone().or(self.qualities),
            max_inputs: over.max_inputs.or(self.max_inputs),
            mask: over.mask.or(self.mask),
            transparent: over.transparent.or(self.transparent),
            streaming: over.streaming.or(self.streaming),
            input_fidelity: over.input_fidelity.or(self.input_fidelity),
        }
    }

    /// Checks the entry; `key` is its config key (`backends.models."m"`).
    pub fn validate(&self, key: &str) -> Result<(), ConfigError> {
        let err = |field: &str, problem: &str| ConfigError {
            key: format!("{key}.{field}"),
            problem: problem.to_owned(),
        };
        if let Some(rule) = &self.size_rule
            && rule.for_aspect(1, 1).is_none()
        {
            return Err(err("size_rule", "allows no size near 1024x1024"));
        }
        if let Some(ratios) = &self.aspect_ratios
            && ratios.iter().any(|r| parse_ratio(r).is_none())
        {
            return Err(err("aspect_ratios", "use W:H, e.g. \"16:9\""));
        }
        if let Some(sizes) = &self.image_sizes
            && sizes.iter().any(|s| ImageSizeTier::parse(s).is_none())
        {
            return Err(err("image_sizes", "use \"512\", \"1K\", \"2K\" or \"4K\""));
        }
        Ok(())
    }

    /// Every field set: `None`s take the kind's defaults.
    fn resolve(self, kind: BackendKind) -> ResolvedCaps {
        let openai = kind == BackendKind::OpenAi;
        let mut image_sizes: Vec<ImageSizeTier> = self
            .image_sizes
            .unwrap_or_default()
            .iter()
            .filter_map(|s| ImageSizeTier::parse(s))
            .collect();
        image_sizes.sort();
        image_sizes.dedup();
        ResolvedCaps {
            size_rule: self.size_rule,
            aspect_ratios: self
                .aspect_ratios
                .unwrap_or_default()
                .iter()
                .filter_map(|r| parse_ratio(r))
                .collect(),
            image_sizes,
            qualities: self.qualities.unwrap_or_else(|| {
                if openai {
                    vec![Quality::Auto, Quality::Low, Quality::Medium, Quality::High]
                } else {
                    vec![Quality::Auto]
                }
            }),
            max_inputs: self.max_inputs.unwrap_or(16),
            mask: self.mask.unwrap_or(openai),
            transparent: self.transparent.unwrap_or(openai),
            streaming: self.streaming.unwrap_or(openai),
            input_fidelity: self.input_fidelity.unwrap_or(openai),
        }
    }
}

/// What `backend` may do: its kind's defaults, the built-in entry, the
/// table's entry (`table`), then its own legacy keys.
pub fn resolve(backend: &BackendConfig, table: Option<&ModelCaps>) -> ResolvedCaps {
    let defaults = BackendConfig::default();
    let legacy = ModelCaps {
        size_rule: backend.arbitrary_sizes.then_some(backend.size_rule),
        aspect_ratios: (!backend.aspect_ratios.is_empty()).then(|| backend.aspect_ratios.clone()),
        max_inputs: (backend.max_inputs != defaults.max_inputs).then_some(backend.max_inputs),
        ..ModelCaps::default()
    };
    let empty = ModelCaps::default();
    builtin(&backend.model)
        .under(table.unwrap_or(&empty))
        .under(&legacy)
        .resolve(backend.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gemini(model: &str) -> BackendConfig {
        BackendConfig {
            name: "gemini".into(),
            kind: BackendKind::Gemini,
            model: model.into(),
            ..BackendConfig::default()
        }
    }

    #[test]
    fn built_ins_then_the_table_then_legacy_keys() {
        let pro = resolve(&gemini("gemini-3-pro-image-preview"), None);
        assert_eq!(pro.max_inputs, 14);
        assert_eq!(pro.image_sizes.last(), Some(&ImageSizeTier::FourK));
        assert!(!pro.aspect_ratios.contains(&(4, 1)));
        assert!(!pro.transparent && !pro.mask && !pro.streaming);
        let flash = resolve(&gemini("gemini-3.1-flash-image"), None);
        assert!(flash.aspect_ratios.contains(&(8, 1)));
        assert_eq!(flash.image_sizes[0], ImageSizeTier::Half);

        let table = ModelCaps {
            image_sizes: Some(vec!["1K".into()]),
            ..ModelCaps::default()
        };
        let small = resolve(&gemini("gemini-3-pro-image"), Some(&table));
        assert_eq!(small.image_sizes, [ImageSizeTier::OneK]);
        assert_eq!(small.max_inputs, 14, "other fields stay built in");

        let mut legacy = gemini("gemini-3-pro-image");
        legacy.max_inputs = 3;
        assert_eq!(resolve(&legacy, Some(&table)).max_inputs, 3);

        let unknown = resolve(&gemini("someone-elses-image"), None);
        assert!(unknown.image_sizes.is_empty() && unknown.aspect_ratios.is_empty());
        let openai = BackendConfig {
            model: "gpt-image-2".into(),
            ..BackendConfig::default()
        };
        assert!(resolve(&openai, None).size_rule.is_some());
        let mini = BackendConfig {
            model: "gpt-image-1-mini".into(),
            ..BackendConfig::default()
        };
        assert!(!resolve(&mini, None).input_fidelity);
        assert!(resolve(&mini, None).mask, "the rest: OpenAI defaults");
    }

    #[test]
    fn a_bad_entry_names_its_key() {
        let bad = ModelCaps {
            image_sizes: Some(vec!["4k".into()]),
            ..ModelCaps::default()
        };
        let e = bad.validate("backends.models.\"m\"").unwrap_err();
        assert_eq!(e.key, "backends.models.\"m\".image_sizes");
        let bad = ModelCaps {
            aspect_ratios: Some(vec!["wide".into()]),
            ..ModelCaps::default()
        };
        assert_eq!(bad.validate("k").unwrap_err().key, "k.aspect_ratios");
    }
}
