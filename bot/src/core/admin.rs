//! Admin commands: their typed form and the parser for their arguments.
//! The parser runs only for configured admins (the caller checks first), so
//! nobody else learns anything from its error messages.

use std::time::Duration;

use easel_shared::admin::CodeSpec;
use easel_shared::{UnixMillis, UserKey};

use super::command::{AdminVerb, Command};
use super::intent::{Problem, UsageError};

/// A user named in an admin command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// A known user: a numeric id (the admin's platform), `tg:123` or
    /// `dc:456`, or the author of the message the admin replied to.
    Key(UserKey),
    /// `@name`, for the adapter or gateway to resolve from usernames seen.
    Username(String),
}

/// What an admin asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// Add prepaid credits.
    Grant {
        /// Whose account.
        user: UserRef,
        /// How many credits.
        credits: u64,
        /// Why, for the audit trail.
        reason: String,
    },
    /// Take prepaid credits away.
    Deduct {
        /// Whose account.
        user: UserRef,
        /// How many credits.
        credits: u64,
        /// Why, for the audit trail.
        reason: String,
    },
    /// Assign a plan, or return the user to the default plan.
    Plan {
        /// Whose plan.
        user: UserRef,
        /// `None`: back to the default plan.
        plan: Option<String>,
        /// For how many days (`None`: until changed).
        days: Option<u32>,
    },
    /// Refuse everything from a user.
    Ban {
        /// Who.
        user: UserRef,
        /// Why, for the audit trail.
        reason: String,
    },
    /// Lift a ban.
    Unban {
        /// Who.
        user: UserRef,
    },
    /// Mint access codes.
    Mint(MintRequest),
    /// List access codes.
    ListCodes,
    /// Revoke an access code by its public id.
    Revoke {
        /// The code's public id.
        id: String,
    },
    /// A user's recent usage.
    Usage {
        /// Whose.
        user: UserRef,
    },
    /// The heaviest users over the last days.
    Top {
        /// How many days back.
        days: u32,
    },
    /// Today's spend against the daily cap.
    Stats,
}

/// `/codes mint COUNT [credits=N] [plan=NAME] [days=N] [uses=N] [expires=7d] [note=...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRequest {
    /// How many codes (1..=100).
    pub count: u32,
    /// Prepaid credits per code.
    pub credits: u64,
    /// A plan granted by the code.
    pub plan: Option<String>,
    /// Days of that plan (0: forever).
    pub plan_days: u32,
    /// Users per code (>= 1).
    pub max_uses: u32,
    /// How long the codes can be redeemed, from now.
    pub expires_in: Option<Duration>,
    /// Free text for admins.
    pub note: String,
}

impl MintRequest {
    /// The spec the ledger mints, with the expiry fixed relative to `now`.
    pub fn spec(&self, now: UnixMillis) -> CodeSpec {
        CodeSpec {
            credits: self.credits,
            plan: self.plan.clone(),
            plan_days: self.plan_days,
            max_uses: self.max_uses,
            redeem_by: self.expires_in.map(|d| now.plus(d)),
            note: self.note.clone(),
        }
    }
}

/// Reads an admin command's arguments. `reply_author` is the author of the
/// message the admin replied to, for `reply` as USER.
pub(crate) fn parse(
    verb: AdminVerb,
    args: &str,
    admin: UserKey,
    reply_author: Option<UserKey>,
) -> Result<AdminCommand, Problem> {
    let mut a = Args {
        rest: args.trim(),
        admin,
        reply_author,
    };
    read(verb, &mut a).map_err(|reason| Problem::Usage {
        command: Command::Admin(verb).name(),
        reason,
    })
}

fn read(verb: AdminVerb, a: &mut Args<'_>) -> Result<AdminCommand, UsageError> {
    let cmd = match verb {
        AdminVerb::Grant | AdminVerb::Deduct => {
            let user = a.user()?;
            let credits = a.number("N", 1..=1_000_000_000)?;
            let reason = a.rest().to_owned();
            if verb == AdminVerb::Grant {
                AdminCommand::Grant {
                    user,
                    credits,
                    reason,
                }
            } else {
                AdminCommand::Deduct {
                    user,
                    credits,
                    reason,
                }
            }
        }
        AdminVerb::Plan => {
            let user = a.user()?;
            let name = a.word().ok_or(UsageError::Missing("NAME"))?;
            let plan = (!name.eq_ignore_ascii_case("default")).then(|| name.to_owned());
            let days = match a.word() {
                None => None,
                Some(d) => Some(number_in(d, "days", 1..=36_500)? as u32),
            };
            a.end()?;
            AdminCommand::Plan { user, plan, days }
        }
        AdminVerb::Ban => AdminCommand::Ban {
            user: a.user()?,
            reason: a.rest().to_owned(),
        },
        AdminVerb::Unban => {
            let user = a.user()?;
            a.end()?;
            AdminCommand::Unban { user }
        }
        AdminVerb::Codes => codes(a)?,
        AdminVerb::Usage => match a.word() {
            Some(w) if w.eq_ignore_ascii_case("top") => {
                let days = match a.word() {
                    None => 7,
                    Some(d) => number_in(d, "days", 1..=365)? as u32,
                };
                a.end()?;
                AdminCommand::Top { days }
            }
            Some(w) => {
                let user = a.user_from(w)?;
                a.end()?;
                AdminCommand::Usage { user }
            }
            None => return Err(UsageError::Missing("USER")),
        },
        AdminVerb::Stats => {
            a.end()?;
            AdminCommand::Stats
        }
    };
    Ok(cmd)
}

