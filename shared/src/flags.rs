//! The prompt-flag parser: `a fox --ar 16:9 --q high` -> the prompt `a fox`
//! plus the options the user asked for. Flags may stand anywhere; `--` ends
//! them. The user's text between flags is kept byte for byte (CJK included);
//! only the whitespace around a removed flag is folded into one separator.

use std::fmt;

use crate::render::{Background, OutputFormat, Quality, RenderOptions, Shape};

/// The options a user set explicitly; `None` means "not said".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlagSet {
    /// From `--ar W:H` or `--size WxH`, whichever came last.
    pub shape: Option<Shape>,
    /// From `--q`.
    pub quality: Option<Quality>,
    /// From `--bg`.
    pub background: Option<Background>,
    /// From `--fmt`.
    pub format: Option<OutputFormat>,
    /// From `--n`.
    pub n: Option<u8>,
}

impl FlagSet {
    /// Whether no option was set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// These options over `base` (the user's defaults or a parent result's
    /// options): every option said explicitly wins.
    pub fn apply_to(&self, base: &RenderOptions) -> RenderOptions {
        RenderOptions {
            shape: self.shape.unwrap_or(base.shape),
            quality: self.quality.unwrap_or(base.quality),
            background: self.background.unwrap_or(base.background),
            format: self.format.unwrap_or(base.format),
            n: self.n.unwrap_or(base.n),
            tuning: base.tuning,
        }
    }

    /// Merges `later` into these options; what `later` sets wins.
    pub fn merge(&mut self, later: FlagSet) {
        self.shape = later.shape.or(self.shape);
        self.quality = later.quality.or(self.quality);
        self.background = later.background.or(self.background);
        self.format = later.format.or(self.format);
        self.n = later.n.or(self.n);
    }
}

/// A prompt with its flags taken out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// The user's text without the flags; trimmed, otherwise untouched.
    pub prompt: String,
    /// What the flags asked for.
    pub flags: FlagSet,
}

/// Every flag the parser knows, by its canonical name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `--ar` / `--aspect`.
    Aspect,
    /// `--size`.
    Size,
    /// `--q` / `--quality`.
    Quality,
    /// `--n`.
    N,
    /// `--bg` / `--background`.
    Background,
    /// `--fmt` / `--format`.
    Format,
}

impl Flag {
    /// All flags, in the order help texts list them.
    pub const ALL: [Flag; 6] = [
        Flag::Aspect,
        Flag::Size,
        Flag::Quality,
        Flag::N,
        Flag::Background,
        Flag::Format,
    ];

    /// Looks a flag up by name (without dashes, any case), aliases included.
    pub fn from_name(name: &str) -> Option<Flag> {
        Some(match name.to_ascii_lowercase().as_str() {
            "ar" | "aspect" => Flag::Aspect,
            "size" => Flag::Size,
            "q" | "quality" => Flag::Quality,
            "n" => Flag::N,
            "bg" | "background" => Flag::Background,
            "fmt" | "format" => Flag::Format,
            _ => return None,
        })
    }

    /// The canonical spelling, with dashes: `--ar`.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Aspect => "--ar",
            Flag::Size => "--size",
            Flag::Quality => "--q",
            Flag::N => "--n",
            Flag::Background => "--bg",
            Flag::Format => "--fmt",
        }
    }

    /// What the flag accepts, for error and help texts (not translated: these
    /// are the literal values to type).
    pub fn allowed(self) -> &'static str {
        match self {
            Flag::Aspect => "W:H, e.g. 1:1, 3:2, 16:9 (1-100 each side)",
            Flag::Size => "WxH in pixels, e.g. 1024x1536 (64-4096 each side)",
            Flag::Quality => "auto, low, medium, high",
            Flag::N => "1-10",
            Flag::Background => "auto, transparent, opaque",
            Flag::Format => "png, jpeg, webp",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A flag the parser cannot accept. Each variant names the flag so the
/// reply can say exactly what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// `--foo`: no such flag.
    #[error("unknown flag `{flag}`; known flags: --ar, --size, --q, --n, --bg, --fmt")]
    Unknown {
        /// The flag as typed.
        flag: String,
    },
    /// The flag ended the text without a value.
    #[error("`{flag}` needs a value: {}", flag.allowed())]
    MissingValue {
        /// The flag.
        flag: Flag,
    },
    /// The value is not one the flag accepts.
    #[error("`{flag} {value}` is not valid: use {}", flag.allowed())]
    BadValue {
        /// The flag.
        flag: Flag,
        /// The value as typed.
        value: String,
    },
}

impl FlagError {
    /// The flag as the user typed or should type it, e.g. `--ar`.
    pub fn flag_name(&self) -> String {
        match self {
            FlagError::Unknown { flag } => flag.clone(),
            FlagError::MissingValue { flag } | FlagError::BadValue { flag, .. } => {
                flag.name().to_owned()
            }
        }
    }
}

