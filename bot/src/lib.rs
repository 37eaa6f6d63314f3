//! Easel bot.
