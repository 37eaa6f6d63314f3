//! `easel try "prompt"`: one generation (or, with `-i`, an edit) through the
//! whole gateway (admission, ledger, backend chain, result store) from the
//! terminal, charged to a `cli:<name>` user. Progress goes to one writer
//! (stderr), the saved file and the quota left to another (stdout); a
//! denial or failure prints the chat's own text and costs nothing.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use easel_gateway::ledger::Clock;
use easel_gateway::service::{Gateway, InProcessGateway, OpenError};
use easel_gateway::settings::Env;
use easel_shared::config::{AccessMode, Config};
use easel_shared::flags::{self, FlagError, FlagSet};
use easel_shared::ids::IdError;
use easel_shared::job::{ImageData, JobEvent};
use easel_shared::{RequestId, UserKey};

use crate::core::render;
use crate::core::{Problem, act, request};
use crate::i18n::{Locale, t, tr};

/// The terminal speaks English, like the server's logs.
const LOCALE: Locale = Locale::En;

/// What to make.
#[derive(Debug, Clone, Default)]
pub struct TryArgs {
    /// The prompt; may carry chat flags itself (`a fox --ar 16:9`).
    pub prompt: String,
    /// Chat flags given as options, `(name, value)` (`("ar", "16:9")`),
    /// applied over those in the prompt.
    pub flags: Vec<(String, String)>,
    /// Images to edit, in order (empty: generate).
    pub inputs: Vec<PathBuf>,
    /// Where to write the image; default `easel-try-<result id>.<ext>` (in
    /// this directory, or in `out` when it is a directory). With several
    /// images, `-<n>` goes before the extension.
    pub out: Option<PathBuf>,
    /// The user charged, `cli:<name>`.
    pub user: String,
}

/// How a try ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tried {
    /// Images written to these paths.
    Saved(Vec<PathBuf>),
    /// Refused before anything was queued (bad input, denial): nothing charged.
    Refused,
    /// The job ran and failed: nothing charged.
    Failed,
}

