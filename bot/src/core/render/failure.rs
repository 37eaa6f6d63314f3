//! Texts for what went wrong after a request was taken: a job that made no
//! image, an unusable input image, an expired result. Each says what the
//! user can do, and that nothing was charged.

use easel_shared::job::JobFailure;

use crate::i18n::{Locale, t, tr};

/// Why a job produced no image (nothing was charged).
pub fn job_failure(locale: Locale, failure: &JobFailure) -> String {
    match failure {
        JobFailure::Busy {
            retry_after_secs: Some(s),
        } => tr(
            locale,
            "failure-busy-retry",
            &[(
                "when",
                super::time::duration(locale, (*s as i64).saturating_mul(1000)).into(),
            )],
        ),
        JobFailure::Busy { .. } => t(locale, "failure-busy"),
        JobFailure::ServiceUnavailable | JobFailure::ShuttingDown => t(locale, "error-unavailable"),
        JobFailure::Blocked { .. } => t(locale, "failure-blocked"),
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
    }
}

/// An input image the gateway could not use; `key` is the image error's
/// message key (`image.too_large`, ...), `index` 0-based.
pub fn bad_input(locale: Locale, index: usize, key: &str) -> String {
    let reason = t(locale, &key.replace(['.', '_'], "-"));
    tr(
        locale,
        "input-bad",
        &[("index", (index + 1).into()), ("reason", reason.into())],
    )
}

/// An image to edit (an earlier result's) is no longer stored.
pub fn input_expired(locale: Locale) -> String {
    t(locale, "input-expired")
}

/// The Original button on a result whose bytes are gone.
pub fn original_expired(locale: Locale) -> String {
    t(locale, "original-expired")
}

/// Under a result sent as a preview because the original is too large.
pub fn preview_note(locale: Locale) -> String {
    t(locale, "result-preview-note")
}

/// The image of a message could not be read (deleted, or not an image).
pub fn image_unreadable(locale: Locale) -> String {
    t(locale, "input-unreadable")
}
