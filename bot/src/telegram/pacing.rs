//! Outbound pacing for what teloxide's `Throttle` does not cover: message
//! edits and chat actions. A keyed governor limiter per chat keeps a chat
//! under Telegram's ~1 update per second (20 per minute in groups); each
//! progress message additionally waits its own interval (faster in private
//! chats) and any `retry_after` Telegram sends back.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use easel_shared::config::TelegramConfig;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Chats whose limiter state is dropped once this many checks passed.
const RETAIN_EVERY: u32 = 1024;

/// Paces edits and chat actions per chat.
pub(super) struct Pacer {
    private: DefaultKeyedRateLimiter<i64>,
    group: DefaultKeyedRateLimiter<i64>,
    private_interval: Duration,
    group_interval: Duration,
    checks: AtomicU32,
}

impl Pacer {
    /// Limits from the `[telegram]` section.
    pub(super) fn new(config: &TelegramConfig) -> Self {
        let one = NonZeroU32::MIN;
        let three = NonZeroU32::new(3).unwrap_or(one);
        let twenty = NonZeroU32::new(20).unwrap_or(one);
        Self {
            private: RateLimiter::keyed(Quota::per_second(one).allow_burst(three)),
            group: RateLimiter::keyed(Quota::per_minute(twenty).allow_burst(three)),
            private_interval: config.progress_private,
            group_interval: config.progress_group,
            checks: AtomicU32::new(0),
        }
    }

    /// Least time between two edits of one progress message.
    pub(super) fn interval(&self, group: bool) -> Duration {
        if group {
            self.group_interval
        } else {
            self.private_interval
        }
    }

    /// Waits until `chat` may see one more edit or chat action.
    pub(super) async fn ready(&self, chat: i64, group: bool) {
        let limiter = if group { &self.group } else { &self.private };
        limiter.until_key_ready(&chat).await;
        // Forget idle chats now and then, or the keys grow forever.
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.private.retain_recent();
            self.group.retain_recent();
        }
    }
}
