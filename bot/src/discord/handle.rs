//! From an interaction to the core and back: who acts (user, guild roles,
//! language), what they said (command line, button, modal), the core's
//! intent, and the gateway calls that carry it out.

use easel_shared::UserKey;
use easel_shared::results::UserSettings;
use serenity::all::{
    ActionRowComponent, ChannelId, CommandInteraction, CommandType, ComponentInteraction,
    CreateInteractionResponse, GuildId, Interaction, InteractionId, Member, MessageId,
    ModalInteraction, ResolvedTarget, User,
};

use super::job::tell;
use super::render::{self as dc, MODAL_IMAGE, MODAL_RESULT, PROMPT_INPUT};
use super::respond::{Ack, Responder};
use super::{Discord, commands};
use crate::core::{
    self, Action, ChangeTarget, Chat, ChatKind, ImageRef, Incoming, Intent, Problem, RepliedTo,
    ResultId as CoreId, act, apikey, render, weblink,
};
use crate::i18n::Locale;
use easel_shared::admin::AdminActor;

/// The person behind an interaction, and where they are.
pub(crate) struct Who {
    pub(crate) user: UserKey,
    pub(crate) channel: ChannelId,
    pub(crate) guild: Option<GuildId>,
    pub(crate) locale: Locale,
    pub(crate) platform_locale: String,
    pub(crate) settings: UserSettings,
    /// The facts the gateway judges admin rights by (user, guild roles).
    pub(crate) actor: AdminActor,
    pub(crate) admin: bool,
    pub(crate) interaction: InteractionId,
    pub(crate) attachment_limit: u32,
    /// The mask attached to /edit.
    pub(crate) mask: Option<ImageRef>,
}

impl Discord {
    /// Answers one interaction. Never fails: every problem is told to the
    /// user (privately) or logged.
    pub async fn handle(&self, interaction: Interaction, ack: Ack) {
        match interaction {
            Interaction::Command(c) => self.command(c, ack).await,
            Interaction::Component(c) => self.component(c, ack).await,
            Interaction::Modal(m) => self.modal(m, ack).await,
            other => tracing::debug!(kind = ?other.kind(), "interaction ignored"),
        }
    }

    async fn who(
        &self,
        id: InteractionId,
        user: &User,
        member: Option<&Member>,
        guild: Option<GuildId>,
        channel: ChannelId,
        platform_locale: &str,
    ) -> Who {
        let key = UserKey::discord(user.id.get());
        let settings = self.gateway.settings(key).await.unwrap_or_default();
        let roles: Vec<u64> = member
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default();
        // Quotas are global: a guild's owner is no admin unless configured;
        // the gateway judges by its live config (admins and guild roles).
        let actor = match guild {
            Some(g) => AdminActor::GuildMember {
                user: key,
                guild: g.get(),
                roles,
            },
            None => AdminActor::User(key),
        };
        let admin = self.gateway.is_admin(&actor);
        Who {
            user: key,
            channel,
            guild,
            locale: Locale::for_user(settings.language.as_deref(), Some(platform_locale)),
            platform_locale: platform_locale.to_owned(),
            settings,
            actor,
            admin,
            interaction: id,
            attachment_limit: 0,
            mask: None,
        }
    }

    fn incoming(&self, who: &Who, text: String) -> Incoming {
        Incoming {
            text,
            // Every interaction is addressed to the bot.
            mentioned: true,
            locale: Some(who.platform_locale.clone()),
            ..Incoming::new(
                who.user,
                Chat {
                    id: who.channel.get() as i64,
                    kind: if who.guild.is_some() {
                        ChatKind::Group
                    } else {
                        ChatKind::Private
                    },
                },
            )
        }
    }

