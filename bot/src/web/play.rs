//! The playground at `/play`: a third frontend on the conversation core,
//! next to Telegram and Discord. A form post (prompt, dropped photos, the
//! result to refine, Again / Vary) becomes the core's neutral message
//! ([`form`]), goes through the core's builder and the gateway's pre-check
//! ([`submit`]), and the job's events reach the page as Server-Sent Events
//! ([`events`], logged per job in [`jobs`] so a reload resumes). Results
//! and their originals are served to their owner only ([`results`]); the
//! history is the account's stored results, the same as in chat for a
//! user signed in through `/web`.

pub mod events;
pub mod form;
mod handlers;
pub mod jobs;
pub mod page;
pub mod results;
pub mod submit;

pub(super) use handlers::routes;

pub use form::{PlayForm, Redo};
pub use jobs::Jobs;
pub use submit::Submitter;
