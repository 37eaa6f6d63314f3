//! `easel try`: one request through the whole gateway to the fake OpenAI
//! server. The saved file is the provider's bytes; the ledger, read before
//! and after, shows exactly one image charged, and nothing for a failure
//! or a refusal; refusals print the chat's own texts.

use std::sync::Arc;

use easel_bot::cli::try_::{self, Tried, TryArgs};
use easel_bot::core::render;
use easel_bot::i18n::Locale;
use easel_gateway::ledger::redis::RedisLedger;
use easel_gateway::ledger::{Clock, Ledger};
use easel_shared::config::{AccessMode, Config, WindowConfig};
use easel_shared::flags::FlagError;
use easel_shared::{QuotaStatus, UserKey};
use easel_tests::fake_openai::{FakeOpenAi, Reply};
use easel_tests::ledger::{redis_url, unique_prefix};
use easel_tests::stack::OPENAI_KEY;

use crate::harness::{env, good_config};

/// A fake provider, a config for it and a temp dir for files and stores.
struct Setup {
    openai: FakeOpenAi,
    config: Config,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Self {
        let openai = FakeOpenAi::start_with_key(OPENAI_KEY).await;
        let dir = tempfile::tempdir().unwrap();
        let config = good_config(&openai, dir.path());
        Self {
            openai,
            config,
            dir,
        }
    }

    /// The same, on the shared Redis under a fresh prefix.
    async fn on_redis(test: &str) -> Self {
        let mut s = Self::new().await;
        s.config.ledger.redis_url = redis_url();
        s.config.ledger.key_prefix = unique_prefix(test);
        s
    }

    fn args(&self, prompt: &str) -> TryArgs {
        TryArgs {
            prompt: prompt.into(),
            out: Some(self.dir.path().join("out.png")),
            user: "operator".into(),
            ..TryArgs::default()
        }
    }

    /// Runs `easel try`; returns how it ended, stdout and stderr.
    async fn run(&self, args: &TryArgs) -> (Tried, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let tried = try_::run(self.config.clone(), args, &env(), &mut out, &mut err)
            .await
            .unwrap();
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (tried, text(out), text(err))
    }

    /// The operator's quota, read from the Redis ledger directly.
    async fn quota(&self) -> QuotaStatus {
        let shared = Arc::new(arc_swap::ArcSwap::from_pointee(self.config.clone()));
        let ledger = RedisLedger::connect(
            &self.config.ledger.redis_url,
            &self.config.ledger.key_prefix,
            shared,
            Clock::real(),
        )
        .await
        .unwrap();
        ledger.status(operator()).await.unwrap()
    }
}

fn operator() -> UserKey {
    UserKey::cli("operator").unwrap()
}

fn used(q: &QuotaStatus) -> Vec<u32> {
    q.windows.iter().map(|w| w.used).collect()
}

#[tokio::test]
async fn try_saves_the_providers_bytes_and_charges_one_image() {
    let s = Setup::on_redis("try-ok").await;
    assert_eq!(used(&s.quota().await), [0, 0]);

    let args = s.args("a red fox in the snow --q low");
    let (tried, out, err) = s.run(&args).await;

    let path = s.dir.path().join("out.png");
    assert_eq!(tried, Tried::Saved(vec![path.clone()]), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), FakeOpenAi::final_image(0));
    assert_eq!(used(&s.quota().await), [1, 1]);
    let sent = &s.openai.requests()[0];
    assert_eq!(
        sent.field("prompt").as_deref(),
        Some("a red fox in the snow")
    );
    assert_eq!(sent.field("quality").as_deref(), Some("low"));
    assert!(out.contains(&path.display().to_string()), "{out}");
    assert!(out.contains("Quota left: 9/10 left"), "{out}");
    assert!(err.contains("Drawing…"), "{err}");
}

#[tokio::test]
async fn into_a_directory_the_file_is_named_after_the_stored_result() {
    let s = Setup::new().await;
    let args = TryArgs {
        out: Some(s.dir.path().to_path_buf()),
        ..s.args("a fox --n 2")
    };
    let (tried, _, err) = s.run(&args).await;
    let Tried::Saved(paths) = tried else {
        panic!("not saved: {err}");
    };
    assert_eq!(paths.len(), 2);
    for (i, path) in paths.iter().enumerate() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // `easel-try-<result id>-<n>.png`: the id is the result store's.
        let id = name
            .strip_prefix("easel-try-")
            .and_then(|r| r.strip_suffix(&format!("-{}.png", i + 1)))
            .unwrap_or_else(|| panic!("{name}"));
        id.parse::<easel_shared::results::ResultId>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(std::fs::read(path).unwrap(), FakeOpenAi::final_image(i));
    }
}

