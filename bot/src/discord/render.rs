//! Discord's shape of Easel's texts: the result embed with its buttons,
//! progress edits, the "what should change?" modal, and relative
//! timestamps (`<t:..:R>`, which every client shows in its own language).

use easel_shared::QuotaStatus;
use easel_shared::results::ResultId;
use serenity::all::{
    ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateInputText, CreateModal,
    InputTextStyle,
};

use crate::core::render::{self, ButtonKind, CAPTION_PROMPT_CHARS};
use crate::core::{Action, ResultId as CoreId};
use crate::i18n::{Locale, t};

/// The custom id of the modal's text input.
pub(crate) const PROMPT_INPUT: &str = "prompt";

/// Modal custom id prefix: refine a stored result (`m:r:<result>`).
pub(crate) const MODAL_RESULT: &str = "m:r:";

/// Modal custom id prefix: edit a message's image (`m:i:<channel>:<message>:<attachment>`).
pub(crate) const MODAL_IMAGE: &str = "m:i:";

/// A Discord timestamp that each client renders relative to now, localised.
pub(crate) fn relative(at_millis: i64) -> String {
    format!("<t:{}:R>", at_millis.div_euclid(1000))
}

/// When the tightest window frees its next credit, if one is used.
fn next_reset(status: &QuotaStatus) -> Option<i64> {
    status
        .windows
        .iter()
        .filter(|w| w.used > 0)
        .filter_map(|w| w.next_free_at)
        .map(|at| at.0)
        .min()
}

/// The embed under a result: the prompt, the quota left and when it resets.
pub(crate) fn result_embed(
    locale: Locale,
    prompt: &str,
    quota: Option<&QuotaStatus>,
    note: Option<String>,
) -> CreateEmbed {
    let mut description = render::excerpt(prompt, CAPTION_PROMPT_CHARS);
    if let Some(status) = quota {
        let line = render::quota_line(locale, status);
        if !line.is_empty() {
            description.push_str("\n\n");
            description.push_str(&line);
        }
        if let Some(at) = next_reset(status) {
            description.push_str(&format!(" · ↻ {}", relative(at)));
        }
    }
    if let Some(note) = note {
        description.push_str("\n\n");
        description.push_str(&note);
    }
    CreateEmbed::new().description(fit_description(description))
}

/// Discord refuses an embed description over 4096 characters; a prompt of
/// a few very long graphemes (combining marks) can make one even after the
/// excerpt. Cut by characters then, keeping the start.
fn fit_description(description: String) -> String {
    const MAX: usize = 4096;
    if description.chars().count() <= MAX {
        return description;
    }
    let mut cut: String = description.chars().take(MAX - 1).collect();
    cut.push('…');
    cut
}

/// The core's result buttons; Original buttons five to a row (Discord's
/// limit), Again stands out.
pub(crate) fn result_buttons(locale: Locale, id: &ResultId, images: usize) -> Vec<CreateActionRow> {
    let [first, originals] =
        render::result_buttons(locale, &CoreId(id.as_str().to_owned()), images);
    let button = |b: &render::ResultButton| {
        let style = if b.kind == ButtonKind::Again {
            ButtonStyle::Primary
        } else {
            ButtonStyle::Secondary
        };
        CreateButton::new(b.data.clone())
            .label(b.label.clone())
            .style(style)
    };
    let mut rows = vec![CreateActionRow::Buttons(first.iter().map(button).collect())];
    for chunk in originals.chunks(5) {
        rows.push(CreateActionRow::Buttons(chunk.iter().map(button).collect()));
    }
    rows
}

/// The Cancel button under a queued job.
pub(crate) fn cancel_button(
    locale: Locale,
    request: &easel_shared::RequestId,
) -> Vec<CreateActionRow> {
    let b = CreateButton::new(Action::Cancel(request.clone()).encode())
        .label(render::text::button(locale, ButtonKind::Cancel))
        .style(ButtonStyle::Danger);
    vec![CreateActionRow::Buttons(vec![b])]
}

/// The modal asking what to change; `custom_id` carries the target.
pub(crate) fn change_modal(locale: Locale, custom_id: String) -> CreateModal {
    let label = render::excerpt(&t(locale, "change-label"), 40);
    let title = render::excerpt(&t(locale, "button-edit"), 40);
    let input = CreateInputText::new(InputTextStyle::Paragraph, label, PROMPT_INPUT)
        .required(true)
        .max_length(4000);
    CreateModal::new(custom_id, title).components(vec![CreateActionRow::InputText(input)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_are_discord_timestamps() {
        assert_eq!(relative(1_800_000_000_999), "<t:1800000000:R>");
    }
}
