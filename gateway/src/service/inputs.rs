//! Turning a request's input images into what a backend receives and what
//! the result store keeps: uploads and earlier outputs, decoded safely,
//! upright, metadata-free and downscaled, before anything is charged.

use std::sync::Arc;

use easel_shared::request::InputImage;

use super::GatewayError;
use crate::imaging::{self, InputLimits, PreparedImage, Target};
use crate::results::{NewInput, ResultStore, StoredImage};

/// Inputs ready for the backend, and how the result store should record them.
pub(super) struct Resolved {
    pub(super) prepared: Vec<PreparedImage>,
    pub(super) stored: Vec<NewInput>,
}

/// Prepares every input. An unusable image is the user's to fix
/// (`BadInput`); a referenced result whose bytes expired is `InputExpired`.
pub(super) async fn resolve(
    inputs: &[InputImage],
    results: &Arc<dyn ResultStore>,
    long_side: u32,
) -> Result<Resolved, GatewayError> {
    let mut resolved = Resolved {
        prepared: Vec::new(),
        stored: Vec::new(),
    };
    for (index, input) in inputs.iter().enumerate() {
        let bytes = match input {
            InputImage::Upload { bytes } => bytes.clone(),
            InputImage::Output { result, index: i } => {
                results
                    .original(result, usize::from(*i))
                    .await
                    .map_err(|e| GatewayError::Unavailable(e.to_string()))?
                    .ok_or_else(|| GatewayError::InputExpired(result.clone()))?
                    .bytes
            }
        };
        // Decoding is CPU work measured in tens of milliseconds: keep it off the runtime.
        let prepared = tokio::task::spawn_blocking(move || {
            imaging::prepare(
                &bytes,
                &InputLimits::default(),
                Target {
                    long_side,
                    keep_alpha: true,
                },
            )
        })
        .await
        .map_err(|e| GatewayError::Unavailable(format!("image preparation stopped: {e}")))?
        .map_err(|error| GatewayError::BadInput { index, error })?
        .image;
        resolved.stored.push(match input {
            // Keep the prepared copy: smaller, and without the upload's metadata (GPS).
            InputImage::Upload { .. } => NewInput::Upload(StoredImage {
                mime: prepared.mime.to_owned(),
                bytes: prepared.bytes.clone(),
            }),
            InputImage::Output { result, index } => NewInput::Output {
                result: result.clone(),
                index: *index,
            },
        });
        resolved.prepared.push(prepared);
    }
    Ok(resolved)
}
