//! The Redis ledger only.
