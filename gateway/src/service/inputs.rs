//! Turning a request's input images into what a backend receives and what
//! the result store keeps: uploads and earlier outputs, decoded safely,
//! upright, metadata-free and downscaled, before anything is charged, and
//! never more at once than the [`DecodeGate`] allows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use easel_shared::config::RunnerConfig;
use easel_shared::request::InputImage;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::GatewayError;
use crate::imaging::{self, InputLimits, PreparedImage, Target};
use crate::results::{ImageData, NewInput, ResultStore};

/// Inputs ready for the backend, and how the result store should record them.
pub(super) struct Resolved {
    pub(super) prepared: Vec<PreparedImage>,
    pub(super) stored: Vec<NewInput>,
    /// The mask, at the first input's size.
    pub(super) mask: Option<PreparedImage>,
}

/// Prepares every input. An unusable image is the user's to fix
/// (`BadInput`); a referenced result whose bytes expired is `InputExpired`.
pub(super) async fn resolve(
    inputs: &[InputImage],
    results: &Arc<dyn ResultStore>,
    long_side: u32,
    gate: &DecodeGate,
) -> Result<Resolved, GatewayError> {
    let mut resolved = Resolved {
        prepared: Vec::new(),
        stored: Vec::new(),
        mask: None,
    };
    for (index, input) in inputs.iter().enumerate() {
        let stored = match input {
            InputImage::Upload { bytes } => Some(bytes.clone()),
            InputImage::Output { result, index: i } => results
                .original(result, usize::from(*i))
                .await
                .map_err(unavailable)?
                .map(|image| image.bytes),
            InputImage::Input { result, index: i } => results
                .inputs(result)
                .await
                .map_err(unavailable)?
                .and_then(|all| all.into_iter().nth(usize::from(*i)))
                .map(|image| image.bytes),
        };
        let bytes = stored.ok_or_else(|| match input {
            InputImage::Output { result, .. } | InputImage::Input { result, .. } => {
                GatewayError::InputExpired(result.clone())
            }
            InputImage::Upload { .. } => GatewayError::Unavailable("upload vanished".into()),
        })?;
        let room = gate
            .enter(imaging::decode_cost(&bytes, &InputLimits::default()))
            .await?;
        // Decoding is CPU work measured in tens of milliseconds: keep it off the runtime.
        let prepared = tokio::task::spawn_blocking(move || {
            let _room = room;
            imaging::prepare(
                &bytes,
                &InputLimits::default(),
                Target {
                    long_side,
                    keep_alpha: true,
                },
            )
        })
        .await
        .map_err(|e| GatewayError::Unavailable(format!("image preparation stopped: {e}")))?
        .map_err(|error| GatewayError::BadInput { index, error })?
        .image;
        resolved.stored.push(match input {
            // Keep the prepared copy: smaller, and without the upload's metadata (GPS).
            // An earlier input is stored again: results do not reference each other's inputs.
            InputImage::Upload { .. } | InputImage::Input { .. } => NewInput::Upload(ImageData {
                mime: prepared.mime.to_owned(),
                bytes: prepared.bytes.clone(),
            }),
            InputImage::Output { result, index } => NewInput::Output {
                result: result.clone(),
                index: *index,
            },
        });
        resolved.prepared.push(prepared);
    }
    Ok(resolved)
}

/// Prepares a mask to the first input's size (PNG with alpha).
pub(super) async fn mask(
    bytes: Bytes,
    first: &PreparedImage,
    gate: &DecodeGate,
) -> Result<PreparedImage, GatewayError> {
    let size = (first.width, first.height);
    let room = gate
        .enter(imaging::decode_cost(&bytes, &InputLimits::default()))
        .await?;
    tokio::task::spawn_blocking(move || {
        let _room = room;
        imaging::prepare_mask(&bytes, &InputLimits::default(), size)
    })
    .await
    .map_err(|e| GatewayError::Unavailable(format!("mask preparation stopped: {e}")))?
    .map_err(|error| GatewayError::BadMask { error })
}

fn unavailable(e: crate::results::ResultStoreError) -> GatewayError {
    GatewayError::Unavailable(e.to_string())
}

/// The deployment-wide limit on input decoding: how many images decode at
/// once and how many bytes (file + estimated pixels, [`imaging::decode_cost`])
/// their decodes hold together, so a crowd of large uploads waits for room
/// instead of exhausting memory. Waiting is bounded by `decode_wait`; past
/// it the request is refused as [`GatewayError::Busy`], never charged.
pub struct DecodeGate {
    slots: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    /// `memory`'s size in KiB: a larger image asks for all of it (runs alone).
    capacity_kib: u32,
    wait: Duration,
    usage: Arc<Usage>,
}

