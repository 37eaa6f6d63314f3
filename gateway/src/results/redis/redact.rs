//! Turning Redis errors into store errors without leaking the URL's password.

use redis::{ErrorKind, RedisError};

use crate::results::ResultStoreError;

/// Redis at its `maxmemory` is `Full`; connection and I/O trouble is
/// `Unavailable`; replies that do not decode are `Corrupt`.
pub(super) fn map_err(e: RedisError) -> ResultStoreError {
    if crate::redis_link::is_out_of_memory(&e) {
        return ResultStoreError::Full(e.to_string());
    }
    match e.kind() {
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => {
            ResultStoreError::Corrupt(e.to_string())
        }
        _ => ResultStoreError::Unavailable(e.to_string()),
    }
}

/// The password in `redis://user:password@host`, if any.
pub(super) fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let credentials = authority.rsplit_once('@')?.0;
    let password = credentials.split_once(':').map_or(credentials, |(_, p)| p);
    (!password.is_empty()).then(|| password.to_owned())
}

/// Keeps the password out of error texts (they reach logs).
pub(super) fn scrubbed(e: ResultStoreError, secret: Option<&str>) -> ResultStoreError {
    let Some(secret) = secret else { return e };
    match e {
        ResultStoreError::Unavailable(m) => ResultStoreError::Unavailable(m.replace(secret, "***")),
        ResultStoreError::Corrupt(m) => ResultStoreError::Corrupt(m.replace(secret, "***")),
        ResultStoreError::Full(m) => ResultStoreError::Full(m.replace(secret, "***")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_found_and_scrubbed() {
        assert_eq!(url_password("redis://127.0.0.1:6379"), None);
        assert_eq!(
            url_password("redis://:hunter2@host:6379/0").as_deref(),
            Some("hunter2")
        );
        assert_eq!(
            url_password("rediss://me:p%40ss@host/0").as_deref(),
            Some("p%40ss")
        );
        assert_eq!(
            url_password("redis+cluster://:cl-pass@h1:7000,h2:7000").as_deref(),
            Some("cl-pass")
        );
        let e = scrubbed(
            ResultStoreError::Unavailable("auth hunter2 refused".into()),
            Some("hunter2"),
        );
        assert_eq!(e, ResultStoreError::Unavailable("auth *** refused".into()));
    }
}
