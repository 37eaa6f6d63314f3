//! Easel tests.
