//! Embedded single-file ledger (redb).
