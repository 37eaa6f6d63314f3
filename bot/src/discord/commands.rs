//! The registry of every Discord command (slash commands and the message
//! context menu), their registration, and how a command's options become
//! the command line the conversation core reads (`/imagine --ar 3:2 a fox`).

use serenity::all::{
    Attachment, CommandInteraction, CommandOptionType, CommandType, CreateCommand,
    CreateCommandOption, GuildId, Http, Permissions, ResolvedOption, ResolvedValue,
};

/// The message context-menu command's name.
pub const EDIT_IMAGE: &str = "Edit image";

/// Every command Easel registers.
pub fn definitions() -> Vec<CreateCommand> {
    let s =
        |name: &str, desc: &str| CreateCommandOption::new(CommandOptionType::String, name, desc);
    let att = |name: &str, desc: &str| {
        CreateCommandOption::new(CommandOptionType::Attachment, name, desc)
    };
    let user =
        |desc: &str| CreateCommandOption::new(CommandOptionType::User, "user", desc).required(true);
    let credits = || {
        CreateCommandOption::new(CommandOptionType::Integer, "credits", "How many credits")
            .required(true)
            .min_int_value(1)
            .max_int_value(1_000_000_000)
    };
    let render_options = || {
        vec![
            s("aspect", "Aspect ratio, e.g. 1:1, 3:2, 16:9")
                .add_string_choice("1:1", "1:1")
                .add_string_choice("3:2", "3:2")
                .add_string_choice("2:3", "2:3")
                .add_string_choice("16:9", "16:9")
                .add_string_choice("9:16", "9:16"),
            s("quality", "Quality")
                .add_string_choice("auto", "auto")
                .add_string_choice("low", "low")
                .add_string_choice("medium", "medium")
                .add_string_choice("high", "high"),
            CreateCommandOption::new(CommandOptionType::Integer, "n", "How many images")
                .min_int_value(1)
                .max_int_value(10),
            s("background", "Background")
                .add_string_choice("auto", "auto")
                .add_string_choice("transparent", "transparent")
                .add_string_choice("opaque", "opaque"),
        ]
    };
    let mut imagine = CreateCommand::new("imagine")
        .description("Draw a picture, or change the images you attach")
        .description_localized("zh-CN", "画一张图，或修改你附上的图片")
        .add_option(
            s("prompt", "What to draw or change")
                .required(true)
                .max_length(4000),
        );
    for i in 1..=4 {
        imagine = imagine.add_option(att(&format!("image{i}"), "An image to edit"));
    }
    for o in render_options() {
        imagine = imagine.add_option(o);
    }
    let edit = CreateCommand::new("edit")
        .description("Change an image as you describe")
        .description_localized("zh-CN", "按你的描述修改图片")
        .add_option(att("image", "The image to change").required(true))
        .add_option(
            s("prompt", "What to change")
                .required(true)
                .max_length(4000),
        )
        .add_option(att("mask", "PNG, transparent where to change"));
    let mut settings = CreateCommand::new("settings")
        .description("Your default options")
        .description_localized("zh-CN", "你的默认选项");
    for o in render_options() {
        settings = settings.add_option(o);
    }
    settings = settings.add_option(CreateCommandOption::new(
        CommandOptionType::Boolean,
        "reset",
        "Back to the defaults",
    ));
    let sub = |name: &str, desc: &str, opts: Vec<CreateCommandOption>| {
        CreateCommandOption::new(CommandOptionType::SubCommand, name, desc).set_sub_options(opts)
    };
    let admin = CreateCommand::new("admin")
        .description("Easel administration (configured admins only)")
        // Only hides the command; the handler checks the configured admins.
        .default_member_permissions(Permissions::ADMINISTRATOR)
        .add_option(sub(
            "grant",
            "Add prepaid credits",
            vec![user("Whose account"), credits(), s("reason", "Why")],
        ))
        .add_option(sub(
            "deduct",
            "Take prepaid credits away",
            vec![user("Whose account"), credits(), s("reason", "Why")],
        ))
        .add_option(sub(
            "plan",
            "Assign a plan, or `default`",
            vec![
                user("Whose plan"),
                s("name", "Plan name or default").required(true),
                CreateCommandOption::new(CommandOptionType::Integer, "days", "For how many days")
                    .min_int_value(1),
            ],
        ))
        .add_option(sub(
            "ban",
            "Refuse all requests from a user",
            vec![user("Who"), s("reason", "Why")],
        ))
        .add_option(sub("unban", "Lift a ban", vec![user("Who")]))
        .add_option(sub(
            "codes",
            "Mint, list or revoke access codes",
            vec![s("args", "mint COUNT credits=N … | list | revoke ID").required(true)],
        ))
        .add_option(sub(
            "usage",
            "A user's usage, or the top users",
            vec![
                CreateCommandOption::new(
                    CommandOptionType::User,
                    "user",
                    "Whose usage (empty: top users)",
                ),
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "days",
                    "Top users over these days",
                )
                .min_int_value(1),
            ],
        ))
        .add_option(sub("stats", "Today's spend against the daily cap", vec![]));
    vec![
        imagine,
        edit,
        CreateCommand::new(EDIT_IMAGE).kind(CommandType::Message),
        CreateCommand::new("quota")
            .description("What you have left and when more frees up")
            .description_localized("zh-CN", "剩余额度及恢复时间"),
        CreateCommand::new("redeem")
            .description("Redeem an access code")
            .description_localized("zh-CN", "兑换访问码")
            .add_option(s("code", "The code").required(true)),
        settings,
        CreateCommand::new("apikey")
            .description("Keys for the OpenAI-compatible API (only you see the answer)")
            .description_localized("zh-CN", "OpenAI 兼容 API 的密钥（仅你可见）")
            .add_option(
                s("action", "create, list or revoke")
                    .add_string_choice("list", "list")
                    .add_string_choice("create", "create")
                    .add_string_choice("revoke", "revoke"),
            )
            .add_option(s("prefix", "The key to revoke, e.g. easel-sk-AbCd1234")),
        CreateCommand::new("web")
            .description("A one-time link to sign in to the web pages as you (only you see it)")
            .description_localized("zh-CN", "以你的账号登录网页的一次性链接（仅你可见）"),
        admin,
    ]
}

