//! The life of one admitted job as a frontend sees it: a stream of
//! [`JobEvent`]s ending in `Done` or `Failed`. Every [`JobFailure`] carries
//! what the user can do about it, and nothing is ever charged for one.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::quota::QuotaStatus;
use crate::results::ResultId;

/// An encoded image (PNG, JPEG, WebP) with its MIME type. On the wire the
/// bytes are base64 so events stay JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageData {
    /// MIME type, e.g. `image/png`.
    pub mime: String,
    /// The encoded image. For a finished image these are the provider's
    /// original bytes, untouched (its provenance metadata survives only so).
    #[serde(with = "base64_bytes")]
    pub bytes: Bytes,
}

/// The usual file extension for an image MIME type (`png` when unknown).
pub fn file_extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => "png",
    }
}

/// One step of a job, in order: `Queued`* `Started` (`Partial` | `Retrying`)*
/// then exactly one of `Done` or `Failed`. A job cancelled while queued goes
/// straight from `Queued` to `Failed { Cancelled }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JobEvent {
    /// Waiting for a worker; sent again whenever the position changes.
    Queued {
        /// Jobs that will start before this one (0: it is next).
        position: u32,
    },
    /// The upstream call started: from now on the job runs to the end and
    /// can no longer be cancelled (the provider bills it).
    Started,
    /// The upstream had a transient fault and is being asked again (still
    /// one reservation: a retry never charges again).
    Retrying {
        /// Attempt number about to start (2 = first retry).
        attempt: u32,
    },
    /// A low-fidelity preview from a streaming upstream.
    Partial {
        /// Which image of the request (0-based).
        image: u32,
        /// The preview.
        preview: ImageData,
    },
    /// Finished with at least one image.
    Done {
        /// The provider's original bytes, one per delivered image.
        images: Vec<ImageData>,
        /// Credits charged: only for delivered images (4 asked, 3 delivered: 3 images' worth).
        charged: u32,
        /// What the job cost the operator, in micro-dollars.
        cost_micros: u64,
        /// The user's quota after this job; `None` only if the quota store
        /// could not be read just then (the images are delivered regardless).
        quota: Option<QuotaStatus>,
        /// The stored result (for Again/Vary/Edit/Original buttons); `None`
        /// if it could not be stored (the images are delivered regardless).
        result: Option<ResultId>,
    },
    /// Finished without an image. Nothing was charged.
    Failed {
        /// Why, and what the user can do.
        failure: JobFailure,
        /// The user's quota after the refund, if the quota store could be read.
        quota: Option<QuotaStatus>,
    },
}

impl JobEvent {
    /// Whether this is the last event of its job.
    pub fn is_final(&self) -> bool {
        matches!(self, JobEvent::Done { .. } | JobEvent::Failed { .. })
    }
}

/// Why a job produced no image, in terms the user can act on.
/// Nothing was charged for any of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobFailure {
    /// The image service is busy (rate limited or overloaded) even after
    /// retries. Nothing was charged; try again later.
    #[error("the image service is busy")]
    Busy {
        /// When trying again is likely to work, if the provider said (seconds).
        retry_after_secs: Option<u64>,
    },
    /// The image service cannot serve anyone right now (credentials, the
    /// operator's provider quota); the admins were alerted. Nothing was charged.
    #[error("the image service is unavailable")]
    ServiceUnavailable,
    /// The configured model is gone (the provider says it does not exist)
    /// and no fallback could serve; the admins were told. Nothing was charged.
    #[error("the image model is not available")]
    ModelUnavailable,
    /// The provider's safety system refused the prompt or images. Nothing was
    /// charged; change the request. Repeated blocks lead to a cooldown.
    #[error("blocked by the safety system: {reason}")]
    Blocked {
        /// The provider's reason, in plain words where known.
        reason: String,
    },
    /// The provider refused the request as asked (an unsupported option or
    /// input). Nothing was charged; change the request.
    #[error("the request was refused: {reason}")]
    Rejected {
        /// What the provider objected to.
        reason: String,
    },
    /// No usable image came back. Nothing was charged; trying again may work.
    #[error("the image could not be made")]
    Failed,
    /// The provider took too long. Nothing was charged; trying again may work.
    #[error("the image took too long")]
    TimedOut,
    /// Cancelled while waiting in the queue. Nothing was charged.
    #[error("cancelled")]
    Cancelled,
    /// The user already has too many jobs waiting. Nothing was charged; wait
    /// for one to finish.
    #[error("too many jobs waiting")]
    TooManyQueued {
        /// The most jobs one user may have waiting.
        limit: u32,
    },
    /// The gateway is shutting down and could not run the job. Nothing was
    /// charged; try again shortly.
    #[error("the gateway is restarting")]
    ShuttingDown,
    /// The job's reservation could not be kept (its lease was refused or
    /// lapsed, or the charge could not be recorded), so the upstream call was
    /// stopped and nothing is delivered. Nothing was charged; try again.
    #[error("the job's reservation was lost")]
    ReservationLost,
}

/// What a cancel did: the runner's answer, passed through the `Gateway`
/// port unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelOutcome {
    /// Taken out of the queue and fully refunded; its stream ends with `Failed { Cancelled }`.
    Cancelled,
    /// The upstream call already started: it runs to the end (the provider bills it).
    AlreadyStarted,
    /// No waiting or running job of this user has this id (finished, or never existed).
    Unknown,
}

/// The runner's queue at one instant (for the dashboard).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    /// Jobs waiting, in the order they will start.
    pub waiting: Vec<QueuedJob>,
    /// Jobs whose upstream call started.
    pub running: Vec<QueuedJob>,
}

/// One job in a [`QueueSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedJob {
    /// The request (and reservation) id.
    pub id: crate::RequestId,
    /// Who asked.
    pub user: crate::UserKey,
    /// Images asked for.
    pub images: u32,
    /// Credits held.
    pub credits: u32,
    /// When it was queued.
    pub since: crate::UnixMillis,
    /// Jobs ahead of it (waiting jobs only).
    pub position: Option<u32>,
}

/// Serde for `Bytes` as standard base64 text.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Bytes::from)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_travel_as_base64() {
        let event = JobEvent::Partial {
            image: 1,
            preview: ImageData {
                mime: "image/png".into(),
                bytes: Bytes::from_static(b"\x89PNG"),
            },
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.contains("\"iVBORw==\""), "{json}");
        assert!(json.contains("\"event\":\"partial\""), "{json}");
        assert_eq!(serde_json::from_str::<JobEvent>(&json).unwrap(), event);
    }

    #[test]
    fn bad_base64_is_an_error_not_a_panic() {
        let json = r#"{"mime":"image/png","bytes":"!!!"}"#;
        assert!(serde_json::from_str::<ImageData>(json).is_err());
    }

    #[test]
    fn failures_are_tagged_and_final() {
        let event = JobEvent::Failed {
            failure: JobFailure::Busy {
                retry_after_secs: Some(60),
            },
            quota: None,
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.contains("\"kind\":\"busy\""), "{json}");
        assert!(event.is_final());
        assert!(!JobEvent::Started.is_final());
    }
}
