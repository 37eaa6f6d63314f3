//! Multi-turn Gemini: the request's `contents` from a continued history
//! plus the new user turn, and the continuation stored with the result.
//!
//! Gemini is stateless: a refine resends the whole conversation. Each
//! part Gemini signed (`thoughtSignature`) is echoed back byte for byte,
//! on the same content, or the model silently loses the context (Gemini 3
//! image models may refuse the request instead). The bounds on the history
//! are in `easel_shared::results::gemini`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use easel_shared::results::Continuation;
use easel_shared::results::gemini::{
    GeminiTurn, ImageSource, MAX_TURNS, PartContent, TurnImage, TurnPart, TurnRole, keep_recent,
};
use serde_json::{Value, json};

use crate::backend::ImageJob;

/// The conversation a job continues on this backend, if any: a Gemini
/// history made by the backend named `backend`.
pub(super) fn resumed<'a>(job: &'a ImageJob, backend: &str) -> Option<&'a [GeminiTurn]> {
    match &job.continuation {
        Some(Continuation::GeminiTurns {
            backend: owner,
            history,
            ..
        }) if owner == backend && !history.is_empty() => Some(history),
        _ => None,
    }
}

/// The new user turn: the prompt, then the job's inputs, except the
/// continued image (`inputs[0]`) when the history already holds it.
pub(super) fn user_turn(job: &ImageJob, continued: bool) -> GeminiTurn {
    let mut parts = vec![TurnPart {
        content: PartContent::Text {
            text: job.prompt.clone(),
        },
        thought_signature: None,
    }];
    let skip = usize::from(continued);
    for (index, _) in job.inputs.iter().enumerate().skip(skip) {
        let Ok(index) = u8::try_from(index) else {
            break;
        };
        parts.push(TurnPart {
            content: PartContent::Image(TurnImage {
                source: ImageSource::OwnInput { index },
                bytes: None,
            }),
            thought_signature: None,
        });
    }
    GeminiTurn {
        role: TurnRole::User,
        parts,
    }
}

/// `contents` for the call: the history (bytes resolved by the gateway),
/// then the user turn, whose images are the job's own inputs.
pub(super) fn contents(history: &[GeminiTurn], user: &GeminiTurn, job: &ImageJob) -> Value {
    let mut contents: Vec<Value> = history.iter().map(|t| turn_json(t, None)).collect();
    contents.push(turn_json(user, Some(job)));
    Value::Array(contents)
}

/// One turn on the wire. Image bytes come from the turn (history) or from
/// the job's inputs (the new turn); an image without bytes is left out.
fn turn_json(turn: &GeminiTurn, job: Option<&ImageJob>) -> Value {
    let parts: Vec<Value> = turn
        .parts
        .iter()
        .filter_map(|part| {
            let mut value = match &part.content {
                PartContent::Text { text } => json!({ "text": text }),
                PartContent::Image(image) => {
                    let (mime, bytes) = match (&image.bytes, &image.source, job) {
                        (Some(b), _, _) => (b.mime.as_str(), &b.bytes),
                        (None, ImageSource::OwnInput { index }, Some(job)) => {
                            let input = job.inputs.get(usize::from(*index))?;
                            (input.mime, &input.bytes)
                        }
                        _ => return None,
                    };
                    json!({ "inline_data": { "mime_type": mime, "data": STANDARD.encode(bytes) } })
                }
            };
            if let Some(signature) = &part.thought_signature {
                value["thoughtSignature"] = json!(signature);
            }
            Some(value)
        })
        .collect();
    let role = match turn.role {
        TurnRole::User => "user",
        TurnRole::Model => "model",
    };
    json!({ "role": role, "parts": parts })
}

/// What this result stores: the history it was made from (without bytes),
/// its user turn, and Gemini's reply per output image.
pub(super) fn continuation(
    backend: &str,
    history: &[GeminiTurn],
    user: GeminiTurn,
    replies: Vec<GeminiTurn>,
) -> Continuation {
    let mut turns: Vec<GeminiTurn> = history.to_vec();
    for turn in &mut turns {
        for image in turn.images_mut() {
            image.bytes = None;
        }
    }
    turns.push(user);
    // Room for the reply a refine appends.
    keep_recent(&mut turns, MAX_TURNS - 1);
    Continuation::GeminiTurns {
        backend: backend.to_owned(),
        history: turns,
        replies,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use easel_shared::render::RenderOptions;
    use easel_shared::results::gemini::TurnBytes;

    use super::*;
    use crate::imaging::PreparedImage;

    fn job(inputs: usize) -> ImageJob {
        ImageJob {
            prompt: "make it night".into(),
            options: RenderOptions::default(),
            inputs: (0..inputs)
                .map(|i| PreparedImage {
                    bytes: Bytes::from(vec![i as u8; 3]),
                    mime: "image/png",
                    width: 1,
                    height: 1,
                })
                .collect(),
            mask: None,
            user_tag: "t".into(),
            continuation: None,
        }
    }

    fn model_turn(signature: &str) -> GeminiTurn {
        GeminiTurn {
            role: TurnRole::Model,
            parts: vec![TurnPart {
                content: PartContent::Image(TurnImage {
                    source: ImageSource::OwnOutput { index: 0 },
                    bytes: Some(TurnBytes {
                        mime: "image/png".into(),
                        bytes: Bytes::from_static(b"old"),
                    }),
                }),
                thought_signature: Some(signature.into()),
            }],
        }
    }

    #[test]
    fn a_continued_turn_skips_the_continued_image_and_echoes_signatures() {
        let job = job(2);
        let user = user_turn(&job, true);
        assert_eq!(user.parts.len(), 2, "prompt and the second input only");
        let history = [user_turn(&job, false), model_turn("c2lnLTE=")];
        let contents = contents(&history, &user, &job);
        let model = &contents[1];
        assert_eq!(model["role"], "model");
        assert_eq!(model["parts"][0]["thoughtSignature"], "c2lnLTE=");
        assert_eq!(
            model["parts"][0]["inline_data"]["data"],
            STANDARD.encode(b"old")
        );
        let new = &contents[2]["parts"];
        assert_eq!(new[0]["text"], "make it night");
        assert_eq!(new[1]["inline_data"]["data"], STANDARD.encode([1u8; 3]));
    }

    #[test]
    fn the_stored_history_has_no_bytes_and_stays_bounded() {
        let job = job(0);
        let mut history = Vec::new();
        for i in 0..MAX_TURNS {
            history.push(user_turn(&job, false));
            history.push(model_turn(&format!("s{i}")));
        }
        let c = continuation("gemini", &history, user_turn(&job, false), Vec::new());
        let Continuation::GeminiTurns { history, .. } = c else {
            panic!("a Gemini continuation");
        };
        assert!(history.len() < MAX_TURNS);
        assert_eq!(history[0].role, TurnRole::User);
        assert!(history.iter().all(|t| t.inline_bytes() == 0));
    }
}
