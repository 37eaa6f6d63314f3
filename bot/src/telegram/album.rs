//! Albums: Telegram sends each photo of an album as its own update with a
//! shared `media_group_id` and no end marker. The items are collected until
//! none has arrived for `telegram.album_debounce`, then handled as ONE
//! message with every photo as an input (one request, charged once).
//! The sender is pre-checked when the first item arrives: a refused album
//! is answered at once and its items are dropped, never fetched.

use std::collections::HashMap;
use std::sync::Mutex;

use teloxide::types::Message;

use super::convert::{images_of, text_of};
use super::{State, TgBot, handlers};
use crate::core::ImageRef;

/// Albums being collected, by `media_group_id`.
#[derive(Default)]
pub(super) struct Albums {
    pending: Mutex<HashMap<String, Pending>>,
}

struct Pending {
    /// Every item so far: (message id, the message, its images).
    items: Vec<(i32, Message, Vec<ImageRef>)>,
    /// Bumped by every new item; the collector fires only when it is unchanged
    /// after a full debounce.
    generation: u64,
}

/// Adds an album item; the first item of a group starts its collector.
pub(super) fn add(state: &State, bot: &TgBot, group: String, msg: Message) {
    let images = images_of(&msg);
    let first = {
        let mut pending = lock(&state.inner.albums);
        let entry = pending.entry(group.clone()).or_insert_with(|| Pending {
            items: Vec::new(),
            generation: 0,
        });
        // A redelivered item is already there.
        if entry.items.iter().any(|(id, ..)| *id == msg.id.0) {
            return;
        }
        let first_item = (entry.generation == 0).then(|| msg.clone());
        entry.items.push((msg.id.0, msg, images));
        entry.generation += 1;
        first_item
    };
    let Some(first_item) = first else {
        return;
    };
    tokio::spawn(collect(state.clone(), bot.clone(), group, first_item));
}

fn lock(albums: &Albums) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
    albums.pending.lock().unwrap_or_else(|e| e.into_inner())
}

/// Pre-checks the sender on the first item, waits until the album is quiet
/// for one debounce, then hands it on (or drops it silently if refused).
async fn collect(state: State, bot: TgBot, group: String, first_item: Message) {
    let refused = handlers::refused_early(&state, &bot, &first_item).await;
    let debounce = state.inner.config.album_debounce;
    let mut seen = 0;
    let album = loop {
        tokio::time::sleep(debounce).await;
        let mut pending = lock(&state.inner.albums);
        let Some(entry) = pending.get(&group) else {
            return;
        };
        if entry.generation != seen {
            seen = entry.generation;
            continue;
        }
        match pending.remove(&group) {
            Some(album) => break album,
            None => return,
        }
    };
    if refused {
        // Already answered; the items were never fetched.
        return;
    }
    let mut items = album.items;
    items.sort_by_key(|(id, ..)| *id);
    // Usually only one item has the caption; take the first non-empty one.
    let text = items
        .iter()
        .map(|(_, m, _)| text_of(m))
        .find(|t| !t.trim().is_empty())
        .unwrap_or_default();
    let images: Vec<ImageRef> = items
        .iter()
        .flat_map(|(_, _, imgs)| imgs.iter().cloned())
        .collect();
    let Some((_, first, _)) = items.into_iter().next() else {
        return;
    };
    handlers::on_message(state, bot, first, images, text).await;
}
