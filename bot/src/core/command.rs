//! The command grammar: which commands exist and how `/name@Bot args` is
//! split. Telegram appends `@BotName` to commands picked from its menu in
//! groups; a command for another bot is none of ours.

/// Every command, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `/start`.
    Start,
    /// `/help`.
    Help,
    /// `/imagine` and its alias `/img`.
    Imagine,
    /// `/quota`.
    Quota,
    /// `/redeem CODE`.
    Redeem,
    /// `/settings [key value ...]`.
    Settings,
    /// `/lang en|zh`.
    Lang,
    /// `/forget [confirm]`.
    Forget,
    /// `/apikey [create|list|revoke PREFIX]`: keys of the OpenAI-compatible API.
    ApiKey,
    /// `/web`: a one-time sign-in link to the web pages.
    Web,
    /// Admin commands; only configured admins get their arguments read.
    Admin(AdminVerb),
}

/// The admin commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminVerb {
    /// `/grant USER N [reason]`.
    Grant,
    /// `/deduct USER N [reason]`.
    Deduct,
    /// `/plan USER NAME|default [days]`.
    Plan,
    /// `/ban USER [reason]`.
    Ban,
    /// `/unban USER`.
    Unban,
    /// `/codes mint|list|revoke ...`.
    Codes,
    /// `/usage USER` or `/usage top [days]`.
    Usage,
    /// `/stats`.
    Stats,
}

impl Command {
    /// The commands everyone may use, in help order (canonical names).
    pub const USER: [Command; 10] = [
        Command::Imagine,
        Command::Quota,
        Command::Redeem,
        Command::Settings,
        Command::Lang,
        Command::Forget,
        Command::ApiKey,
        Command::Web,
        Command::Help,
        Command::Start,
    ];

    /// The admin commands, in help order.
    pub const ADMIN: [Command; 8] = [
        Command::Admin(AdminVerb::Grant),
        Command::Admin(AdminVerb::Deduct),
        Command::Admin(AdminVerb::Plan),
        Command::Admin(AdminVerb::Ban),
        Command::Admin(AdminVerb::Unban),
        Command::Admin(AdminVerb::Codes),
        Command::Admin(AdminVerb::Usage),
        Command::Admin(AdminVerb::Stats),
    ];

    /// Looks a command up by name (any case), aliases included.
    pub fn from_name(name: &str) -> Option<Command> {
        Some(match name.to_ascii_lowercase().as_str() {
            "start" => Command::Start,
            "help" => Command::Help,
            "imagine" | "img" => Command::Imagine,
            "quota" => Command::Quota,
            "redeem" => Command::Redeem,
            "settings" => Command::Settings,
            "lang" => Command::Lang,
            "forget" => Command::Forget,
            "apikey" => Command::ApiKey,
            "web" => Command::Web,
            "grant" => Command::Admin(AdminVerb::Grant),
            "deduct" => Command::Admin(AdminVerb::Deduct),
            "plan" => Command::Admin(AdminVerb::Plan),
            "ban" => Command::Admin(AdminVerb::Ban),
            "unban" => Command::Admin(AdminVerb::Unban),
            "codes" => Command::Admin(AdminVerb::Codes),
            "usage" => Command::Admin(AdminVerb::Usage),
            "stats" => Command::Admin(AdminVerb::Stats),
            _ => return None,
        })
    }

    /// The canonical name, without the slash; also the suffix of the
    /// command's help and usage message ids (`help-cmd-imagine`).
    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Help => "help",
            Command::Imagine => "imagine",
            Command::Quota => "quota",
            Command::Redeem => "redeem",
            Command::Settings => "settings",
            Command::Lang => "lang",
            Command::Forget => "forget",
            Command::ApiKey => "apikey",
            Command::Web => "web",
            Command::Admin(verb) => match verb {
                AdminVerb::Grant => "grant",
                AdminVerb::Deduct => "deduct",
                AdminVerb::Plan => "plan",
                AdminVerb::Ban => "ban",
                AdminVerb::Unban => "unban",
                AdminVerb::Codes => "codes",
                AdminVerb::Usage => "usage",
                AdminVerb::Stats => "stats",
            },
        }
    }
}

/// A message that starts with a command, split up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandLine<'a> {
    /// The name as typed, without slash and `@bot`.
    pub(crate) name: &'a str,
    /// `Some(true)`: `/cmd@us`; `Some(false)`: `/cmd@someone_else`; `None`: no `@`.
    pub(crate) to_us: Option<bool>,
    /// The rest of the text, untouched apart from the leading whitespace.
    pub(crate) args: &'a str,
}

/// Splits `/name[@bot] args`; `None` if the text does not start with a
/// command (a path such as `/usr/bin` or a lone `/` is plain text).
pub(crate) fn split<'a>(text: &'a str, bot_username: &str) -> Option<CommandLine<'a>> {
    let rest = text.trim_start().strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (head, args) = rest.split_at(end);
    let (name, to_us) = match head.split_once('@') {
        Some((name, bot)) => (name, Some(bot.eq_ignore_ascii_case(bot_username))),
        None => (head, None),
    };
    let valid = !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then(|| CommandLine {
        name,
        to_us,
        args: args.trim_start(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(&str, Option<bool>, &str)>) {
        let got = split(text, "EaselBot").map(|c| (c.name, c.to_us, c.args));
        assert_eq!(got, expected, "{text:?}");
    }

    #[test]
    fn commands_split() {
        check("/img a cat", Some(("img", None, "a cat")));
        check("/img@EaselBot a cat", Some(("img", Some(true), "a cat")));
        check("/img@easelbot\na cat", Some(("img", Some(true), "a cat")));
        check("/img@OtherBot a cat", Some(("img", Some(false), "a cat")));
        check("/quota", Some(("quota", None, "")));
        check("/usr/bin is a path", None);
        check("/ nothing", None);
        check("a /img in the middle", None);
        check("/画 猫", None);
    }

    #[test]
    fn names_round_trip() {
        for c in Command::USER.into_iter().chain(Command::ADMIN) {
            assert_eq!(Command::from_name(c.name()), Some(c));
        }
        assert_eq!(Command::from_name("IMG"), Some(Command::Imagine));
    }
}
