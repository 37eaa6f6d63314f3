//! Turning a request's input images into what a backend receives and what
//! the result store keeps: uploads and earlier outputs, decoded safely,
//! upright, metadata-free and downscaled, before anything is charged.

use std::sync::Arc;

use bytes::Bytes;
use easel_shared::request::InputImage;

use super::GatewayError;
use crate::imaging::{self, InputLimits, PreparedImage, Target};
use crate::results::{NewInput, ResultStore, StoredImage};

/// Inputs ready for the backend, and how the result store should record them.
pub(super) struct Resolved {
    pub(super) prepared: Vec<PreparedImage>,
    pub(super) stored: Vec<NewInput>,
    /// The mask, at the first input's size.
    pub(super) mask: Option<PreparedImage>,
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
        mask: None,
    };
    for (index, input) in inputs.iter().enumerate() {
        let stored = match input {
            InputImage::Upload { bytes } => Some(bytes.clone()),
            InputImage::Output { result, index: i } => results
                .original(result, usize::from(*i))
                .await
                .map_err(unavailable)?
                .map(|image| image.bytes),
            InputImage::Input { result, index: i } => results
                .inputs(result)
                .await
                .map_err(unavailable)?
                .and_then(|all| all.into_iter().nth(usize::from(*i)))
                .map(|image| image.bytes),
        };
        let bytes = stored.ok_or_else(|| match input {
            InputImage::Output { result, .. } | InputImage::Input { result, .. } => {
                GatewayError::InputExpired(result.clone())
            }
            InputImage::Upload { .. } => GatewayError::Unavailable("upload vanished".into()),
        })?;
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
            // An earlier input is stored again: results do not reference each other's inputs.
            InputImage::Upload { .. } | InputImage::Input { .. } => NewInput::Upload(StoredImage {
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

/// Prepares a mask to the first input's size (PNG with alpha).
pub(super) async fn mask(
    bytes: Bytes,
    first: &PreparedImage,
) -> Result<PreparedImage, GatewayError> {
    let size = (first.width, first.height);
    tokio::task::spawn_blocking(move || {
        imaging::prepare_mask(&bytes, &InputLimits::default(), size)
    })
    .await
    .map_err(|e| GatewayError::Unavailable(format!("mask preparation stopped: {e}")))?
    .map_err(|error| GatewayError::BadMask { error })
}

fn unavailable(e: crate::results::ResultStoreError) -> GatewayError {
    GatewayError::Unavailable(e.to_string())
}
