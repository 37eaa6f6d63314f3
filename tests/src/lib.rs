//! Easel tests.

/// A fake Discord REST API (interaction callbacks, webhook edits, CDN).
pub mod fake_discord;

/// A fake Gemini `generateContent` API (images, blocks, faults).
pub mod fake_gemini;
/// A fake OpenAI Images API (generations, edits, SSE, faults).
pub mod fake_openai;