/// Why `try` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum TryError {
    /// The gateway could not be assembled (store, backend key).
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A terminal or file write failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Opens the gateway the config describes (as the server does, on the
/// real clock), runs one request and shuts the gateway down again.
pub async fn run(
    mut config: Config,
    args: &TryArgs,
    env: &dyn Env,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<Tried, TryError> {
    let Some(what) = prepare(args, progress)? else {
        return Ok(Tried::Refused);
    };
    if let Some(note) = operator_access(&mut config, what.user) {
        writeln!(progress, "{note}")?;
    }
    let shared = Arc::new(arc_swap::ArcSwap::from_pointee(config));
    let gateway = InProcessGateway::open(shared, Clock::real(), env).await?;
    let tried = submit(&gateway, what, args.out.as_deref(), out, progress).await;
    gateway.shutdown().await;
    Ok(tried?)
}

/// The checked arguments: what goes to the gateway.
struct Prepared {
    user: UserKey,
    prompt: String,
    flags: FlagSet,
    uploads: Vec<Bytes>,
}

/// Checks the arguments before anything is opened: the user name, the
/// flags (the chat's parser and texts) and the input files. `None` after
/// telling `progress` why not.
fn prepare(args: &TryArgs, progress: &mut dyn Write) -> io::Result<Option<Prepared>> {
    let Ok(user) = UserKey::cli(&args.user) else {
        writeln!(
            progress,
            "--user `{}`: use 1-12 of a-z, 0-9, - and _",
            args.user
        )?;
        return Ok(None);
    };
    let parsed = match parse_flags(&args.prompt, &args.flags) {
        Ok(parsed) => parsed,
        Err(e) => {
            writeln!(progress, "{}", render::text::flag_error(LOCALE, &e))?;
            return Ok(None);
        }
    };
    if parsed.prompt.trim().is_empty() {
        writeln!(
            progress,
            "{}",
            render::problem(LOCALE, &Problem::EmptyPrompt)
        )?;
        return Ok(None);
    }
    // The image is paid for once it arrives: refuse a place it cannot go now.
    if let Some(out) = &args.out {
        let dir = match out.parent() {
            _ if out.is_dir() => out.as_path(),
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            writeln!(
                progress,
                "-o {}: no directory {}",
                out.display(),
                dir.display()
            )?;
            return Ok(None);
        }
    }
    let mut uploads = Vec::new();
    for path in &args.inputs {
        match std::fs::read(path) {
            Ok(bytes) => uploads.push(Bytes::from(bytes)),
            Err(e) => {
                writeln!(progress, "cannot read {}: {e}", path.display())?;
                return Ok(None);
            }
        }
    }
    Ok(Some(Prepared {
        user,
        prompt: parsed.prompt,
        flags: parsed.flags,
        uploads,
    }))
}

/// The prompt's own flags, then the option flags over them.
fn parse_flags(prompt: &str, given: &[(String, String)]) -> Result<flags::Parsed, FlagError> {
    let mut parsed = flags::parse(prompt)?;
    for (name, value) in given {
        parsed.flags.merge(flags::parse_one(name, value)?);
    }
    Ok(parsed)
}

/// The operator's own access rules must not silently refuse them: outside
/// `access.mode = "open"`, this process lets the terminal user have the
/// default plan (an assigned plan, a ban and every limit still apply) and
/// says so. Only someone holding the config and keys can run `easel try`.
fn operator_access(config: &mut Config, user: UserKey) -> Option<String> {
    let mode = config.access.mode;
    let listed = mode == AccessMode::Allowlist && config.access.allowlist.contains(&user);
    if mode == AccessMode::Open || listed {
        return None;
    }
    config.access.mode = AccessMode::Allowlist;
    config.access.allowlist.push(user);
    let mode = match mode {
        AccessMode::Code => "code",
        _ => "allowlist",
    };
    Some(tr(
        LOCALE,
        "try-operator-access",
        &[
            ("mode", mode.into()),
            ("user", user.to_string().into()),
            ("plan", config.access.default_plan.as_str().into()),
        ],
    ))
}

/// Submits one request and follows its events to the end.
async fn submit(
    gateway: &dyn Gateway,
    what: Prepared,
    out_path: Option<&Path>,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> io::Result<Tried> {
    let user = what.user;
    let id = match request_id() {
        Ok(id) => id,
        Err(e) => {
            writeln!(progress, "{e}")?;
            return Ok(Tried::Refused);
        }
    };
    let settings = gateway.settings(user).await.unwrap_or_default();
    let built = request::fresh(id, user, &what.prompt, &what.flags, &settings, what.uploads);
    let mut events = match gateway.submit(built.request).await {
        Ok(events) => events,
        Err(e) => {
            let text = act::explain(gateway, user, LOCALE, &e)
                .await
                .unwrap_or_else(|| render::text::unavailable(LOCALE));
            writeln!(progress, "{text}")?;
            return Ok(Tried::Refused);
        }
    };
    let started = tokio::time::Instant::now();
    let elapsed = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    while let Some(event) = events.recv().await {
        match event {
            JobEvent::Queued { position } => writeln!(
                progress,
                "{}",
                render::text::progress_queued(LOCALE, position, elapsed())
            )?,
            JobEvent::Started => writeln!(
                progress,
                "{}",
                render::text::progress_running(LOCALE, elapsed())
            )?,
            JobEvent::Retrying { attempt } => writeln!(
                progress,
                "{}",
                tr(LOCALE, "progress-retrying", &[("attempt", attempt.into())])
            )?,
            JobEvent::Partial { image, .. } => writeln!(
                progress,
                "{}",
                tr(LOCALE, "progress-partial", &[("image", (image + 1).into())])
            )?,
            JobEvent::Done {
                images,
                quota,
                result,
                ..
            } => {
                let stem = result.map_or_else(|| "request".to_owned(), |r| r.to_string());
                let paths = save(&images, out_path, &stem)?;
                for (path, image) in paths.iter().zip(&images) {
                    let shown = path.display().to_string();
                    let line = tr(
                        LOCALE,
                        "try-saved",
                        &[("path", shown.into()), ("bytes", image.bytes.len().into())],
                    );
                    writeln!(out, "{line}")?;
                }
                if let Some(quota) = quota {
                    let left = render::quota_line(LOCALE, &quota);
                    writeln!(
                        out,
                        "{}",
                        tr(LOCALE, "try-quota", &[("quota", left.into())])
                    )?;
                }
                return Ok(Tried::Saved(paths));
            }
            JobEvent::Failed { failure, quota } => {
                let now = quota.as_ref().map_or_else(act::system_now, |q| q.now);
                writeln!(progress, "{}", render::failure(LOCALE, &failure, now))?;
                return Ok(Tried::Failed);
            }
        }
    }
    // The runner always ends a job with Done or Failed; a closed stream
    // means the gateway went away, and the job was refunded.
    writeln!(progress, "{}", t(LOCALE, "error-unavailable"))?;
    Ok(Tried::Failed)
}

/// Writes the provider's bytes, untouched, and returns where.
fn save(images: &[ImageData], out: Option<&Path>, stem: &str) -> io::Result<Vec<PathBuf>> {
    let many = images.len() > 1;
    images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            let ext = easel_shared::job::file_extension(&image.mime);
            let default = if many {
                format!("easel-try-{stem}-{}.{ext}", i + 1)
            } else {
                format!("easel-try-{stem}.{ext}")
            };
            let path = match out {
                Some(dir) if dir.is_dir() => dir.join(default),
                Some(out) if many => numbered(out, i + 1),
                Some(out) => out.to_path_buf(),
                None => PathBuf::from(default),
            };
            std::fs::write(&path, &image.bytes)?;
            Ok(path)
        })
        .collect()
}

/// `out.png` -> `out-2.png`.
fn numbered(out: &Path, n: usize) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match out.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    out.with_file_name(name)
}

/// A fresh id per run: trying the same prompt twice is two requests.
fn request_id() -> Result<RequestId, IdError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    RequestId::new(format!("cli:{}:{nanos}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_images_get_numbered_names() {
        assert_eq!(
            numbered(Path::new("a/out.png"), 2),
            PathBuf::from("a/out-2.png")
        );
        assert_eq!(numbered(Path::new("out"), 1), PathBuf::from("out-1"));
    }

    #[test]
    fn option_flags_win_over_the_prompts_own() {
        let given = [("ar".to_owned(), "16:9".to_owned())];
        let parsed = parse_flags("a fox --ar 1:1 --q high", &given).unwrap();
        assert_eq!(parsed.prompt, "a fox");
        assert_eq!(
            parsed.flags.quality,
            Some(easel_shared::render::Quality::High)
        );
        let expected = flags::parse_one("ar", "16:9").unwrap().shape;
        assert_eq!(parsed.flags.shape, expected);
        assert!(parse_flags("x", &[("q".into(), "ultra".into())]).is_err());
    }

    #[test]
    fn the_operator_is_let_in_outside_open_mode_and_told() {
        let user = UserKey::cli("operator").unwrap();
        let mut config = Config::default();
        assert_eq!(operator_access(&mut config, user), None);
        config.access.mode = AccessMode::Code;
        let note = operator_access(&mut config, user).unwrap();
        assert!(
            note.contains("code") && note.contains("cli:operator"),
            "{note}"
        );
        assert_eq!(config.access.mode, AccessMode::Allowlist);
        assert!(config.access.allowlist.contains(&user));
    }
}
