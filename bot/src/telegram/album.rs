//! Albums: Telegram sends each photo of an album as its own update with a
//! shared `media_group_id` and no end marker. The items are collected until
//! none has arrived for `telegram.album_debounce`, then handled as ONE
//! message with every photo as an input (one request, charged once). The
//! debounce is timed by the state's clock, so tests drive it by hand.
//! The sender is pre-checked when the first item arrives: a refused album
//! is answered at once and its items are dropped, never fetched.

use std::collections::HashMap;
use std::sync::Mutex;

use easel_shared::UnixMillis;
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
    /// When the newest item arrived: the collector fires one debounce later.
    last: UnixMillis,
}

/// Adds an album item; the first item of a group starts its collector.
pub(super) fn add(state: &State, bot: &TgBot, group: String, msg: Message) {
    let images = images_of(&msg);
    let now = state.inner.clock.now();
    let first = {
        let mut pending = lock(&state.inner.albums);
        let entry = pending.entry(group.clone()).or_insert_with(|| Pending {
            items: Vec::new(),
            last: now,
        });
        // A redelivered item is already there.
        if entry.items.iter().any(|(id, ..)| *id == msg.id.0) {
            return;
        }
        let first_item = entry.items.is_empty().then(|| msg.clone());
        entry.items.push((msg.id.0, msg, images));
        entry.last = now;
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
    let clock = &state.inner.clock;
    let album = loop {
        let quiet_at = {
            let mut pending = lock(&state.inner.albums);
            let Some(entry) = pending.get(&group) else {
                return;
            };
            let quiet_at = entry.last.plus(debounce);
            if clock.now() >= quiet_at {
                match pending.remove(&group) {
                    Some(album) => break album,
                    None => return,
                }
            }
            quiet_at
        };
        clock.sleep_until(quiet_at).await;
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