/// A 64x64 PNG, red on the left half and blue on the right: recognisable
/// after the gateway's (lossy) re-encode.
fn red_blue_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 64, |x, _| {
        if x < 32 {
            image::Rgb([255, 0, 0])
        } else {
            image::Rgb([0, 0, 255])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn progress_shows_retries_and_previews_and_the_file_is_still_the_final_image() {
    let mut s = Setup::new().await;
    s.config.backends.chain[0].partial_images = 2;
    s.openai.script([Reply::Status(500), Reply::Ok]);
    let (tried, _, err) = s.run(&s.args("a fox")).await;
    assert!(matches!(tried, Tried::Saved(_)), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let at = |what: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no {what:?} in {err}"))
    };
    assert!(at("Drawing…") < at("The image service is busy; trying again (attempt 2)"));
    assert!(at("The image service is busy") < at("A preview of image 1 arrived"));
    let previews = lines
        .iter()
        .filter(|l| l.starts_with("A preview of image 1 arrived"));
    assert_eq!(previews.count(), 2, "{err}");
    let saved = std::fs::read(s.dir.path().join("out.png")).unwrap();
    assert_eq!(saved, FakeOpenAi::final_image(0));
}

#[tokio::test]
async fn an_edit_sends_the_photo_upstream() {
    let s = Setup::new().await;
    let photo = s.dir.path().join("photo.png");
    std::fs::write(&photo, red_blue_png()).unwrap();
    let args = TryArgs {
        inputs: vec![photo],
        ..s.args("make it green")
    };
    let (tried, _, err) = s.run(&args).await;
    assert!(matches!(tried, Tried::Saved(_)), "{err}");
    let sent = &s.openai.requests()[0];
    assert_eq!(sent.path, "/v1/images/edits");
    let parts: Vec<_> = sent.parts.iter().filter(|p| p.name == "image[]").collect();
    assert_eq!(parts.len(), 1);
    // The gateway strips metadata and re-encodes uploads: recognise the
    // picture by its halves, not its bytes.
    let got = image::load_from_memory(&parts[0].bytes).unwrap().to_rgb8();
    assert_eq!(got.dimensions(), (64, 64));
    let [r, _, b] = got.get_pixel(8, 32).0;
    assert!(r > 200 && b < 60, "left half is not red: {r} {b}");
    let [r, _, b] = got.get_pixel(56, 32).0;
    assert!(b > 200 && r < 60, "right half is not blue: {r} {b}");
}

#[tokio::test]
async fn a_failed_job_charges_nothing_and_says_so_as_the_chat_does() {
    let s = Setup::on_redis("try-fail").await;
    s.openai.script([Reply::ModerationBlocked]);
    let (tried, out, err) = s.run(&s.args("something refused")).await;
    assert_eq!(tried, Tried::Failed);
    assert!(err.contains("The safety system refused this"), "{err}");
    assert!(err.contains("Nothing was charged"), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(!s.dir.path().join("out.png").exists());
    assert_eq!(used(&s.quota().await), [0, 0]);
}

#[tokio::test]
async fn a_denial_prints_the_chats_text_and_charges_nothing_more() {
    let mut s = Setup::on_redis("try-deny").await;
    let free = s.config.plans.get_mut("free").unwrap();
    free.windows = vec![WindowConfig {
        limit: 1,
        period: std::time::Duration::from_secs(3600),
    }];
    let (first, _, err) = s.run(&s.args("one")).await;
    assert!(matches!(first, Tried::Saved(_)), "{err}");
    let (second, _, err) = s.run(&s.args("two")).await;
    assert_eq!(second, Tried::Refused);
    assert!(err.starts_with("Quota used up"), "{err}");
    assert!(err.contains("Nothing was charged"), "{err}");
    assert_eq!(used(&s.quota().await), [1]);
    assert_eq!(s.openai.requests().len(), 1);
}

#[tokio::test]
async fn a_bad_flag_is_refused_with_the_chats_text_before_anything_runs() {
    let s = Setup::new().await;
    let args = TryArgs {
        flags: vec![("q".into(), "ultra".into())],
        ..s.args("a fox")
    };
    let (tried, _, err) = s.run(&args).await;
    assert_eq!(tried, Tried::Refused);
    let expected = render::text::flag_error(
        Locale::En,
        &easel_shared::flags::parse_one("q", "ultra").unwrap_err(),
    );
    assert_eq!(err.trim_end(), expected);
    assert!(matches!(
        easel_shared::flags::parse_one("q", "ultra"),
        Err(FlagError::BadValue { .. })
    ));
    assert!(s.openai.requests().is_empty());
}

#[tokio::test]
async fn code_mode_lets_the_operator_try_and_says_why() {
    let mut s = Setup::new().await;
    s.config.access.mode = AccessMode::Code;
    let (tried, _, err) = s.run(&s.args("a fox")).await;
    assert!(matches!(tried, Tried::Saved(_)), "{err}");
    assert!(
        err.contains("access.mode is \"code\"; easel try gives cli:operator the default plan"),
        "{err}"
    );
}

#[tokio::test]
async fn an_output_path_that_cannot_exist_is_refused_before_anything_is_charged() {
    let s = Setup::new().await;
    let args = TryArgs {
        out: Some(s.dir.path().join("no/such/dir/out.png")),
        ..s.args("a fox")
    };
    let (tried, _, err) = s.run(&args).await;
    assert_eq!(tried, Tried::Refused);
    assert!(err.contains("no directory"), "{err}");
    assert!(s.openai.requests().is_empty());
}

#[tokio::test]
async fn a_bad_user_name_is_refused_before_anything_runs() {
    let s = Setup::new().await;
    let args = TryArgs {
        user: "Not Valid".into(),
        ..s.args("a fox")
    };
    let (tried, _, err) = s.run(&args).await;
    assert_eq!(tried, Tried::Refused);
    assert!(err.contains("--user"), "{err}");
    assert!(s.openai.requests().is_empty());
}
