//! Building OpenAI Images API requests: the neutral render options mapped to
//! the API's sizes and fields, as a JSON body (generations) or a multipart
//! form (edits).

use easel_shared::render::{Background, OutputFormat, Quality, RenderOptions, SizeRule};
use reqwest::multipart::{Form, Part};
use serde_json::{Map, Value, json};

use crate::backend::ImageJob;
use crate::backend::sizes::openai_size;

/// Model-level settings that shape a request.
#[derive(Debug, Clone)]
pub(crate) struct ModelSettings {
    /// The model name, always sent (without it the API assumes dall-e-2).
    pub model: String,
    /// The sizes accepted when any WxH within a rule is (`None`: the three fixed sizes).
    pub size_rule: Option<SizeRule>,
    /// Most `image[]` parts per edit.
    pub max_inputs: usize,
    /// `input_fidelity` for edits, if configured.
    pub input_fidelity: Option<String>,
    /// `moderation` for generations, if configured.
    pub moderation: Option<String>,
    /// Partial images to stream (0: no streaming).
    pub partial_images: u8,
    /// `output_compression` for jpeg/webp.
    pub output_compression: Option<u8>,
    /// Qualities the model distinguishes (capability table); others go as `auto`.
    pub qualities: Vec<Quality>,
    /// Whether a transparent background may be asked for (capability
    /// table); if not, the background is left to the model.
    pub transparent: bool,
    /// Whether edits take `input_fidelity` (capability table:
    /// gpt-image-1-mini answered it with a 400).
    pub takes_input_fidelity: bool,
}

/// The request fields every call shares, resolved once per job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// `size` as sent.
    pub size: String,
    /// `quality` as sent.
    pub quality: &'static str,
    /// `background` as sent (None: left to the model).
    pub background: Option<&'static str>,
    /// `output_format` as sent.
    pub format: OutputFormat,
    /// `n`, clamped to 1..=10.
    pub n: u8,
    /// Whether to ask for an SSE stream.
    pub stream: bool,
    /// `output_compression` as sent (jpeg/webp only): the request's, else the config's.
    pub compression: Option<u8>,
    /// `moderation` as sent: the request's, else the config's.
    pub moderation: Option<String>,
    /// `input_fidelity` as sent on edits, where the model takes it: the
    /// request's, else the config's.
    pub input_fidelity: Option<String>,
}

impl Resolved {
    /// Maps render options to API values for this model.
    pub(crate) fn new(options: &RenderOptions, model: &ModelSettings) -> Self {
        let n = options.n.clamp(1, 10);
        let mut format = options.format;
        let background = match options.background {
            Background::Auto => None,
            Background::Transparent if !model.transparent => None,
            Background::Opaque => Some("opaque"),
            Background::Transparent => {
                // JPEG has no alpha channel: the API refuses the combination.
                if format == OutputFormat::Jpeg {
                    format = OutputFormat::Png;
                }
                Some("transparent")
            }
        };
        let tuning = &options.tuning;
        // Only lossy formats take a compression level.
        let compression = tuning
            .output_compression
            .or(model.output_compression)
            .filter(|_| format != OutputFormat::Png);
        let moderation = tuning
            .moderation
            .map(|m| m.as_str().to_owned())
            .or_else(|| model.moderation.clone());
        let input_fidelity = tuning
            .input_fidelity
            .map(|f| f.as_str().to_owned())
            .or_else(|| model.input_fidelity.clone())
            .filter(|_| model.takes_input_fidelity);
        Self {
            size: openai_size(options.shape, model.size_rule.as_ref()),
            quality: if model.qualities.contains(&options.quality) {
                quality_str(options.quality)
            } else {
                "auto"
            },
            background,
            format,
            n,
            // Partial images are indexed per request; one image keeps them unambiguous.
            stream: model.partial_images > 0 && n == 1,
            compression,
            moderation,
            input_fidelity,
        }
    }

    /// MIME type of the images asked for.
    pub(crate) fn mime(&self) -> &'static str {
        match self.format {
            OutputFormat::Png => "image/png",
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Webp => "image/webp",
        }
    }

    /// `output_format` as sent.
    pub(crate) fn format_str(&self) -> &'static str {
        match self.format {
            OutputFormat::Png => "png",
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Webp => "webp",
        }
    }

    /// Field/value pairs common to generations and edits.
    fn common_fields(&self, job: &ImageJob, model: &ModelSettings) -> Vec<(&'static str, Value)> {
        let mut fields = vec![
            ("model", json!(model.model)),
            ("prompt", json!(job.prompt)),
            ("n", json!(self.n)),
            ("size", json!(self.size)),
            ("quality", json!(self.quality)),
            ("output_format", json!(self.format_str())),
        ];
        if let Some(bg) = self.background {
            fields.push(("background", json!(bg)));
        }
        if let Some(c) = self.compression {
            fields.push(("output_compression", json!(c)));
        }
        if !job.user_tag.is_empty() {
            fields.push(("user", json!(job.user_tag)));
        }
        if self.stream {
            fields.push(("stream", json!(true)));
            fields.push(("partial_images", json!(model.partial_images)));
        }
        fields
    }
}

