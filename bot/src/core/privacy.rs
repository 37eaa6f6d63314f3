//! Which admin answers only the admin may read, and how a frontend
//! delivers them. The rule lives here once: an answer carrying access
//! codes or other people's data (usage, top users, spend) asked in a group
//! goes to the admin's private chat (Telegram) or stays ephemeral
//! (Discord, where every admin answer already is), never into the group.

use super::admin::AdminCommand;
use super::message::ChatKind;
use super::render;
use crate::i18n::{Locale, t, tr};

/// Who may read an admin command's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A confirmation of what the admin typed: fine where it was asked.
    Chat,
    /// Codes or other people's data: the admin alone.
    AdminOnly,
}

/// Where a frontend sends an admin answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the chat where it was asked.
    Here,
    /// In the admin's private chat, with [`sent_privately`] as the note in
    /// the group (or [`open_private_chat`] if the platform refuses).
    Privately,
}

impl AdminCommand {
    /// Who may read this command's answer.
    pub fn audience(&self) -> Audience {
        match self {
            AdminCommand::Mint(_)
            | AdminCommand::ListCodes
            | AdminCommand::Usage { .. }
            | AdminCommand::Top { .. }
            | AdminCommand::Stats => Audience::AdminOnly,
            AdminCommand::Grant { .. }
            | AdminCommand::Deduct { .. }
            | AdminCommand::Plan { .. }
            | AdminCommand::Ban { .. }
            | AdminCommand::Unban { .. }
            | AdminCommand::Revoke { .. } => Audience::Chat,
        }
    }
}

/// Where the answer to `cmd`, asked in a chat of `kind`, must go.
pub fn delivery(kind: ChatKind, cmd: &AdminCommand) -> Delivery {
    match (kind, cmd.audience()) {
        (ChatKind::Group, Audience::AdminOnly) => Delivery::Privately,
        _ => Delivery::Here,
    }
}

/// Where an `/apikey` answer goes: a new key's secret, or the list of a
/// user's keys, is the user's alone, so asked in a group it goes to the
/// user's private chat (Telegram; Discord answers ephemerally anyway).
pub fn apikey_delivery(kind: ChatKind) -> Delivery {
    match kind {
        ChatKind::Group => Delivery::Privately,
        _ => Delivery::Here,
    }
}

/// The note left in the group once the answer went to the admin privately.
pub fn sent_privately(locale: Locale) -> String {
    t(locale, "admin-sent-privately")
}

/// The hint when the platform will not let the bot write to the admin
/// first; `link` opens a private chat with the bot (`https://t.me/<bot>`).
pub fn open_private_chat(locale: Locale, link: &str) -> String {
    tr(locale, "admin-open-private-chat", &[("link", link.into())])
}

/// A private answer that could not be delivered for another reason.
pub fn not_delivered(locale: Locale) -> String {
    render::text::unavailable(locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_usage_asked_in_a_group_go_private() {
        let group = ChatKind::Group;
        assert_eq!(
            delivery(group, &AdminCommand::ListCodes),
            Delivery::Privately
        );
        assert_eq!(delivery(group, &AdminCommand::Stats), Delivery::Privately);
        assert_eq!(
            delivery(group, &AdminCommand::Top { days: 7 }),
            Delivery::Privately
        );
        assert_eq!(
            delivery(group, &AdminCommand::Revoke { id: "x".into() }),
            Delivery::Here
        );
        assert_eq!(
            delivery(ChatKind::Private, &AdminCommand::ListCodes),
            Delivery::Here
        );
    }

    #[test]
    fn api_key_answers_asked_in_a_group_go_private() {
        assert_eq!(apikey_delivery(ChatKind::Group), Delivery::Privately);
        assert_eq!(apikey_delivery(ChatKind::Private), Delivery::Here);
    }
}