fn codes(a: &mut Args<'_>) -> Result<AdminCommand, UsageError> {
    match a.word() {
        Some(w) if w.eq_ignore_ascii_case("list") => {
            a.end()?;
            Ok(AdminCommand::ListCodes)
        }
        Some(w) if w.eq_ignore_ascii_case("revoke") => {
            let id = a.word().ok_or(UsageError::Missing("ID"))?.to_owned();
            a.end()?;
            Ok(AdminCommand::Revoke { id })
        }
        Some(w) if w.eq_ignore_ascii_case("mint") => mint(a).map(AdminCommand::Mint),
        Some(w) => Err(UsageError::Bad {
            arg: "mint|list|revoke",
            given: w.to_owned(),
        }),
        None => Err(UsageError::Missing("mint|list|revoke")),
    }
}

fn mint(a: &mut Args<'_>) -> Result<MintRequest, UsageError> {
    let count = a.number("COUNT", 1..=100)? as u32;
    let mut req = MintRequest {
        count,
        credits: 0,
        plan: None,
        plan_days: 0,
        max_uses: 1,
        expires_in: None,
        note: String::new(),
    };
    while !a.rest.is_empty() {
        // `note=` takes the rest of the line, spaces included.
        if let Some(note) = strip_key(a.rest, "note=") {
            req.note = note.trim().to_owned();
            break;
        }
        let Some(word) = a.word() else { break };
        let bad = || UsageError::Bad {
            arg: "key=value",
            given: word.to_owned(),
        };
        let (key, value) = word.split_once('=').ok_or_else(bad)?;
        match key.to_ascii_lowercase().as_str() {
            "credits" => req.credits = number_in(value, "credits", 0..=1_000_000_000)?,
            "plan" => req.plan = Some(value.to_owned()),
            "days" => req.plan_days = number_in(value, "days", 0..=36_500)? as u32,
            "uses" => req.max_uses = number_in(value, "uses", 1..=1_000_000)? as u32,
            "expires" => {
                let bad = || UsageError::Bad {
                    arg: "expires",
                    given: value.to_owned(),
                };
                req.expires_in = Some(parse_duration(value).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    if req.credits == 0 && req.plan.is_none() {
        return Err(UsageError::Missing("credits=N or plan=NAME"));
    }
    Ok(req)
}

/// `7d`, `12h`, `30m`, `2w` -> a duration.
fn parse_duration(s: &str) -> Option<Duration> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    let secs = match unit.to_ascii_lowercase().as_str() {
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(secs).map(Duration::from_secs)
}

fn strip_key<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let head = s.get(..key.len())?;
    head.eq_ignore_ascii_case(key).then(|| &s[key.len()..])
}

fn number_in(
    s: &str,
    arg: &'static str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, UsageError> {
    s.parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| UsageError::Bad {
            arg,
            given: s.to_owned(),
        })
}

/// The unread rest of the arguments.
struct Args<'a> {
    rest: &'a str,
    admin: UserKey,
    reply_author: Option<UserKey>,
}

impl<'a> Args<'a> {
    fn word(&mut self) -> Option<&'a str> {
        let rest = self.rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        self.rest = rest[end..].trim_start();
        Some(&rest[..end])
    }

    fn rest(&mut self) -> &'a str {
        std::mem::take(&mut self.rest).trim()
    }

    fn end(&mut self) -> Result<(), UsageError> {
        match self.word() {
            None => Ok(()),
            Some(extra) => Err(UsageError::Unexpected(extra.to_owned())),
        }
    }

    fn number(
        &mut self,
        arg: &'static str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, UsageError> {
        number_in(self.word().ok_or(UsageError::Missing(arg))?, arg, range)
    }

    fn user(&mut self) -> Result<UserRef, UsageError> {
        let word = self.word().ok_or(UsageError::Missing("USER"))?;
        self.user_from(word)
    }

    fn user_from(&self, word: &str) -> Result<UserRef, UsageError> {
        if word.eq_ignore_ascii_case("reply") {
            return self
                .reply_author
                .map(UserRef::Key)
                .ok_or(UsageError::NoReply);
        }
        if let Some(name) = word.strip_prefix('@').filter(|n| !n.is_empty()) {
            return Ok(UserRef::Username(name.to_owned()));
        }
        if let Ok(id) = word.parse::<u64>() {
            return Ok(UserRef::Key(UserKey {
                platform: self.admin.platform,
                id,
            }));
        }
        word.parse().map(UserRef::Key).map_err(|_| UsageError::Bad {
            arg: "USER",
            given: word.to_owned(),
        })
    }
}
