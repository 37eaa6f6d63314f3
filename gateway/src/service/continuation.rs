//! Which conversation a request continues: the parent result's
//! [`Continuation`], made ready for the backend.
//!
//! A request continues its parent when its first input is one of the
//! parent's outputs (a refine, the Edit button, Vary): that output is the
//! image the conversation left off with. Again of a result redoes its turn
//! (see [`resume`]). Either way the continued image is `inputs[0]` of the
//! job, and a backend that uses the continuation does not send that input
//! again (the history already holds it). Anything else starts afresh.
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
use easel_shared::results::{Continuation, InputRef, ResultId, ResultRecord};

use crate::results::{ImageData, ResultStore, ResultStoreError};

/// The continuation for `request`, ready for the backend; `None` starts a
/// fresh conversation. `inputs_bytes` is what the request's own inputs
/// already weigh (they share Gemini's inline limit with the history).
///
/// A refine (first input: output `i` of the parent) continues the parent's
/// conversation from output `i`. Again of a result (its prompt and its own
/// inputs) redoes that turn: it continues what the result continued (its
/// parent's conversation, from the output it refined).
pub(super) async fn resume(
    results: &Arc<dyn ResultStore>,
    request: &Request,
    inputs_bytes: usize,
) -> Option<Continuation> {
    let parent = read_record(results, request.parent.as_ref()?).await?;
    let (owner, output) = if repeats(request, &parent) {
        let Some(InputRef::Output { result, index }) = parent.inputs.first() else {
            return None;
        };
        if parent.parent.as_ref() != Some(result) {
            return None;
        }
        (read_record(results, result).await?, usize::from(*index))
    } else {
        match request.inputs.first() {
            Some(InputImage::Output { result, index }) if *result == parent.id => {
                (parent, usize::from(*index))
            }
            // Another backend's handle: its own backend decides.
            _ => return parent.continuation.filter(|c| !is_gemini(c)),
        }
    };
    ready(
        results,
        &owner.id,
        output,
        owner.continuation?,
        inputs_bytes,
    )
    .await
}

fn is_gemini(continuation: &Continuation) -> bool {
    matches!(continuation, Continuation::GeminiTurns { .. })
}

/// Whether `request` re-runs `parent` (Again): its prompt, and as inputs
/// the parent's own inputs in order.
fn repeats(request: &Request, parent: &ResultRecord) -> bool {
    request.prompt == parent.prompt
        && !request.inputs.is_empty()
        && request.inputs.len() == parent.inputs.len()
        && request.inputs.iter().enumerate().all(|(i, input)| {
            matches!(input, InputImage::Input { result, index }
                if *result == parent.id && usize::from(*index) == i)
        })
}

async fn read_record(results: &Arc<dyn ResultStore>, id: &ResultId) -> Option<ResultRecord> {
    match results.get(id).await {
        Ok(record) => record,
        Err(error) => {
            // Only the context is lost: the request still edits the image.
            tracing::warn!(result = %id, %error, "result store unreadable: the turn starts afresh");
            None
        }
    }
}