    async fn command(&self, c: CommandInteraction, ack: Ack) {
        let r = Responder::new(self.http.clone(), c.id, c.token.clone(), ack);
        let mut who = self
            .who(
                c.id,
                &c.user,
                c.member.as_deref(),
                c.guild_id,
                c.channel_id,
                &c.locale,
            )
            .await;
        who.attachment_limit = c.attachment_size_limit;
        if c.data.kind == CommandType::Message {
            return self.edit_image_menu(&r, &who, &c).await;
        }
        let line = commands::command_line(&c);
        who.mask = line.mask.map(|a| ImageRef {
            handle: a.url.clone(),
            size: Some(u64::from(a.size)),
        });
        let mut msg = self.incoming(&who, line.text);
        msg.images = line
            .images
            .iter()
            .map(|a| ImageRef {
                handle: a.url.clone(),
                size: Some(u64::from(a.size)),
            })
            .collect();
        self.act_on(&r, &who, &msg).await;
    }

    async fn component(&self, c: ComponentInteraction, ack: Ack) {
        let r = Responder::new(self.http.clone(), c.id, c.token.clone(), ack);
        let who = self
            .who(
                c.id,
                &c.user,
                c.member.as_ref(),
                c.guild_id,
                c.channel_id,
                &c.locale,
            )
            .await;
        let Some(action) = Action::decode(&c.data.custom_id) else {
            // Old or forged button data is never trusted.
            return tell(
                &r,
                render::text::internal_error(who.locale, &c.data.custom_id),
            )
            .await;
        };
        let mut msg = self.incoming(&who, String::new());
        msg.action = Some(action);
        self.act_on(&r, &who, &msg).await;
    }

    async fn modal(&self, m: ModalInteraction, ack: Ack) {
        let r = Responder::new(self.http.clone(), m.id, m.token.clone(), ack);
        let who = self
            .who(
                m.id,
                &m.user,
                m.member.as_ref(),
                m.guild_id,
                m.channel_id,
                &m.locale,
            )
            .await;
        let prompt = m
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .find_map(|c| match c {
                ActionRowComponent::InputText(t) if t.custom_id == PROMPT_INPUT => t.value.clone(),
                _ => None,
            })
            .unwrap_or_default();
        let id = m.data.custom_id.as_str();
        let mut msg = self.incoming(&who, prompt);
        if let Some(result) = id.strip_prefix(MODAL_RESULT) {
            msg.reply_to = Some(RepliedTo {
                from_bot: true,
                result: Some(CoreId(result.to_owned())),
                ..RepliedTo::default()
            });
        } else if let Some(target) = id.strip_prefix(MODAL_IMAGE) {
            match self.image_target(id, target).await {
                Some(image) => msg.images = vec![image],
                None => {
                    return tell(
                        &r,
                        render::notice(who.locale, render::Notice::ImageUnreadable),
                    )
                    .await;
                }
            }
        } else {
            return tell(&r, render::text::internal_error(who.locale, id)).await;
        }
        self.act_on(&r, &who, &msg).await;
    }

    /// "Edit image" on a message: ask what to change in a modal whose
    /// custom id names the message and attachment.
    async fn edit_image_menu(&self, r: &Responder, who: &Who, c: &CommandInteraction) {
        let image = match c.data.target() {
            Some(ResolvedTarget::Message(m)) => m
                .attachments
                .iter()
                .find(|a| is_image(a))
                .map(|a| (m.id, a)),
            _ => None,
        };
        let Some((message, a)) = image else {
            return tell(
                r,
                render::notice(who.locale, render::Notice::ImageUnreadable),
            )
            .await;
        };
        let custom_id = format!("{MODAL_IMAGE}{}:{}:{}", c.channel_id, message, a.id);
        self.targets.put(
            &custom_id,
            ImageRef {
                handle: a.url.clone(),
                size: Some(u64::from(a.size)),
            },
        );
        let modal = CreateInteractionResponse::Modal(dc::change_modal(who.locale, custom_id));
        if let Err(e) = r.first(modal, false).await {
            tracing::warn!(error = %e, "modal not shown");
        }
    }

