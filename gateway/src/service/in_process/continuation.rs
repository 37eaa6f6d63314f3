//! Which conversation a request continues: read from the result store
//! before the job is queued, put on the [`ImageJob`](crate::backend::ImageJob).

use easel_shared::request::{InputImage, Request};
use easel_shared::results::{Continuation, ResultRecord};

use crate::results::ResultStore;

/// The continuation a request's turn should send upstream.
///
/// - A request with a parent (a reply, the Edit button, Vary) continues the
///   parent's conversation: the parent's continuation.
/// - A request that repeats its parent (Again: the parent's prompt and
///   exactly the parent's own inputs) redoes the parent's turn, so it
///   continues what the parent continued (the grandparent's), not the
///   parent's result; Again of a fresh generation starts afresh.
///
/// Best effort: a store that cannot answer means the backend edits the
/// stored image as for a fresh request, never a refusal.
pub(super) async fn of(request: &Request, results: &dyn ResultStore) -> Option<Continuation> {
    let parent = request.parent.as_ref()?;
    let record = read(results, parent).await?;
    if !repeats(request, &record) {
        return record.continuation;
    }
    let grandparent = record.parent.as_ref()?;
    read(results, grandparent).await?.continuation
}

async fn read(
    results: &dyn ResultStore,
    id: &easel_shared::results::ResultId,
) -> Option<ResultRecord> {
    match results.get(id).await {
        Ok(record) => record,
        Err(error) => {
            tracing::warn!(result = %id, %error, "result store unavailable: the turn starts a new conversation");
            None
        }
    }
}

/// Whether `request` re-runs `parent` (Again): its prompt, and as inputs
/// the parent's own inputs in order.
fn repeats(request: &Request, parent: &ResultRecord) -> bool {
    request.prompt == parent.prompt
        && request.inputs.len() == parent.inputs.len()
        && request.inputs.iter().enumerate().all(|(i, input)| {
            matches!(input, InputImage::Input { result, index }
                if *result == parent.id && usize::from(*index) == i)
        })
}
