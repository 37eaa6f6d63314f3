//! Telegram's text limit as its servers count it: UTF-16 code units, 4096
//! per message. A longer reply (a hundred minted codes, a long code list)
//! goes out in several messages ([`crate::core::render::pieces`]) instead of
//! being refused whole.

/// Longest message text Telegram takes, in UTF-16 code units.
pub(super) const TEXT_MAX: usize = 4096;

/// Length as Telegram counts it.
pub(super) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` in messages Telegram takes.
pub(super) fn pieces(text: &str) -> Vec<String> {
    crate::core::render::pieces(text, TEXT_MAX, char::len_utf16)
}
