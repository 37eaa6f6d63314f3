//! The one path from the gateway to a deployment's admins: the gateway
//! raises an [`AdminNotice`] (budget reached, a model retiring or gone) and
//! every chat adapter forwards what it receives to its admins, in the words
//! the conversation core renders. The gateway never talks to a platform.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use easel_shared::notice::AdminNotice;
use tokio::sync::broadcast;

/// Notices raised before any adapter listened, replayed to each new one
/// (the upkeep's first model check runs before the frontends start).
const KEEP_UNHEARD: usize = 32;

/// Where the gateway raises notices; cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminNotices {
    tx: broadcast::Sender<AdminNotice>,
    unheard: Arc<Mutex<VecDeque<AdminNotice>>>,
}

impl Default for AdminNotices {
    fn default() -> Self {
        Self::new()
    }
}

impl AdminNotices {
    /// A channel nobody listens to yet.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(64).0,
            unheard: Arc::default(),
        }
    }

    /// Raises a notice; kept for later listeners if nobody listens now.
    pub fn send(&self, notice: AdminNotice) {
        tracing::info!(?notice, "admin notice");
        let mut unheard = self.lock();
        if self.tx.send(notice.clone()).is_err() {
            if unheard.len() == KEEP_UNHEARD {
                unheard.pop_front();
            }
            unheard.push_back(notice);
        }
    }

    /// A listener: the notices nobody heard yet, then every new one.
    pub fn subscribe(&self) -> NoticeStream {
        // Under the lock, so no notice falls between the replay and the receiver.
        let unheard = self.lock();
        NoticeStream {
            replay: unheard.clone(),
            rx: self.tx.subscribe(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<AdminNotice>> {
        self.unheard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The notices one adapter receives, in order.
#[derive(Debug)]
pub struct NoticeStream {
    replay: VecDeque<AdminNotice>,
    rx: broadcast::Receiver<AdminNotice>,
}

impl NoticeStream {
    /// The next notice; `None` once the gateway is gone. A listener too
    /// slow to keep up skips what it missed rather than stalling the gateway.
    pub async fn recv(&mut self) -> Option<AdminNotice> {
        if let Some(n) = self.replay.pop_front() {
            return Some(n);
        }
        loop {
            match self.rx.recv().await {
                Ok(n) => return Some(n),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "admin notices dropped: the listener lagged");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// A notice if one is waiting now, without waiting.
    pub fn try_recv(&mut self) -> Option<AdminNotice> {
        if let Some(n) = self.replay.pop_front() {
            return Some(n);
        }
        loop {
            match self.rx.try_recv() {
                Ok(n) => return Some(n),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(_) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(cap: u64) -> AdminNotice {
        AdminNotice::BudgetReached { cap_micros: cap }
    }

    #[tokio::test]
    async fn early_notices_reach_every_later_listener_then_live_ones_follow() {
        let notices = AdminNotices::new();
        notices.send(budget(1));
        let (mut a, mut b) = (notices.subscribe(), notices.subscribe());
        notices.send(budget(2));
        for s in [&mut a, &mut b] {
            assert_eq!(s.recv().await, Some(budget(1)));
            assert_eq!(s.recv().await, Some(budget(2)));
            assert_eq!(s.try_recv(), None);
        }
    }
}
