//! The images "Edit image" was used on, kept from the context-menu command
//! until its modal is submitted. The modal's custom id names the message and
//! attachment, so after a restart the image is looked up again over REST.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::core::ImageRef;

/// How long a target is remembered (a modal left open longer is refetched).
const KEEP: Duration = Duration::from_secs(30 * 60);

/// Most targets remembered at once.
const MAX: usize = 10_000;

/// Modal custom id -> the image's URL and size.
#[derive(Default)]
pub(crate) struct Targets {
    inner: Mutex<HashMap<String, (ImageRef, Instant)>>,
}

impl Targets {
    /// Remembers the image behind a modal.
    pub(crate) fn put(&self, custom_id: &str, image: ImageRef) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX {
            map.retain(|_, (_, at)| at.elapsed() < KEEP);
        }
        if map.len() < MAX {
            map.insert(custom_id.to_owned(), (image, Instant::now()));
        }
    }

    /// The image behind a modal, if still remembered.
    pub(crate) fn take(&self, custom_id: &str) -> Option<ImageRef> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(custom_id)
            .filter(|(_, at)| at.elapsed() < KEEP)
            .map(|(i, _)| i)
    }
}