/// What is held right now and the most ever held at once (for tests,
/// metrics and the memory benchmark).
#[derive(Default)]
struct Usage {
    decodes: AtomicU64,
    kib: AtomicU64,
    peak_decodes: AtomicU64,
    peak_kib: AtomicU64,
}

/// Room for one decode; returned to the gate when dropped.
pub struct DecodeRoom {
    _slot: OwnedSemaphorePermit,
    _memory: OwnedSemaphorePermit,
    kib: u64,
    usage: Arc<Usage>,
}

impl Drop for DecodeRoom {
    fn drop(&mut self) {
        self.usage.decodes.fetch_sub(1, Ordering::SeqCst);
        self.usage.kib.fetch_sub(self.kib, Ordering::SeqCst);
    }
}

impl DecodeGate {
    /// A gate letting `at_once` decodes (at least 1) hold `memory` bytes
    /// together, each waiting at most `wait` for room.
    pub fn new(at_once: u32, memory: u64, wait: Duration) -> Self {
        // Counted in KiB: a u32 of them covers 4 TiB, far below the
        // most permits a Tokio semaphore holds (usize::MAX >> 3).
        let capacity_kib = u32::try_from((memory / 1024).max(1)).unwrap_or(u32::MAX >> 3);
        Self {
            slots: Arc::new(Semaphore::new(at_once.max(1) as usize)),
            memory: Arc::new(Semaphore::new(capacity_kib as usize)),
            capacity_kib,
            wait,
            usage: Arc::default(),
        }
    }

    /// The gate `[runner]` describes.
    pub fn from_config(runner: &RunnerConfig) -> Self {
        Self::new(
            runner.decodes_at_once,
            runner.decode_memory,
            runner.decode_wait,
        )
    }

    /// Waits (at most the configured time) for room to decode an image
    /// costing `bytes`; `Busy` if none came.
    pub async fn enter(&self, bytes: u64) -> Result<DecodeRoom, GatewayError> {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.capacity_kib);
        let acquire = async {
            // Memory first, then a slot: every caller takes them in this
            // order, so two waiters can never hold one each and starve.
            let memory = Arc::clone(&self.memory).acquire_many_owned(kib).await;
            let slot = Arc::clone(&self.slots).acquire_owned().await;
            memory.ok().zip(slot.ok())
        };
        let Ok(Some((memory, slot))) = tokio::time::timeout(self.wait, acquire).await else {
            return Err(GatewayError::Busy);
        };
        let usage = &self.usage;
        let decodes = usage.decodes.fetch_add(1, Ordering::SeqCst) + 1;
        let held = usage.kib.fetch_add(u64::from(kib), Ordering::SeqCst) + u64::from(kib);
        usage.peak_decodes.fetch_max(decodes, Ordering::SeqCst);
        usage.peak_kib.fetch_max(held, Ordering::SeqCst);
        Ok(DecodeRoom {
            _slot: slot,
            _memory: memory,
            kib: u64::from(kib),
            usage: Arc::clone(usage),
        })
    }

    /// The most decodes that ever ran at once.
    pub fn peak_decodes(&self) -> u64 {
        self.usage.peak_decodes.load(Ordering::SeqCst)
    }

    /// The most estimated bytes decodes ever held at once (KiB granularity).
    pub fn peak_bytes(&self) -> u64 {
        self.usage.peak_kib.load(Ordering::SeqCst) * 1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A zero wait makes "no room in time" deterministic: the timeout polls
    // the acquisition once, which succeeds only if room is free right now.
    #[tokio::test]
    async fn a_decode_without_room_in_time_is_busy_and_room_returns_on_drop() {
        let gate = DecodeGate::new(1, 10 * 1024 * 1024, Duration::ZERO);
        let held = gate.enter(1024).await.expect("room for the first");
        assert!(matches!(gate.enter(1024).await, Err(GatewayError::Busy)));
        drop(held);
        let again = gate.enter(1024).await.expect("room again after the drop");
        drop(again);
        assert_eq!(gate.peak_decodes(), 1);
    }

    #[tokio::test]
    async fn memory_is_shared_and_an_oversized_image_runs_alone() {
        let mib = 1024 * 1024;
        let gate = DecodeGate::new(4, 8 * mib, Duration::ZERO);
        let a = gate.enter(5 * mib).await.expect("room");
        // 5 + 5 MiB do not fit 8 MiB, although a decode slot is free.
        assert!(matches!(gate.enter(5 * mib).await, Err(GatewayError::Busy)));
        let small = gate.enter(3 * mib).await.expect("3 MiB still fit");
        drop((a, small));
        // Larger than the whole budget: asks for all of it, so it runs alone.
        let huge = gate.enter(100 * mib).await.expect("runs alone");
        assert!(matches!(gate.enter(1).await, Err(GatewayError::Busy)));
        drop(huge);
        assert_eq!(gate.peak_bytes(), 8 * mib);
    }
}
