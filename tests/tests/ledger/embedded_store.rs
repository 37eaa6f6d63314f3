//! The embedded store only: crash safety of acknowledged operations.