/// Registers every command in each guild, or globally when none is listed.
pub async fn register(http: &Http, guilds: &[u64]) -> Result<(), serenity::Error> {
    if guilds.is_empty() {
        http.create_global_commands(&definitions()).await?;
        return Ok(());
    }
    for g in guilds {
        GuildId::new(*g).set_commands(http, definitions()).await?;
    }
    Ok(())
}

/// A slash command read for the core: its command line and attached images.
pub(crate) struct CommandLine<'a> {
    /// What the core parses, e.g. `/imagine --ar 3:2 a fox`.
    pub(crate) text: String,
    /// The images to edit, in option order.
    pub(crate) images: Vec<&'a Attachment>,
    /// The mask of /edit, if attached.
    pub(crate) mask: Option<&'a Attachment>,
}

/// Turns a slash command into the core's command line.
pub(crate) fn command_line(cmd: &CommandInteraction) -> CommandLine<'_> {
    let options = cmd.data.options();
    let mut line = CommandLine {
        text: String::new(),
        images: Vec::new(),
        mask: None,
    };
    let mut flags = Vec::new();
    let mut prompt = String::new();
    let mut words: Vec<String> = Vec::new();
    match cmd.data.name.as_str() {
        "imagine" | "edit" | "settings" => {
            let settings = cmd.data.name == "settings";
            for o in &options {
                match (o.name, &o.value) {
                    ("prompt", ResolvedValue::String(p)) => prompt = (*p).to_owned(),
                    ("mask", ResolvedValue::Attachment(a)) => line.mask = Some(a),
                    (_, ResolvedValue::Attachment(a)) => line.images.push(a),
                    ("reset", ResolvedValue::Boolean(true)) => words.push("reset".into()),
                    (name, value) => {
                        let key = match name {
                            "aspect" => "ar",
                            "quality" => "q",
                            "background" => "bg",
                            other => other,
                        };
                        if let Some(v) = scalar(value) {
                            flags.push(if settings {
                                format!("{key} {v}")
                            } else {
                                format!("--{key} {v}")
                            });
                        }
                    }
                }
            }
            let name = if settings { "settings" } else { "imagine" };
            // `reset` wins over values given alongside it.
            let args = if words.is_empty() {
                flags.join(" ")
            } else {
                words.join(" ")
            };
            line.text = format!("/{name} {args} {prompt}");
        }
        "redeem" => line.text = format!("/redeem {}", string_option(&options, "code")),
        "apikey" => {
            let action = string_option(&options, "action");
            let action = if action.is_empty() {
                "list"
            } else {
                action.as_str()
            };
            line.text = format!("/apikey {action} {}", string_option(&options, "prefix"));
        }
        "admin" => line.text = admin_line(&options),
        other => line.text = format!("/{other}"),
    }
    line
}

fn scalar(value: &ResolvedValue<'_>) -> Option<String> {
    match value {
        ResolvedValue::String(s) => Some((*s).to_owned()),
        ResolvedValue::Integer(i) => Some(i.to_string()),
        ResolvedValue::Number(n) => Some(n.to_string()),
        ResolvedValue::User(u, _) => Some(format!("dc:{}", u.id)),
        _ => None,
    }
}

fn string_option(options: &[ResolvedOption<'_>], name: &str) -> String {
    options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| scalar(&o.value))
        .unwrap_or_default()
}

/// `/admin grant user:@x credits:5 reason:gift` -> `/grant dc:<id> 5 gift`.
fn admin_line(options: &[ResolvedOption<'_>]) -> String {
    let Some(ResolvedOption {
        name: verb,
        value: ResolvedValue::SubCommand(sub),
        ..
    }) = options.first()
    else {
        return "/admin".to_owned();
    };
    let get = |n: &str| string_option(sub, n);
    let args = match *verb {
        "grant" | "deduct" => format!("{} {} {}", get("user"), get("credits"), get("reason")),
        "plan" => format!("{} {} {}", get("user"), get("name"), get("days")),
        "ban" => format!("{} {}", get("user"), get("reason")),
        "unban" => get("user"),
        "codes" => get("args"),
        "usage" => match get("user") {
            u if u.is_empty() => format!("top {}", get("days")),
            u => u,
        },
        _ => String::new(),
    };
    format!("/{verb} {args}")
}