/// Splits `text` into the prompt and its flags.
pub fn parse(text: &str) -> Result<Parsed, FlagError> {
    let mut flags = FlagSet::default();
    let mut prompt = PromptBuilder::default();
    let mut cursor = 0;
    let mut tokens = Tokens { text, pos: 0 };
    while let Some((at, token)) = tokens.next() {
        if token == "--" {
            prompt.keep(&text[cursor..at]);
            cursor = at + token.len();
            break;
        }
        let Some(name) = flag_name(token) else {
            continue;
        };
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (name, None),
        };
        let flag = Flag::from_name(name).ok_or_else(|| FlagError::Unknown {
            flag: token.split_once('=').map_or(token, |(f, _)| f).to_owned(),
        })?;
        let (value, end) = match inline {
            Some(v) => (v, at + token.len()),
            None => match tokens.next() {
                Some((vat, v)) => (v, vat + v.len()),
                None => return Err(FlagError::MissingValue { flag }),
            },
        };
        flags.merge(parse_value(flag, value)?);
        prompt.keep(&text[cursor..at]);
        prompt.cut(&text[at..end]);
        cursor = end;
    }
    prompt.keep(&text[cursor..]);
    Ok(Parsed {
        prompt: prompt.out,
        flags,
    })
}

/// Parses one option by name and value (`ar`, `16:9`), as `/settings` takes them.
pub fn parse_one(name: &str, value: &str) -> Result<FlagSet, FlagError> {
    let bare = name.trim_start_matches(['-', '\u{2014}']);
    let flag = Flag::from_name(bare).ok_or_else(|| FlagError::Unknown {
        flag: format!("--{bare}"),
    })?;
    parse_value(flag, value)
}

/// `--ar` -> `Some("ar")`. Also takes the em dash that phone keyboards make of `--`.
fn flag_name(token: &str) -> Option<&str> {
    let name = token
        .strip_prefix("--")
        .or_else(|| token.strip_prefix('\u{2014}'))?;
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        .then_some(name)
}

fn parse_value(flag: Flag, value: &str) -> Result<FlagSet, FlagError> {
    let bad = || FlagError::BadValue {
        flag,
        value: value.to_owned(),
    };
    let v = value.to_ascii_lowercase();
    let mut set = FlagSet::default();
    match flag {
        Flag::Aspect => {
            let (w, h) = v.split_once([':', '\u{ff1a}']).ok_or_else(bad)?;
            let side = |s: &str| s.parse::<u16>().ok().filter(|n| (1..=100).contains(n));
            set.shape = Some(Shape::Aspect {
                w: side(w).ok_or_else(bad)?,
                h: side(h).ok_or_else(bad)?,
            });
        }
        Flag::Size => {
            let (w, h) = v.split_once(['x', '\u{00d7}']).ok_or_else(bad)?;
            let side = |s: &str| s.parse::<u32>().ok().filter(|n| (64..=4096).contains(n));
            set.shape = Some(Shape::Exact {
                width: side(w).ok_or_else(bad)?,
                height: side(h).ok_or_else(bad)?,
            });
        }
        Flag::Quality => {
            set.quality = Some(match v.as_str() {
                "auto" => Quality::Auto,
                "low" => Quality::Low,
                "medium" | "med" => Quality::Medium,
                "high" | "hd" => Quality::High,
                _ => return Err(bad()),
            });
        }
        Flag::N => {
            set.n = Some(
                v.parse()
                    .ok()
                    .filter(|n| (1..=10).contains(n))
                    .ok_or_else(bad)?,
            );
        }
        Flag::Background => {
            set.background = Some(match v.as_str() {
                "auto" => Background::Auto,
                "transparent" => Background::Transparent,
                "opaque" => Background::Opaque,
                _ => return Err(bad()),
            });
        }
        Flag::Format => {
            set.format = Some(match v.as_str() {
                "png" => OutputFormat::Png,
                "jpeg" | "jpg" => OutputFormat::Jpeg,
                "webp" => OutputFormat::Webp,
                _ => return Err(bad()),
            });
        }
    }
    Ok(set)
}

/// Whitespace-separated tokens with their byte offsets.
struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.text[self.pos..];
        let start = self.pos + (rest.len() - rest.trim_start().len());
        let tail = &self.text[start..];
        let len = tail.find(char::is_whitespace).unwrap_or(tail.len());
        self.pos = start + len;
        (len > 0).then(|| (start, &tail[..len]))
    }
}

/// Glues the kept pieces of the prompt back together. Whitespace is touched
/// only where a flag was cut out: the gap becomes one space, or one newline
/// if the cut crossed a line break (so multi-line prompts keep their lines).
#[derive(Default)]
struct PromptBuilder {
    out: String,
    newline_in_gap: bool,
}

impl PromptBuilder {
    fn keep(&mut self, segment: &str) {
        let piece = segment.trim();
        if piece.is_empty() {
            self.newline_in_gap |= segment.contains('\n');
            return;
        }
        let lead = &segment[..segment.len() - segment.trim_start().len()];
        if !self.out.is_empty() {
            let newline = self.newline_in_gap || lead.contains('\n');
            self.out.push_str(if newline { "\n" } else { " " });
        }
        self.out.push_str(piece);
        self.newline_in_gap = segment[segment.trim_end().len()..].contains('\n');
    }

    fn cut(&mut self, removed: &str) {
        self.newline_in_gap |= removed.contains('\n');
    }
}

#[cfg(test)]
mod tests;
