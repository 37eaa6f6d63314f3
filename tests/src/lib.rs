//! Easel tests.

/// A fake Gemini `generateContent` API (images, blocks, faults).
pub mod fake_gemini;
/// A fake OpenAI Images API (generations, edits, SSE, faults).
pub mod fake_openai;
/// A fake Telegram Bot API (long polling, uploads, downloads, 429s) for teloxide.
pub mod fake_telegram;
