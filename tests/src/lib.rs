//! Easel tests.

/// A fake OpenAI Images API (generations, edits, SSE, faults).
pub mod fake_openai;
/// A fake Gemini `generateContent` API (images, blocks, faults).
pub mod fake_gemini;
