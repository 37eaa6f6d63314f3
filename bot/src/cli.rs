//! The operator's terminal commands, for before any bot token is wired:
//! [`doctor`] (what is wrong with this installation) and [`try_`] (one
//! generation through the whole gateway, saved to a file). `main.rs` only
//! parses the command line and calls them; output goes to `&mut dyn Write`
//! so tests read it.

pub mod doctor;
pub mod try_;

/// Exit code when a check failed, a request was refused or a job failed.
pub const EXIT_FAILED: u8 = 1;

/// Replaces every occurrence of each non-empty secret in `text` with `***`:
/// client libraries may quote a URL or header that carries a token.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |t, s| t.replace(s, "***"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_hides_every_secret_and_ignores_empty_ones() {
        let text = "GET https://x/bot123:abc/getMe failed for 123:abc";
        assert_eq!(
            scrub(text, &["123:abc", ""]),
            "GET https://x/bot***/getMe failed for ***"
        );
    }
}
