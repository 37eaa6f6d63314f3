//! Easel tests.

/// A fake Gemini `generateContent` API (images, blocks, faults).
pub mod fake_gemini;
/// A fake OpenAI Images API (generations, edits, SSE, faults).
pub mod fake_openai;
