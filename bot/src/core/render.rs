//! Every text a user reads, in their language: quota and denials, redemption
//! and admin replies, help, problems, progress and captions. Functions take
//! `now` where a relative time appears, so tests need no clock.

pub mod admin;
pub mod job;
pub mod pieces;
pub mod quota;
pub mod text;
pub mod time;

pub use admin::{admin_done, code_list, minted, redemption, stats, top, usage};
pub use job::{
    Notice, ResultButton, VARY_PROMPT, bad_input, bad_mask, failure, input_too_large, notice,
    result_buttons,
};
pub use pieces::pieces;
pub use quota::{denial, quota_line, quota_status, window_line};
pub use text::{
    ButtonKind, CAPTION_PROMPT_CHARS, ask_change, excerpt, help, problem, result_caption, start,
};
pub use time::{date, duration, until};
