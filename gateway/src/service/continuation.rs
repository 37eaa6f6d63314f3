//! Which conversation a request continues: the parent result's
//! [`Continuation`], made ready for the backend.
//!
//! A request continues its parent when its first input is one of the
//! parent's outputs (a refine, the Edit button, Vary): that output is the
//! image the conversation left off with. The continuation handed to the
//! backend then has the continued image as `inputs[0]` of the job, and a
//! backend that uses the continuation does not send that input again (the
//! history already holds it). Anything else starts a fresh conversation.
//!
//! Gemini histories are resolved here: own-image references anchored to
//! the parent, the chosen output's reply appended, and every image's bytes
//! read from the result store, within the bound written in
//! [`easel_shared::results::gemini`] (oldest exchanges dropped first; an
//! exchange whose images expired is dropped with everything older).

use std::sync::Arc;

use easel_shared::request::{InputImage, Request};
use easel_shared::results::gemini::{
    GeminiTurn, ImageSource, MAX_INLINE_BYTES, MAX_TURNS, TurnBytes, TurnRole, keep_recent,
};
use easel_shared::results::{Continuation, ResultId};

use crate::results::{ResultStore, ResultStoreError, StoredImage};

/// The continuation for `request`, ready for the backend; `None` starts a
/// fresh conversation. `inputs_bytes` is what the request's own inputs
/// already weigh (they share Gemini's inline limit with the history).
pub(super) async fn resume(
    results: &Arc<dyn ResultStore>,
    request: &Request,
    inputs_bytes: usize,
) -> Option<Continuation> {
    let parent = request.parent.as_ref()?;
    let output = match request.inputs.first()? {
        InputImage::Output { result, index } if result == parent => usize::from(*index),
        _ => return None,
    };
    let record = match results.get(parent).await {
        Ok(record) => record?,
        Err(error) => {
            // Only the context is lost: the request still edits the image.
            tracing::warn!(%parent, %error, "result store unreadable: refine starts afresh");
            return None;
        }
    };
    match record.continuation? {
        Continuation::GeminiTurns {
            backend,
            history,
            replies,
        } => {
            let reply = replies.get(output)?;
            let mut turns: Vec<GeminiTurn> = history
                .iter()
                .chain(std::iter::once(reply))
                .map(|t| t.anchored(parent))
                .collect();
            keep_recent(&mut turns, MAX_TURNS);
            let budget = MAX_INLINE_BYTES.saturating_sub(inputs_bytes);
            fill_bytes(results, &mut turns, budget).await;
            // The history must end with the reply whose image is continued.
            if turns.last().is_none_or(|t| t.role != TurnRole::Model) {
                return None;
            }
            Some(Continuation::GeminiTurns {
                backend,
                history: turns,
                replies: Vec::new(),
            })
        }
        // Another backend's handle: its own backend knows what to do with it.
        other => Some(other),
    }
}

/// Reads every image's bytes, newest exchange first, and drops the oldest
/// exchanges that do not fit `budget` or whose images are gone.
async fn fill_bytes(results: &Arc<dyn ResultStore>, turns: &mut Vec<GeminiTurn>, budget: usize) {
    let mut used = 0;
    // Exchanges start at user turns; walk them from the newest.
    let starts: Vec<usize> = (0..turns.len())
        .filter(|&i| turns[i].role == TurnRole::User)
        .collect();
    let mut keep_from = turns.len();
    for (n, &start) in starts.iter().enumerate().rev() {
        let end = starts.get(n + 1).copied().unwrap_or(turns.len());
        let mut fits = true;
        'exchange: for turn in &mut turns[start..end] {
            for image in turn.images_mut() {
                match read(results, &image.source).await {
                    Ok(Some(stored)) if used + stored.bytes.len() <= budget => {
                        used += stored.bytes.len();
                        image.bytes = Some(TurnBytes {
                            mime: stored.mime,
                            bytes: stored.bytes,
                        });
                    }
                    _ => {
                        fits = false;
                        break 'exchange;
                    }
                }
            }
        }
        if !fits {
            break;
        }
        keep_from = start;
    }
    if keep_from > 0 {
        tracing::debug!(
            dropped = keep_from,
            "older turns dropped (size bound or expired images)"
        );
    }
    turns.drain(..keep_from);
}

/// One referenced image from the store.
async fn read(
    results: &Arc<dyn ResultStore>,
    source: &ImageSource,
) -> Result<Option<StoredImage>, ResultStoreError> {
    match source {
        ImageSource::Output { result, index } => {
            results.original(result, usize::from(*index)).await
        }
        ImageSource::Input { result, index } => input(results, result, *index).await,
        // Anchored before reading: an own reference here has no owner.
        ImageSource::OwnInput { .. } | ImageSource::OwnOutput { .. } => Ok(None),
    }
}

async fn input(
    results: &Arc<dyn ResultStore>,
    result: &ResultId,
    index: u8,
) -> Result<Option<StoredImage>, ResultStoreError> {
    Ok(results
        .inputs(result)
        .await?
        .and_then(|all| all.into_iter().nth(usize::from(index))))
}
