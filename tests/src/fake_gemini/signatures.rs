//! Thought signatures as a Gemini 3 image model issues and checks them.
//!
//! Each answer signs the first part after the thoughts and the final image
//! part; a follow-up must echo every signature back on the same content
//! (text or image bytes) in its `model` turns. Google's Gemini 3 developer
//! guide (ai.google.dev, "Thought signatures", image generation and
//! editing) calls this validation strict and answers a missing signature
//! with 400; Vertex AI's page says gemini-3-pro-image does not enforce it
//! but loses the context. The fake refuses, so a test sees the loss. The
//! messages are worded by us; status and code are Google's
//! (400 INVALID_ARGUMENT).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::validate::Refusal;

/// The signatures a fake issued: signature -> the content it signed.
#[derive(Debug, Default)]
pub(super) struct Issued {
    signed: HashMap<String, String>,
}

impl Issued {
    /// A fresh signature over `content` (text, or an image's base64 data).
    pub(super) fn sign(&mut self, content: &str) -> String {
        let signature = STANDARD.encode(format!("easel-fake-thought-{}", self.signed.len()));
        self.signed.insert(signature.clone(), content.to_owned());
        signature
    }

    /// Checks every `model` turn of a request's `contents`.
    pub(super) fn check(&self, contents: &[Value]) -> Result<(), Refusal> {
        for (i, turn) in contents.iter().enumerate() {
            if turn.get("role").and_then(Value::as_str) != Some("model") {
                continue;
            }
            let parts = turn.get("parts").and_then(Value::as_array);
            for (j, part) in parts.into_iter().flatten().enumerate() {
                let image = part.get("inlineData").or_else(|| part.get("inline_data"));
                let content = match (image, part.get("text").and_then(Value::as_str)) {
                    (Some(data), _) => data.get("data").and_then(Value::as_str).unwrap_or(""),
                    (None, Some(text)) => text,
                    (None, None) => continue,
                };
                let signature = part
                    .get("thoughtSignature")
                    .or_else(|| part.get("thought_signature"))
                    .and_then(Value::as_str);
                let needed = j == 0 || image.is_some();
                match signature {
                    None if needed => {
                        return Err(Refusal::invalid(format!(
                            "* GenerateContentRequest.contents[{i}].parts[{j}]: {} part is missing a thought_signature.\n",
                            if image.is_some() { "Image" } else { "Text" }
                        )));
                    }
                    None => {}
                    Some(s) if self.signed.get(s).map(String::as_str) == Some(content) => {}
                    Some(_) => {
                        return Err(Refusal::invalid(format!(
                            "Unable to submit request because it has an invalid thought signature for content at index {i}, part {j}."
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}
