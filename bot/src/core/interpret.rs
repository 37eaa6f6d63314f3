//! The decision: one incoming message -> one intent. The rules, in order:
//!
//! 1. A button press is its action, wherever it happens.
//! 2. A command for another bot (`/img@OtherBot`) is ignored; our commands
//!    are answered anywhere; an unknown command gets the list of commands,
//!    except in groups, where it may well be meant for another bot.
//! 3. In groups, anything else must mention the bot or reply to it.
//! 4. What remains is a request: a reply to one of our results refines it;
//!    images (own or replied-to) with words are an edit, without words the
//!    bot asks what to change; words alone generate.

use easel_shared::UserKey;
use easel_shared::flags;

use super::admin;
use super::command::{self, Command};
use super::intent::{ApiKeyAction, ChangeTarget, Intent, Problem, SettingsChange, UsageError};
use super::message::{Action, ChatKind, Incoming};
use crate::i18n::Locale;

/// What the core needs to know about the deployment.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The bot's username without `@` (Telegram: for `/cmd@Bot` and `@Bot`
    /// mentions; compared case-insensitively).
    pub bot_username: &'a str,
    /// Users allowed to run admin commands (`access.admins`).
    pub admins: &'a [UserKey],
}

/// Reads one message. `Ok(Intent::Ignore)` means stay silent; every `Err`
/// deserves a reply.
pub fn interpret(msg: &Incoming, ctx: &Context<'_>) -> Result<Intent, Problem> {
    if let Some(action) = &msg.action {
        return Ok(from_action(action));
    }
    let group = msg.chat.kind == ChatKind::Group;
    if let Some(line) = command::split(&msg.text, ctx.bot_username) {
        return match (Command::from_name(line.name), line.to_us) {
            (_, Some(false)) => Ok(Intent::Ignore),
            (None, None) if group => Ok(Intent::Ignore),
            (None, _) => Err(Problem::UnknownCommand {
                command: line.name.to_owned(),
            }),
            (Some(cmd), _) => run_command(cmd, line.args, msg, ctx),
        };
    }
    let replies_to_bot = msg.reply_to.as_ref().is_some_and(|r| r.from_bot);
    let (body, mentioned_in_text) = strip_mention(&msg.text, ctx.bot_username);
    let mentioned = msg.mentioned || mentioned_in_text;
    if group {
        // Stickers and bare emoji replies to the bot are chatter, not requests.
        let empty = body.trim().is_empty() && msg.images.is_empty();
        let addressed = mentioned || (replies_to_bot && !empty);
        if !addressed {
            return Ok(Intent::Ignore);
        }
    }
    request(&body, msg)
}

/// Whether `user` may run admin commands.
pub fn is_admin(user: UserKey, ctx: &Context<'_>) -> bool {
    ctx.admins.contains(&user)
}

fn from_action(action: &Action) -> Intent {
    match action.clone() {
        Action::Again(result) => Intent::Again { result },
        Action::Vary(result) => Intent::Vary { result },
        Action::Edit(result) => Intent::AskChange(ChangeTarget::Result(result)),
        Action::Original(result) => Intent::Original { result },
        Action::Cancel(job) => Intent::Cancel { job },
    }
}

fn run_command(
    cmd: Command,
    args: &str,
    msg: &Incoming,
    ctx: &Context<'_>,
) -> Result<Intent, Problem> {
    let usage = |reason| Problem::Usage {
        command: cmd.name(),
        reason,
    };
    let admin = is_admin(msg.user, ctx);
    Ok(match cmd {
        Command::Start => Intent::Start,
        Command::Help => Intent::Help { admin },
        Command::Imagine => return request(args, msg),
        Command::Quota => Intent::Quota,
        Command::Redeem => match args.trim() {
            "" => return Err(usage(UsageError::Missing("CODE"))),
            code => Intent::Redeem {
                code: code.to_owned(),
            },
        },
        Command::Settings => Intent::Settings(settings(args)?),
        Command::Lang => match args.trim() {
            "" => return Err(usage(UsageError::Missing("en|zh"))),
            choice => Intent::Lang(Locale::from_choice(choice).ok_or_else(|| {
                usage(UsageError::Bad {
                    arg: "en|zh",
                    given: choice.to_owned(),
                })
            })?),
        },
        Command::Forget => match args.trim().to_lowercase().as_str() {
            "" => Intent::Forget { confirmed: false },
            "confirm" | "确认" => Intent::Forget { confirmed: true },
            other => {
                return Err(usage(UsageError::Bad {
                    arg: "confirm",
                    given: other.to_owned(),
                }));
            }
        },
        Command::ApiKey => Intent::ApiKey(apikey_action(args).map_err(usage)?),
        Command::Web => Intent::WebLink,
        // Refuse before reading a single argument: non-admins learn nothing.
        Command::Admin(_) if !admin => return Err(Problem::NotAdmin),
        Command::Admin(verb) => {
            let author = msg.reply_to.as_ref().and_then(|r| r.author);
            Intent::Admin(admin::parse(verb, args, msg.user, author)?)
        }
    })
}