    /// The image a modal was opened for: remembered, or read again over REST
    /// (after a restart; the attachment's signed URL is fresh then).
    async fn image_target(&self, custom_id: &str, target: &str) -> Option<ImageRef> {
        if let Some(image) = self.targets.take(custom_id) {
            return Some(image);
        }
        let mut parts = target
            .split(':')
            .map(|p| p.parse::<u64>().ok().filter(|n| *n != 0));
        let (channel, message, attachment) = (parts.next()??, parts.next()??, parts.next()??);
        let m = self
            .http
            .get_message(ChannelId::new(channel), MessageId::new(message))
            .await
            .ok()?;
        let a = m.attachments.iter().find(|a| a.id.get() == attachment)?;
        Some(ImageRef {
            handle: a.url.clone(),
            size: Some(u64::from(a.size)),
        })
    }

    async fn act_on(&self, r: &Responder, who: &Who, msg: &Incoming) {
        let admins = if who.admin {
            vec![who.user]
        } else {
            Vec::new()
        };
        let ctx = core::Context {
            bot_username: "",
            admins: &admins,
        };
        match core::interpret(msg, &ctx) {
            Err(problem) => tell(r, render::problem(who.locale, &problem)).await,
            Ok(intent) => self.intent(r, who, intent).await,
        }
    }

    async fn intent(&self, r: &Responder, who: &Who, intent: Intent) {
        let locale = who.locale;
        let now = act::system_now();
        let g = &*self.gateway;
        let text = match intent {
            Intent::Generate { .. }
            | Intent::Edit { .. }
            | Intent::Refine { .. }
            | Intent::Again { .. }
            | Intent::Vary { .. } => return self.draw(r, who, intent).await,
            Intent::AskChange(ChangeTarget::Result(result)) => {
                let modal = dc::change_modal(locale, format!("{MODAL_RESULT}{result}"));
                if let Err(e) = r
                    .first(CreateInteractionResponse::Modal(modal), false)
                    .await
                {
                    tracing::warn!(error = %e, "modal not shown");
                }
                return;
            }
            Intent::AskChange(ChangeTarget::Images(_)) => {
                Ok(render::problem(locale, &Problem::EmptyPrompt))
            }
            Intent::Original { result } => return self.original(r, who, &result).await,
            Intent::Cancel { job } => match g.cancel(who.user, &job).await {
                Ok(_) => Ok(render::text::cancelled(locale)),
                Err(e) => Err(e),
            },
            Intent::Ignore => return,
            other => {
                if let Err(e) = r.defer_ephemeral().await {
                    return tracing::warn!(error = %e, "could not defer");
                }
                match other {
                    Intent::Quota => act::quota(g, who.user, locale).await,
                    Intent::Redeem { code } => act::redeem(g, who.user, &code, locale, now).await,
                    Intent::Settings(change) => act::settings(g, who.user, &change, locale).await,
                    Intent::Admin(cmd) => act::admin(g, &who.actor, &cmd, locale, now).await,
                    Intent::Help { admin } => Ok(render::help(locale, admin)),
                    Intent::Start => Ok(render::start(locale)),
                    Intent::Lang(l) => act::lang(g, who.user, l).await,
                    Intent::Forget { confirmed } => {
                        act::forget(g, who.user, confirmed, locale).await
                    }
                    // Deferred ephemeral above: only the user sees a new key.
                    Intent::ApiKey(action) => apikey::answer(g, who.user, &action, locale).await,
                    // Ephemeral too: the link signs its holder in as the user.
                    Intent::WebLink => weblink::answer(g, who.user, locale).await,
                    _ => Ok(render::text::internal_error(locale, "intent")),
                }
            }
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => match act::explain(g, who.user, locale, &e).await {
                Some(t) => t,
                None => return,
            },
        };
        tell(r, text).await;
    }
}

fn is_image(a: &serenity::all::Attachment) -> bool {
    let by_type = a
        .content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("image/"));
    let name = a.filename.to_ascii_lowercase();
    by_type
        || [".png", ".jpg", ".jpeg", ".webp", ".gif"]
            .iter()
            .any(|e| name.ends_with(e))
}