/// The JSON body of `POST /images/generations`.
pub(crate) fn generation_body(job: &ImageJob, model: &ModelSettings, r: &Resolved) -> Value {
    let mut body: Map<String, Value> = r
        .common_fields(job, model)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    if let Some(m) = &r.moderation {
        body.insert("moderation".into(), json!(m));
    }
    Value::Object(body)
}

/// The multipart form of `POST /images/edits`: one `image[]` part per input
/// (up to the model's maximum, in order), then the optional mask.
pub(crate) fn edit_form(
    job: &ImageJob,
    model: &ModelSettings,
    r: &Resolved,
) -> Result<Form, reqwest::Error> {
    // `image[]` must reach the server verbatim, brackets included.
    let mut form = Form::new().percent_encode_noop();
    for (key, value) in r.common_fields(job, model) {
        let text = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        form = form.text(key, text);
    }
    if let Some(f) = &r.input_fidelity {
        form = form.text("input_fidelity", f.clone());
    }
    for (i, input) in job.inputs.iter().take(model.max_inputs).enumerate() {
        let part = Part::stream_with_length(input.bytes.clone(), input.bytes.len() as u64)
            .file_name(format!("image-{i}.{}", extension(input.mime)))
            .mime_str(input.mime)?;
        form = form.part("image[]", part);
    }
    if let Some(mask) = &job.mask {
        let part = Part::stream_with_length(mask.bytes.clone(), mask.bytes.len() as u64)
            .file_name(format!("mask.{}", extension(mask.mime)))
            .mime_str(mask.mime)?;
        form = form.part("mask", part);
    }
    Ok(form)
}

fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    }
}

fn quality_str(q: Quality) -> &'static str {
    match q {
        Quality::Auto => "auto",
        Quality::Low => "low",
        Quality::Medium => "medium",
        Quality::High => "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_shared::render::{InputFidelity, Moderation, Tuning};

    fn settings() -> ModelSettings {
        ModelSettings {
            model: "gpt-image-1.5".into(),
            size_rule: None,
            max_inputs: 16,
            input_fidelity: None,
            moderation: None,
            partial_images: 2,
            output_compression: Some(80),
            qualities: vec![Quality::High],
            transparent: true,
            takes_input_fidelity: true,
        }
    }

    #[test]
    fn the_requests_tuning_wins_over_the_config_where_the_model_takes_it() {
        let model = ModelSettings {
            moderation: Some("auto".into()),
            input_fidelity: Some("low".into()),
            ..settings()
        };
        let configured = RenderOptions {
            format: OutputFormat::Webp,
            ..RenderOptions::default()
        };
        let r = Resolved::new(&configured, &model);
        assert_eq!(
            (
                r.compression,
                r.moderation.as_deref(),
                r.input_fidelity.as_deref()
            ),
            (Some(80), Some("auto"), Some("low"))
        );
        let asked = RenderOptions {
            tuning: Tuning {
                output_compression: Some(35),
                moderation: Some(Moderation::Low),
                input_fidelity: Some(InputFidelity::High),
            },
            ..configured
        };
        let r = Resolved::new(&asked, &model);
        assert_eq!(
            (
                r.compression,
                r.moderation.as_deref(),
                r.input_fidelity.as_deref()
            ),
            (Some(35), Some("low"), Some("high"))
        );
        // A model without input_fidelity (capability table) never gets it.
        let without = ModelSettings {
            takes_input_fidelity: false,
            ..model
        };
        assert_eq!(Resolved::new(&asked, &without).input_fidelity, None);
        // PNG takes no compression level, asked or configured.
        let png = RenderOptions {
            format: OutputFormat::Png,
            ..asked
        };
        assert_eq!(Resolved::new(&png, &without).compression, None);
    }

    #[test]
    fn transparent_forces_an_alpha_format() {
        let model = settings();
        let options = RenderOptions {
            background: Background::Transparent,
            format: OutputFormat::Jpeg,
            n: 2,
            ..RenderOptions::default()
        };
        let r = Resolved::new(&options, &model);
        assert_eq!(r.format, OutputFormat::Png);
        assert_eq!(r.background, Some("transparent"));
        assert!(!r.stream, "n > 1 is not streamed");
        assert_eq!(r.compression, None);
        assert_eq!(r.quality, "auto", "a quality the table does not list");
        let opaque_only = ModelSettings {
            transparent: false,
            ..model
        };
        assert_eq!(Resolved::new(&options, &opaque_only).background, None);
    }
}