/// `continuation`, stored with result `owner`, made ready to continue
/// from its output `output`: a Gemini history is anchored to `owner`,
/// gets that output's reply appended, is bounded, and has its images'
/// bytes read; other kinds pass through unchanged.
pub(super) async fn ready(
    results: &Arc<dyn ResultStore>,
    owner: &ResultId,
    output: usize,
    continuation: Continuation,
    inputs_bytes: usize,
) -> Option<Continuation> {
    let Continuation::GeminiTurns {
        backend,
        history,
        replies,
    } = continuation
    else {
        return Some(continuation);
    };
    let reply = replies.get(output)?;
    let mut turns: Vec<GeminiTurn> = history
        .iter()
        .chain(std::iter::once(reply))
        .map(|t| t.anchored(owner))
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

/// Reads every image's bytes and drops the oldest exchanges that do not
/// fit `budget` or whose images are gone (see [`oldest_kept`]).
async fn fill_bytes(results: &Arc<dyn ResultStore>, turns: &mut Vec<GeminiTurn>, budget: usize) {
    // At most MAX_TURNS turns' images: reading them all is cheap.
    let mut found: Vec<Vec<Option<ImageData>>> = Vec::with_capacity(turns.len());
    for turn in turns.iter_mut() {
        let mut images = Vec::new();
        for image in turn.images_mut() {
            images.push(read(results, &image.source).await.ok().flatten());
        }
        found.push(images);
    }
    let shape: Vec<(TurnRole, Vec<Option<usize>>)> = turns
        .iter()
        .zip(&found)
        .map(|(turn, images)| {
            let sizes = images.iter().map(|i| i.as_ref().map(|s| s.bytes.len()));
            (turn.role, sizes.collect())
        })
        .collect();
    let keep_from = oldest_kept(&shape, budget);
    if keep_from > 0 {
        tracing::debug!(
            dropped = keep_from,
            "older turns dropped (size bound or expired images)"
        );
    }
    turns.drain(..keep_from);
    for (turn, images) in turns.iter_mut().zip(found.into_iter().skip(keep_from)) {
        for (image, stored) in turn.images_mut().zip(images) {
            image.bytes = stored.map(|s| TurnBytes {
                mime: s.mime,
                bytes: s.bytes,
            });
        }
    }
}

/// The first turn to keep, given each turn's role and image sizes (`None`:
/// gone from the store): whole exchanges (from a user turn to the next)
/// are kept newest first while their images exist and fit `budget`.
fn oldest_kept(turns: &[(TurnRole, Vec<Option<usize>>)], budget: usize) -> usize {
    let starts: Vec<usize> = (0..turns.len())
        .filter(|&i| turns[i].0 == TurnRole::User)
        .collect();
    let mut used = 0usize;
    let mut keep_from = turns.len();
    for (n, &start) in starts.iter().enumerate().rev() {
        let end = starts.get(n + 1).copied().unwrap_or(turns.len());
        let sizes: Option<Vec<usize>> = turns[start..end]
            .iter()
            .flat_map(|(_, sizes)| sizes.iter().copied())
            .collect();
        match sizes.map(|s| s.iter().sum::<usize>()) {
            Some(bytes) if used + bytes <= budget => used += bytes,
            _ => break,
        }
        keep_from = start;
    }
    keep_from
}

/// One referenced image from the store.
async fn read(
    results: &Arc<dyn ResultStore>,
    source: &ImageSource,
) -> Result<Option<ImageData>, ResultStoreError> {
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
) -> Result<Option<ImageData>, ResultStoreError> {
    Ok(results
        .inputs(result)
        .await?
        .and_then(|all| all.into_iter().nth(usize::from(index))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(user: Option<usize>, model: Option<usize>) -> [(TurnRole, Vec<Option<usize>>); 2] {
        [(TurnRole::User, vec![user]), (TurnRole::Model, vec![model])]
    }

    #[test]
    fn exchanges_are_kept_newest_first_while_they_fit_and_exist() {
        let turns: Vec<_> = [
            exchange(Some(5), Some(5)),
            exchange(Some(1), Some(4)),
            exchange(Some(2), Some(3)),
        ]
        .concat();
        assert_eq!(oldest_kept(&turns, 20), 0, "everything fits");
        assert_eq!(oldest_kept(&turns, 14), 2, "the oldest goes first");
        assert_eq!(oldest_kept(&turns, 4), 6, "not even the newest fits");
        let mut expired = turns.clone();
        expired[3].1[0] = None;
        assert_eq!(
            oldest_kept(&expired, 20),
            4,
            "a gone image drops it and older"
        );
        // A history that starts with a model turn keeps it only with its exchange.
        assert_eq!(oldest_kept(&turns[1..], 20), 1);
    }
}
