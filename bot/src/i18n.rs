//! Message catalogs (Fluent, `bot/locales/*.ftl`) and the user's language.
//!
//! Every user-facing string comes from a catalog. The catalogs are compiled
//! into the binary and parsed once; a missing message or argument never
//! panics: it shows up as the message id or `{$arg}` (and the catalog tests
//! keep both languages complete).

use std::borrow::Cow;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The languages Easel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English, for everyone whose language is not otherwise supported.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Locale {
    /// Every supported locale.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// Maps a platform language code (Telegram's `language_code`, Discord's
    /// `locale`) to a catalog: any Chinese -> zh-CN (readers of traditional
    /// script read simplified far better than English); everything else -> English.
    pub fn from_language_code(code: &str) -> Locale {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("zh") {
            Locale::ZhCn
        } else {
            Locale::En
        }
    }

    /// What a user may type after `/lang`: `en`, `zh`, `zh-CN`, `中文`, ...
    pub fn from_choice(choice: &str) -> Option<Locale> {
        match choice.trim().to_lowercase().as_str() {
            "en" | "english" | "en-us" | "en-gb" => Some(Locale::En),
            "zh" | "cn" | "zh-cn" | "zh-hans" | "中文" | "简体中文" => Some(Locale::ZhCn),
            _ => None,
        }
    }

    /// The user's own choice (from /lang) wins over the platform's language.
    pub fn pick(choice: Option<Locale>, platform_code: Option<&str>) -> Locale {
        choice.unwrap_or_else(|| platform_code.map_or(Locale::En, Locale::from_language_code))
    }

    /// The user's language: their saved /lang choice (`UserSettings::language`)
    /// if it still names a locale, else the platform's language code.
    pub fn for_user(saved: Option<&str>, platform_code: Option<&str>) -> Locale {
        Locale::pick(saved.and_then(Locale::from_choice), platform_code)
    }

    /// The BCP 47 tag, as stored in user settings and used for the catalog file name.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The catalog source for this locale.
    pub fn source(self) -> &'static str {
        match self {
            Locale::En => include_str!("../locales/en.ftl"),
            Locale::ZhCn => include_str!("../locales/zh-CN.ftl"),
        }
    }
}

/// A value for a message placeable: a number (plural rules apply) or text.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    /// A count or amount.
    Num(f64),
    /// Text inserted as is.
    Text(Cow<'a, str>),
}

macro_rules! arg_from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            fn from(n: $t) -> Self {
                Arg::Num(n as f64)
            }
        }
    )*};
}
arg_from_number!(u8, u16, u32, u64, usize, i32, i64);

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}

/// Looks a message up and fills in its placeables.
pub fn tr(locale: Locale, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    let bundle = &CATALOGS[locale as usize];
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        return id.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        let value = match value {
            Arg::Num(n) => FluentValue::from(*n),
            Arg::Text(s) => FluentValue::from(s.as_ref()),
        };
        fluent_args.set(*name, value);
    }
    // Errors (a missing argument) are rendered inline as `{$name}`; the
    // text is still the best we can say, so it is returned as is.
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent_args), &mut errors)
        .into_owned()
}

/// Shorthand for [`tr`] without arguments.
pub fn t(locale: Locale, id: &str) -> String {
    tr(locale, id, &[])
}

/// Both catalogs, indexed by `Locale as usize`.
static CATALOGS: LazyLock<[FluentBundle<FluentResource>; 2]> =
    LazyLock::new(|| Locale::ALL.map(bundle));

fn bundle(locale: Locale) -> FluentBundle<FluentResource> {
    let lang = locale.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Unicode isolation marks around placeables show up as junk in chat clients.
    bundle.set_use_isolating(false);
    // A syntax error keeps the rest of the catalog usable; the catalog tests
    // fail on it, so a release never ships one.
    let resource = FluentResource::try_new(locale.source().to_owned()).unwrap_or_else(|(r, _)| r);
    // Duplicate ids are reported but the first definition stays: fine at runtime.
    let _ = bundle.add_resource(resource);
    bundle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_map_to_catalogs() {
        for (code, locale) in [
            ("zh", Locale::ZhCn),
            ("zh-hans", Locale::ZhCn),
            ("zh-CN", Locale::ZhCn),
            ("zh-Hans-CN", Locale::ZhCn),
            ("zh_SG", Locale::ZhCn),
            ("zh-TW", Locale::ZhCn),
            ("zht", Locale::En),
            ("en", Locale::En),
            ("en-US", Locale::En),
            ("de", Locale::En),
            ("", Locale::En),
        ] {
            assert_eq!(Locale::from_language_code(code), locale, "{code}");
        }
        assert_eq!(Locale::pick(Some(Locale::En), Some("zh")), Locale::En);
        assert_eq!(Locale::pick(None, Some("zh")), Locale::ZhCn);
        assert_eq!(Locale::from_choice("中文"), Some(Locale::ZhCn));
    }

    #[test]
    fn missing_messages_and_args_do_not_panic() {
        assert_eq!(t(Locale::En, "no-such-message"), "no-such-message");
        let text = tr(Locale::En, "dur-m", &[]);
        assert!(text.contains("$m"), "{text}");
    }
}
