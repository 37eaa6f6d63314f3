//! The Redis ledger against a real Redis (REDIS_URL, default
//! redis://127.0.0.1:6379), driven by a manual clock; the rules are in
//! docs/ledger.md.
//!
//! Run: `cargo test -p easel-gateway --test redis_ledger`.
//! Every test uses its own key prefix and deletes its keys at the end; none
//! flushes the database.

mod redis_ledger {
    pub(crate) mod fixture;

    mod admin;
    mod codes;
    mod concurrency;
    mod lifecycle;
    mod quota;
    mod restart;
}
