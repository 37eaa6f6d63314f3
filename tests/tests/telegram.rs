//! The Telegram frontend end to end: the real teloxide client against the
//! fake Bot API (`easel_tests::fake_telegram`), the real in-process gateway
//! over embedded stores, and the fake OpenAI server upstream. No mocks of
//! Easel's own components (the gateway is only observed, `observed.rs`);
//! waits poll recorded calls, never fixed sleeps; album debounces, progress
//! edits and chat actions move by the manual clock.

#[path = "telegram/admission.rs"]
mod admission;
#[path = "telegram/apikey.rs"]
mod apikey;
#[path = "telegram/conversation.rs"]
mod conversation;
#[path = "telegram/groups.rs"]
mod groups;
#[path = "telegram/harness.rs"]
pub(crate) mod harness;
#[path = "telegram/observed.rs"]
mod observed;
#[path = "telegram/pacing.rs"]
mod pacing;
#[path = "telegram/private.rs"]
mod private;
#[path = "telegram/refusals.rs"]
mod refusals;
#[path = "telegram/restarts.rs"]
mod restarts;
#[path = "telegram/results.rs"]
mod results;
#[path = "telegram/webhook.rs"]
mod webhook;
#[path = "telegram/weblink.rs"]
mod weblink;
