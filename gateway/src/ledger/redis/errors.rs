//! Mapping Redis failures to [`LedgerError`] without leaking the URL's password.

use crate::ledger::LedgerError;

/// Knows the one secret that must never appear in an error message.
#[derive(Debug, Clone, Default)]
pub(super) struct Redactor {
    /// The password as written in the URL and percent-decoded.
    secrets: Vec<String>,
}

impl Redactor {
    /// Remembers the password (if any) of `redis://user:pass@host/db`.
    pub(super) fn for_url(url: &str) -> Self {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let password = authority
            .rsplit_once('@')
            .map(|(userinfo, _)| userinfo.split_once(':').map_or(userinfo, |(_, p)| p))
            .filter(|p| !p.is_empty());
        let mut secrets = Vec::new();
        if let Some(p) = password {
            secrets.push(p.to_owned());
            let decoded = percent_decode(p);
            if decoded != p {
                secrets.push(decoded);
            }
        }
        Self { secrets }
    }

    /// `text` with the password (raw or percent-decoded forms alike) masked.
    pub(super) fn scrub(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "***"))
    }

    /// A Redis failure as the fail-closed `Unavailable`.
    pub(super) fn unavailable(&self, e: &redis::RedisError) -> LedgerError {
        LedgerError::Unavailable(self.scrub(&e.to_string()))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_survive() {
        let r = Redactor::for_url("redis://alice:s3cret@db.example:6379/0");
        assert_eq!(r.scrub("auth s3cret failed"), "auth *** failed");
        let r = Redactor::for_url("rediss://:only-pass@host");
        assert_eq!(r.scrub("x only-pass y"), "x *** y");
        let r = Redactor::for_url("redis://u:p%40ss@host");
        assert_eq!(r.scrub("p@ss and p%40ss"), "*** and ***");
        let r = Redactor::for_url("redis+cluster://u:cl-pass@h1:7000,h2:7000");
        assert_eq!(r.scrub("h2:7000 auth cl-pass"), "h2:7000 auth ***");
        let r = Redactor::for_url("redis://127.0.0.1:6379");
        assert_eq!(r.scrub("6379 refused"), "6379 refused");
    }
}
