//! The fakes refuse what the real services refuse, in the services' own
//! error shapes, so a bot that gets past them would get past the real
//! thing. Each module drives one fake over raw HTTP with `reqwest`: the
//! shape of the request is the subject here, not a client library.
//!
//! - `openai`: key, required fields, types, ranges, sizes per model,
//!   transparent backgrounds, and exactly as many streamed partials as asked.
//! - `responses`: the Responses API's key, fields, `input_image` parts,
//!   tool values, unknown `previous_response_id`, the streamed event types.
//! - `gemini`: key (missing and wrong), `contents`, aspect ratios.
//! - `discord`: bot token, application id, one acknowledgement per
//!   interaction, `@original` only after it and for 15 minutes; `/users/@me`;
//!   an outage's 502 page.
//! - `telegram`: token, methods, bodies, text/caption/button/album limits,
//!   unknown messages, edits that change nothing; an outage's 502 page.

#[path = "fakes/discord.rs"]
mod discord;
#[path = "fakes/gemini.rs"]
mod gemini;
#[path = "fakes/openai.rs"]
mod openai;
#[path = "fakes/responses.rs"]
mod responses;
#[path = "fakes/telegram.rs"]
mod telegram;

use serde_json::Value;

/// Sends `req` and returns the status and the JSON body (Null if none).
async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("the fake answers");
    let status = res.status().as_u16();
    let body = res.bytes().await.expect("a body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}
