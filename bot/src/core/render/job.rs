//! Texts about one job's outcome: why it failed (nothing charged), why an
//! input cannot be used, and the small replies around results (original
//! expired, cancel too late). Shared by every frontend.

use easel_gateway::imaging::ImageError;
use easel_shared::UnixMillis;
use easel_shared::job::JobFailure;

use super::text::{ButtonKind, button};
use super::time::until;
use crate::core::message::{Action, ResultId};
use crate::i18n::{Locale, t, tr};

/// The prompt sent upstream for Vary: the result itself is the input.
/// Not user-facing (the model reads it), so it is not translated.
pub const VARY_PROMPT: &str = "Make a close variation of this image: same subject, composition and style, with small natural differences.";

/// Original buttons under one result at most (an album holds ten images).
const MAX_ORIGINALS: usize = 10;

/// One button under a result; the adapter picks its look from `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultButton {
    /// What it does.
    pub kind: ButtonKind,
    /// Its label in the user's language.
    pub label: String,
    /// Its data, read back by [`Action::decode`].
    pub data: String,
}

/// The buttons under a result of `images` images: Again / Vary / Edit, then
/// one Original per image ("Original 2" among several), as two rows.
pub fn result_buttons(locale: Locale, result: &ResultId, images: usize) -> [Vec<ResultButton>; 2] {
    let of = |kind, action: Action| ResultButton {
        kind,
        label: button(locale, kind),
        data: action.encode(),
    };
    let first = vec![
        of(ButtonKind::Again, Action::Again(result.clone())),
        of(ButtonKind::Vary, Action::Vary(result.clone())),
        of(ButtonKind::Edit, Action::Edit(result.clone())),
    ];
    let original = of(ButtonKind::Original, Action::Original(result.clone()));
    let originals = if images <= 1 {
        vec![original]
    } else {
        (0..images.min(MAX_ORIGINALS))
            .map(|i| ResultButton {
                kind: ButtonKind::Original,
                label: format!("{} {}", original.label, i + 1),
                data: format!("{}:{i}", original.data),
            })
            .collect()
    };
    [first, originals]
}

/// Why a job produced no image, and what the user can do. `now` turns a
/// provider's retry-after into a relative time.
pub fn failure(locale: Locale, failure: &JobFailure, now: UnixMillis) -> String {
    match failure {
        JobFailure::Busy {
            retry_after_secs: Some(secs),
        } => {
            let at = now.plus(std::time::Duration::from_secs(*secs));
            tr(
                locale,
                "failure-busy",
                &[("when", until(locale, now, at).into())],
            )
        }
        JobFailure::Busy { .. } => t(locale, "failure-busy-later"),
        JobFailure::ServiceUnavailable => t(locale, "failure-unavailable"),
        JobFailure::Blocked { reason } => tr(
            locale,
            "failure-blocked",
            &[("reason", reason.as_str().into())],
        ),
        JobFailure::Rejected { reason } => tr(
            locale,
            "failure-rejected",
            &[("reason", reason.as_str().into())],
        ),
        JobFailure::Failed => t(locale, "failure-failed"),
        JobFailure::TimedOut => t(locale, "failure-timed-out"),
        JobFailure::Cancelled => t(locale, "progress-cancelled"),
        JobFailure::TooManyQueued { limit } => tr(
            locale,
            "failure-too-many-queued",
            &[("limit", (*limit).into())],
        ),
        JobFailure::ShuttingDown => t(locale, "failure-shutting-down"),
        JobFailure::ModelUnavailable => t(locale, "failure-model-unavailable"),
        JobFailure::ReservationLost => t(locale, "failure-reservation-lost"),
    }
}

/// Input image `index` (0-based) is unusable; `key` is the imaging error's
/// stable key (`image.not_an_image`, ...), translated here.
pub fn bad_input(locale: Locale, index: usize, key: &str) -> String {
    tr(
        locale,
        "input-bad",
        &[
            ("index", (index + 1).into()),
            ("reason", image_reason(locale, key).into()),
        ],
    )
}

/// The mask is unusable; `key` as for [`bad_input`].
pub fn bad_mask(locale: Locale, key: &str) -> String {
    tr(
        locale,
        "mask-bad",
        &[("reason", image_reason(locale, key).into())],
    )
}

/// An imaging error's stable key in the user's words.
fn image_reason(locale: Locale, key: &str) -> String {
    t(locale, &image_message_id(key))
}

/// The catalog message for an imaging error's stable key
/// (`image.too_large` -> `image-too-large`). The keys come from
/// [`ImageError::KEYS`], the gateway's one list; anything else (a newer
/// gateway) reads as the generic `image-internal`.
pub fn image_message_id(key: &str) -> String {
    let key = if ImageError::KEYS.contains(&key) {
        key
    } else {
        "image.internal"
    };
    key.replace(['.', '_'], "-")
}

/// Input image `index` (0-based) is over the download limit.
pub fn input_too_large(locale: Locale, index: usize, max_bytes: u64) -> String {
    tr(
        locale,
        "input-too-large",
        &[
            ("index", (index + 1).into()),
            ("mb", (max_bytes / (1024 * 1024)).into()),
        ],
    )
}

/// One of the texts without arguments about results: `input-expired`,
/// `original-expired`, `result-unknown`, `cancel-too-late`, `admin-only-own`.
pub fn notice(locale: Locale, id: Notice) -> String {
    t(locale, id.message_id())
}

/// The fixed notices about results and buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// An input result's image is no longer stored.
    InputExpired,
    /// The Original button's file is gone.
    OriginalExpired,
    /// A button names a result the store does not know.
    ResultUnknown,
    /// Cancel pressed after the job started.
    CancelTooLate,
    /// A button of another user's request.
    NotYours,
    /// The image of a message could not be read (deleted, or not an image).
    ImageUnreadable,
    /// A result too large for the chat was sent as a preview.
    PreviewOnly,
}

impl Notice {
    fn message_id(self) -> &'static str {
        match self {
            Notice::InputExpired => "input-expired",
            Notice::OriginalExpired => "original-expired",
            Notice::ResultUnknown => "result-unknown",
            Notice::CancelTooLate => "cancel-too-late",
            Notice::NotYours => "admin-only-own",
            Notice::ImageUnreadable => "input-unreadable",
            Notice::PreviewOnly => "result-preview-note",
        }
    }
}
