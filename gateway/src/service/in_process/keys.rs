//! `/v1` API keys on the in-process gateway: who a presented key belongs
//! to, remembered per process, and the submit that has the admission check
//! the key instead of a lookup of its own.
//!
//! A key's owner never changes (a key is random and names one user for its
//! whole life), so remembering "this hash is that user's" can never be
//! wrong; only whether the key is still LIVE can change. That is not
//! remembered: the reserve checks the user's key index in its own atomic
//! step ([`ReserveRequest::key`](crate::ledger::ReserveRequest::key)), so a
//! revoked key is refused exactly as after a lookup, and a request with a
//! remembered key costs no round trip for the key at all. Where the
//! admission is not one step (the embedded ledger, or a request whose
//! inputs are decoded first) the key is looked up before anything else.

use std::collections::HashMap;
use std::sync::Mutex;

use easel_shared::request::Request;
use easel_shared::{Denial, Refusal, UserKey};

use super::InProcessGateway;
use crate::ledger::{KeyClaim, api_key};
use crate::service::{GatewayError, JobStream};

/// Owners remembered at most: a cache of live keys, cleared whole when
/// full (keys are few: ten per user).
const REMEMBERED: usize = 10_000;

/// Key hash -> owner, for keys this process looked up.
#[derive(Default)]
pub(super) struct KeyOwners(Mutex<HashMap<String, UserKey>>);

impl KeyOwners {
    fn get(&self, hash: &str) -> Option<UserKey> {
        self.lock().get(hash).copied()
    }

    fn remember(&self, hash: String, user: UserKey) {
        let mut owners = self.lock();
        if owners.len() >= REMEMBERED {
            owners.clear();
        }
        owners.insert(hash, user);
    }

    fn forget(&self, hash: &str) {
        self.lock().remove(hash);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, UserKey>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn revoked() -> GatewayError {
    GatewayError::Denied(Refusal::quiet(Denial::KeyRevoked))
}

impl InProcessGateway {
    /// The owner of `key`: remembered, else looked up (and remembered).
    pub(super) async fn key_owner(&self, key: &str) -> Result<Option<UserKey>, GatewayError> {
        let hash = api_key::hash(key);
        if let Some(user) = self.key_owners.get(&hash) {
            return Ok(Some(user));
        }
        let user = self.ledger.api_key_user(key).await?;
        if let Some(user) = user {
            self.key_owners.remember(hash, user);
        }
        Ok(user)
    }

    /// Submits `request` made with `key`, refused as `KeyRevoked` unless
    /// the key is still `request.user`'s when it is admitted.
    pub(super) async fn submit_with_key(
        &self,
        request: Request,
        key: &str,
    ) -> Result<JobStream, GatewayError> {
        let claim = KeyClaim::of(key).ok_or_else(revoked)?;
        let outcome = if self.admits_directly(&request) {
            self.submit_claimed(request, Some(claim.clone())).await
        } else if self.ledger.api_key_user(key).await? == Some(request.user) {
            self.submit_claimed(request, None).await
        } else {
            Err(revoked())
        };
        if let Err(GatewayError::Denied(Refusal {
            denial: Denial::KeyRevoked,
            ..
        })) = &outcome
        {
            self.key_owners.forget(&claim.hash);
        }
        outcome
    }
}
