//! Request builders and assertion helpers: each panics with the ledger's whole
//! answer when it is not the expected kind, so a failure says what happened.

use easel_gateway::ledger::{
    Admission, Ledger, Reservation, ReserveRequest, SettleOutcome, Settlement,
};
use easel_shared::{Denial, QuotaStatus, Refusal, RequestId, UserKey};

use super::Harness;

/// Test user number `n` (a Telegram user).
pub fn user(n: u64) -> UserKey {
    UserKey::telegram(n)
}

/// A request id from text.
pub fn rid(id: &str) -> RequestId {
    RequestId::new(id).expect("valid request id")
}

/// A request for `images` images at 1 credit each, estimated at 1000 micro-dollars.
pub fn req(user: UserKey, id: &str, images: u32) -> ReserveRequest {
    ReserveRequest {
        id: rid(id),
        user,
        images,
        credits_per_image: 1,
        est_cost_micros: 1000,
        backend: "fake".to_owned(),
        quality: easel_shared::render::Quality::Auto,
        edit: false,
        guard: false,
        key: None,
    }
}

/// Reserves and expects admission.
pub async fn admit(ledger: &dyn Ledger, r: &ReserveRequest) -> Reservation {
    match ledger.reserve(r).await {
        Ok(Admission::Admitted(res)) => res,
        other => panic!("expected {} to be admitted, got {other:?}", r.id),
    }
}

/// Reserves and expects a denial; returns it with `notify_admins`.
pub async fn deny(ledger: &dyn Ledger, r: &ReserveRequest) -> (Denial, bool) {
    match ledger.reserve(r).await {
        Ok(Admission::Denied(Refusal {
            denial,
            notify_admins,
        })) => (denial, notify_admins),
        other => panic!("expected {} to be denied, got {other:?}", r.id),
    }
}

impl Harness {
    /// Reserves on the main instance and expects admission.
    pub async fn admit(&self, r: &ReserveRequest) -> Reservation {
        admit(self.ledger.as_ref(), r).await
    }

    /// Reserves on the main instance and expects a denial (without the admin flag).
    pub async fn deny(&self, r: &ReserveRequest) -> Denial {
        deny(self.ledger.as_ref(), r).await.0
    }

    /// Admits `count` one-image requests `<prefix>-<i>` for `user`.
    pub async fn admit_many(&self, user: UserKey, prefix: &str, count: u32) {
        for i in 0..count {
            self.admit(&req(user, &format!("{prefix}-{i}"), 1)).await;
        }
    }

    /// Settles on the main instance.
    pub async fn settle(&self, user: UserKey, id: &str, how: Settlement) -> SettleOutcome {
        self.ledger
            .settle(user, &rid(id), how)
            .await
            .unwrap_or_else(|e| panic!("settle {id}: {e}"))
    }

    /// Delivers `images` at `cost_micros` and expects the first settle.
    pub async fn deliver(
        &self,
        user: UserKey,
        id: &str,
        images: u32,
        cost_micros: u64,
    ) -> (u32, u32) {
        match self
            .settle(
                user,
                id,
                Settlement::Delivered {
                    images,
                    cost_micros,
                },
            )
            .await
        {
            SettleOutcome::Settled { charged, refunded } => (charged, refunded),
            other => panic!("expected {id} to settle, got {other:?}"),
        }
    }

    /// The user's status.
    pub async fn status(&self, user: UserKey) -> QuotaStatus {
        self.ledger.status(user).await.expect("status")
    }

    /// Credits used in each window of the user's plan, in plan order.
    pub async fn used(&self, user: UserKey) -> Vec<u32> {
        self.status(user)
            .await
            .windows
            .iter()
            .map(|w| w.used)
            .collect()
    }

    /// The user's prepaid credits.
    pub async fn credits(&self, user: UserKey) -> u64 {
        self.status(user).await.credits
    }
}
