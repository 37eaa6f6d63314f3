//! Building OpenAI Images API requests: the neutral render options mapped to
//! the API's sizes and fields, as a JSON body (generations) or a multipart
//! form (edits).

use easel_shared::render::{Background, OutputFormat, Quality, RenderOptions, Shape};
use reqwest::multipart::{Form, Part};
use serde_json::{Map, Value, json};

use crate::backend::ImageJob;

/// The fixed sizes every GPT image model accepts, with their width/height ratio.
const FIXED_SIZES: [(u32, u32); 3] = [(1024, 1024), (1536, 1024), (1024, 1536)];

/// Model-level settings that shape a request.
#[derive(Debug, Clone)]
pub(crate) struct ModelSettings {
    /// The model name, always sent (without it the API assumes dall-e-2).
    pub model: String,
    /// Whether any WxH (sides divisible by 16) is accepted.
    pub arbitrary_sizes: bool,
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
}

impl ModelSettings {
    /// gpt-image-1-mini answers `input_fidelity` with a 400.
    fn supports_input_fidelity(&self) -> bool {
        !self.model.starts_with("gpt-image-1-mini")
    }
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
}

impl Resolved {
    /// Maps render options to API values for this model.
    pub(crate) fn new(options: &RenderOptions, model: &ModelSettings) -> Self {
        let n = options.n.clamp(1, 10);
        let mut format = options.format;
        let background = match options.background {
            Background::Auto => None,
            Background::Opaque => Some("opaque"),
            Background::Transparent => {
                // JPEG has no alpha channel: the API refuses the combination.
                if format == OutputFormat::Jpeg {
                    format = OutputFormat::Png;
                }
                Some("transparent")
            }
        };
        Self {
            size: size_for(options.shape, model.arbitrary_sizes),
            quality: quality_str(options.quality),
            background,
            format,
            n,
            // Partial images are indexed per request; one image keeps them unambiguous.
            stream: model.partial_images > 0 && n == 1,
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

    fn format_str(&self) -> &'static str {
        match self.format {
            OutputFormat::Png => "png",
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Webp => "webp",
        }
    }

    fn compression(&self, model: &ModelSettings) -> Option<u8> {
        // Only lossy formats take a compression level.
        model
            .output_compression
            .filter(|_| self.format != OutputFormat::Png)
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
        if let Some(c) = self.compression(model) {
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
    if let Some(m) = &model.moderation {
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
    if let Some(f) = model
        .input_fidelity
        .as_ref()
        .filter(|_| model.supports_input_fidelity())
    {
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

/// The API `size` for a shape.
pub(crate) fn size_for(shape: Shape, arbitrary: bool) -> String {
    let (w, h) = match shape {
        Shape::Auto => return "auto".into(),
        Shape::Aspect { w, h } if w == 0 || h == 0 => return "auto".into(),
        Shape::Exact { width, height } if width == 0 || height == 0 => return "auto".into(),
        Shape::Aspect { w, h } if arbitrary => aspect_pixels(u32::from(w), u32::from(h)),
        Shape::Aspect { w, h } => nearest_fixed(u32::from(w), u32::from(h)),
        Shape::Exact { width, height } if arbitrary => clamp_exact(width, height),
        Shape::Exact { width, height } => nearest_fixed(width, height),
    };
    format!("{w}x{h}")
}

/// The fixed size whose ratio is nearest on a log scale (16:9 -> 1536x1024).
fn nearest_fixed(w: u32, h: u32) -> (u32, u32) {
    let want = (f64::from(w) / f64::from(h)).ln();
    FIXED_SIZES
        .into_iter()
        .min_by(|a, b| {
            let da = ((f64::from(a.0) / f64::from(a.1)).ln() - want).abs();
            let db = ((f64::from(b.0) / f64::from(b.1)).ln() - want).abs();
            da.total_cmp(&db)
        })
        .unwrap_or((1024, 1024))
}

/// Pixels for a ratio on arbitrary-size models: long side 1536 (square:
/// 1024, the cheapest tier), ratio clamped to 3:1.
fn aspect_pixels(w: u32, h: u32) -> (u32, u32) {
    if w == h {
        return (1024, 1024);
    }
    let ratio = (f64::from(w.max(h)) / f64::from(w.min(h))).min(3.0);
    let short = round16(1536.0 / ratio);
    if w > h { (1536, short) } else { (short, 1536) }
}

/// An exact size made legal: sides multiples of 16, ratio within 1:3..3:1,
/// at most 3840x2160 (either orientation).
fn clamp_exact(width: u32, height: u32) -> (u32, u32) {
    let (mut long, mut short) = (f64::from(width.max(height)), f64::from(width.min(height)));
    if long / short > 3.0 {
        short = long / 3.0;
    }
    let scale = (3840.0 / long).min(2160.0 / short).min(1.0);
    long *= scale;
    short *= scale;
    let (l, s) = (round16(long).min(3840), round16(short).min(2160));
    if width >= height { (l, s) } else { (s, l) }
}

fn round16(v: f64) -> u32 {
    // Saturating float-to-int cast; at least one 16-pixel step.
    (((v / 16.0).round() as u32).max(1)) * 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_map_to_the_nearest_supported() {
        let aspect = |w, h| Shape::Aspect { w, h };
        assert_eq!(size_for(Shape::Auto, false), "auto");
        assert_eq!(size_for(aspect(16, 9), false), "1536x1024");
        assert_eq!(size_for(aspect(9, 16), false), "1024x1536");
        assert_eq!(size_for(aspect(6, 5), false), "1024x1024");
        assert_eq!(size_for(aspect(4, 3), false), "1536x1024");
        assert_eq!(size_for(aspect(0, 4), false), "auto");
        let exact = |width, height| Shape::Exact { width, height };
        assert_eq!(size_for(exact(1920, 1080), false), "1536x1024");
        assert_eq!(size_for(exact(1920, 1080), true), "1920x1088");
        assert_eq!(size_for(exact(8000, 1000), true), "3840x1280");
        assert_eq!(size_for(exact(1000, 9000), true), "1280x3840");
        assert_eq!(size_for(aspect(16, 9), true), "1536x864");
        assert_eq!(size_for(aspect(1, 1), true), "1024x1024");
    }

    #[test]
    fn transparent_forces_an_alpha_format() {
        let model = ModelSettings {
            model: "gpt-image-1.5".into(),
            arbitrary_sizes: false,
            max_inputs: 16,
            input_fidelity: None,
            moderation: None,
            partial_images: 2,
            output_compression: Some(80),
        };
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
        assert_eq!(r.compression(&model), None);
    }
}