/// `/apikey` (list), `/apikey create`, `/apikey revoke PREFIX`.
fn apikey_action(args: &str) -> Result<ApiKeyAction, UsageError> {
    let mut words = args.split_whitespace();
    let verb = words.next().unwrap_or("list").to_lowercase();
    let action = match verb.as_str() {
        "list" | "列表" => ApiKeyAction::List,
        "create" | "new" | "创建" => ApiKeyAction::Create,
        "revoke" | "撤销" => ApiKeyAction::Revoke {
            prefix: words
                .next()
                .ok_or(UsageError::Missing("PREFIX"))?
                .to_owned(),
        },
        other => {
            return Err(UsageError::Bad {
                arg: "create|list|revoke",
                given: other.to_owned(),
            });
        }
    };
    match words.next() {
        Some(extra) => Err(UsageError::Unexpected(extra.to_owned())),
        None => Ok(action),
    }
}

/// `/settings`, `/settings reset`, `/settings ar 16:9 q high` (`--ar` works too).
fn settings(args: &str) -> Result<SettingsChange, Problem> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(SettingsChange::Show),
        [w] if w.eq_ignore_ascii_case("reset") => Ok(SettingsChange::Reset),
        _ => {
            let mut set = flags::FlagSet::default();
            for pair in words.chunks(2) {
                let value = match pair {
                    [_, value] => value,
                    [key, ..] => {
                        let flag = parse_flag_name(key)?;
                        return Err(flags::FlagError::MissingValue { flag }.into());
                    }
                    [] => break,
                };
                set.merge(flags::parse_one(pair[0], value)?);
            }
            Ok(SettingsChange::Set(set))
        }
    }
}

fn parse_flag_name(key: &str) -> Result<flags::Flag, Problem> {
    let bare = key.trim_start_matches('-');
    flags::Flag::from_name(bare).ok_or_else(|| {
        flags::FlagError::Unknown {
            flag: format!("--{bare}"),
        }
        .into()
    })
}

/// A request to draw something: generate, edit, refine or ask what to change.
fn request(body: &str, msg: &Incoming) -> Result<Intent, Problem> {
    let parsed = flags::parse(body)?;
    let said_nothing = parsed.prompt.is_empty() && parsed.flags.is_empty();
    let reply = msg.reply_to.as_ref();
    if let Some(result) = reply.and_then(|r| r.result.clone()) {
        return match (
            parsed.prompt.is_empty(),
            said_nothing && msg.images.is_empty(),
        ) {
            (true, true) => Ok(Intent::AskChange(ChangeTarget::Result(result))),
            (true, false) => Err(Problem::EmptyPrompt),
            (false, _) => Ok(Intent::Refine {
                result,
                prompt: parsed.prompt,
                flags: parsed.flags,
                extra_inputs: msg.images.clone(),
            }),
        };
    }
    let mut inputs = msg.images.clone();
    inputs.extend(reply.iter().flat_map(|r| r.images.iter().cloned()));
    match (parsed.prompt.is_empty(), inputs.is_empty()) {
        (false, true) => Ok(Intent::Generate {
            prompt: parsed.prompt,
            flags: parsed.flags,
        }),
        (false, false) => Ok(Intent::Edit {
            prompt: parsed.prompt,
            flags: parsed.flags,
            inputs,
        }),
        (true, false) if said_nothing => Ok(Intent::AskChange(ChangeTarget::Images(inputs))),
        (true, _) => Err(Problem::EmptyPrompt),
    }
}

/// Removes `@bot_username` words from the text; says whether there was one.
fn strip_mention(text: &str, bot_username: &str) -> (String, bool) {
    if bot_username.is_empty() {
        return (text.to_owned(), false);
    }
    let mention = format!("@{bot_username}");
    let mut found = false;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = find_ignore_case(rest, &mention) {
        let end = pos + mention.len();
        // Only a whole word: `@EaselBotFan` is someone else.
        let whole = rest[end..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        out.push_str(&rest[..pos]);
        rest = if whole {
            found = true;
            // `a @Bot b` -> `a b`: the mention takes one neighbouring space with it.
            let after = &rest[end..];
            match (out.ends_with(char::is_whitespace), after.chars().next()) {
                (true, Some(c)) if c.is_whitespace() => &after[c.len_utf8()..],
                _ => after,
            }
        } else {
            out.push_str(&rest[pos..end]);
            &rest[end..]
        };
    }
    out.push_str(rest);
    (out, found)
}

/// Byte offset of an ASCII needle in `hay`, ignoring ASCII case.
fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?)
        .find(|&i| hay.is_char_boundary(i) && h[i..i + n.len()].eq_ignore_ascii_case(n))
}
