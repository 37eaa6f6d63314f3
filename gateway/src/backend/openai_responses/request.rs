//! Building a `POST /responses` body: the mainline model, the user's turn
//! (`input_text` plus `input_image` parts as data URLs), the
//! `image_generation` tool with the image model's options, and
//! `previous_response_id` when the turn continues a conversation.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use easel_shared::config::ImageAction;
use serde_json::{Map, Value, json};

use crate::backend::ImageJob;
use crate::backend::openai::{ModelSettings, Resolved};
use crate::imaging::PreparedImage;

/// What shapes a Responses request besides the job itself.
#[derive(Debug, Clone)]
pub(super) struct TurnSettings<'a> {
    /// The mainline model (`model`).
    pub(super) mainline: &'a str,
    /// The image model and its options (the tool's fields).
    pub(super) image: &'a ModelSettings,
    /// The tool's `action`.
    pub(super) action: ImageAction,
}

/// The JSON body of one turn. With `previous`, the first input is the
/// image the conversation already holds (the parent's output), so only
/// the inputs after it are sent; without, every input is.
pub(super) fn body(
    job: &ImageJob,
    settings: &TurnSettings<'_>,
    r: &Resolved,
    previous: Option<&str>,
) -> Value {
    let skip = usize::from(previous.is_some() && !job.inputs.is_empty());
    let mut content = vec![json!({ "type": "input_text", "text": job.prompt })];
    content.extend(
        job.inputs
            .iter()
            .take(settings.image.max_inputs)
            .skip(skip)
            .map(|image| json!({ "type": "input_image", "image_url": data_url(image), "detail": "auto" })),
    );
    let mut body = Map::new();
    body.insert("model".into(), json!(settings.mainline));
    body.insert(
        "input".into(),
        json!([{ "role": "user", "content": content }]),
    );
    body.insert("tools".into(), json!([tool(job, settings, r)]));
    // Every turn must draw: a text-only answer would bill and deliver nothing.
    body.insert("tool_choice".into(), json!({ "type": "image_generation" }));
    // Stored responses are what `previous_response_id` refers to next turn.
    body.insert("store".into(), json!(true));
    body.insert("stream".into(), json!(true));
    // OpenAI asks apps that serve end users to tag each call with a stable,
    // non-reversible id of the user (the salted hash, never the platform id).
    body.insert("safety_identifier".into(), json!(job.user_tag));
    if let Some(id) = previous {
        body.insert("previous_response_id".into(), json!(id));
    }
    Value::Object(body)
}

/// The `image_generation` tool entry.
fn tool(job: &ImageJob, settings: &TurnSettings<'_>, r: &Resolved) -> Value {
    let image = settings.image;
    let mut tool = Map::new();
    tool.insert("type".into(), json!("image_generation"));
    tool.insert("model".into(), json!(image.model));
    tool.insert("size".into(), json!(r.size));
    tool.insert("quality".into(), json!(r.quality));
    tool.insert("output_format".into(), json!(r.format_str()));
    tool.insert("action".into(), json!(settings.action.as_str()));
    if let Some(bg) = r.background {
        tool.insert("background".into(), json!(bg));
    }
    if let Some(c) = r.compression {
        tool.insert("output_compression".into(), json!(c));
    }
    if let Some(m) = &r.moderation {
        tool.insert("moderation".into(), json!(m));
    }
    if let Some(f) = r.input_fidelity.as_ref().filter(|_| !job.inputs.is_empty()) {
        tool.insert("input_fidelity".into(), json!(f));
    }
    if image.partial_images > 0 {
        tool.insert("partial_images".into(), json!(image.partial_images));
    }
    if let Some(mask) = &job.mask {
        tool.insert(
            "input_image_mask".into(),
            json!({ "image_url": data_url(mask) }),
        );
    }
    Value::Object(tool)
}

/// An image as a `data:` URL, the inline form `input_image` takes.
fn data_url(image: &PreparedImage) -> String {
    format!(
        "data:{};base64,{}",
        image.mime,
        STANDARD.encode(&image.bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use easel_shared::render::{Quality, RenderOptions};

    fn image(byte: u8) -> PreparedImage {
        PreparedImage {
            bytes: Bytes::from(vec![byte; 3]),
            mime: "image/png",
            width: 1,
            height: 1,
        }
    }

    fn model() -> ModelSettings {
        ModelSettings {
            model: "gpt-image-2".into(),
            size_rule: None,
            max_inputs: 16,
            input_fidelity: Some("high".into()),
            moderation: None,
            partial_images: 2,
            output_compression: None,
            qualities: vec![Quality::Low, Quality::Medium, Quality::High],
            transparent: true,
            takes_input_fidelity: true,
        }
    }

    #[test]
    fn a_continued_turn_sends_the_id_and_only_the_new_inputs() {
        let job = ImageJob {
            prompt: "add snow".into(),
            options: RenderOptions::default(),
            inputs: vec![image(1), image(2)],
            mask: None,
            user_tag: "tag".into(),
            continuation: None,
        };
        let image_model = model();
        let settings = TurnSettings {
            mainline: "gpt-5.1",
            image: &image_model,
            action: ImageAction::Auto,
        };
        let r = Resolved::new(&job.options, &image_model);
        let fresh = body(&job, &settings, &r, None);
        assert_eq!(
            fresh["input"][0]["content"].as_array().map(Vec::len),
            Some(3)
        );
        assert!(fresh.get("previous_response_id").is_none());
        assert_eq!(fresh["safety_identifier"], "tag");
        let next = body(&job, &settings, &r, Some("resp_1"));
        assert_eq!(next["previous_response_id"], "resp_1");
        let content = next["input"][0]["content"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            content.len(),
            2,
            "the parent's image is already in the conversation"
        );
        assert_eq!(content[1]["image_url"], "data:image/png;base64,AgIC");
        let tool = &next["tools"][0];
        assert_eq!(tool["model"], "gpt-image-2");
        assert_eq!(tool["partial_images"], 2);
        assert_eq!(tool["input_fidelity"], "high");
        assert_eq!(next["model"], "gpt-5.1");
        assert_eq!(next["stream"], true);
    }
}
