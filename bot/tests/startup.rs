//! The `easel` binary itself at start-up: a configured model the provider
//! does not know stops it with exit code 64 (EX_USAGE) and a message naming
//! the config key and the image models the key can use, without the key.
//!
//! The provider here is a few lines of std networking answering OpenAI's two
//! models routes in their real shapes (the full fake lives in the tests
//! crate, which this crate cannot depend on).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

const KEY: &str = "sk-startup-SECRET-41c7";

/// Serves `GET /v1/models` and `GET /v1/models/{id}` with a catalog of
/// `gpt-image-2` and `gpt-5.1`; anything else is OpenAI's 404.
fn fake_openai() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Skip the headers: GET requests carry no body.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let model = |id: &str| {
                format!(
                    r#"{{"id":"{id}","object":"model","created":1745000000,"owned_by":"system","shutdown_date":null}}"#
                )
            };
            let (status, body) = match path {
                "/v1/models" => (
                    "200 OK",
                    format!(
                        r#"{{"object":"list","data":[{},{}]}}"#,
                        model("gpt-image-2"),
                        model("gpt-5.1")
                    ),
                ),
                "/v1/models/gpt-image-2" => ("200 OK", model("gpt-image-2")),
                other => {
                    let id = other.trim_start_matches("/v1/models/");
                    (
                        "404 Not Found",
                        format!(
                            r#"{{"error":{{"message":"The model `{id}` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}}}"#
                        ),
                    )
                }
            };
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/v1")
}

#[test]
fn an_unknown_model_stops_the_binary_with_exit_code_64() {
    let base = fake_openai();
    let dir = std::env::temp_dir().join(format!("easel-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("easel.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[ledger]
path = "{ledger}"
[results]
path = "{results}"
[http]
listen = ""
[[backends.chain]]
name = "openai"
kind = "openai"
base_url = "{base}"
model = "gpt-image-1.5x"
api_key_env = "OPENAI_API_KEY"
"#,
            ledger = dir.join("ledger.redb").display(),
            results = dir.join("results.redb").display(),
        ),
    )
    .expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_easel"))
        .arg("--config")
        .arg(&config)
        .env("OPENAI_API_KEY", KEY)
        .env_remove("EASEL_TELEGRAM_TOKEN")
        .env_remove("EASEL_DISCORD_TOKEN")
        .output()
        .expect("run easel");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("backends.chain[0].model"), "{stderr}");
    assert!(stderr.contains("`gpt-image-1.5x`"), "{stderr}");
    assert!(stderr.contains("can use: gpt-image-2"), "{stderr}");
    assert!(!stderr.contains(KEY), "the key never reaches the output");
}

/// A remote gateway URL without this bot's token stops `easel` before it
/// opens anything, with exit code 64 naming `gateway.token`.
#[test]
fn a_remote_gateway_without_a_token_stops_the_binary_with_exit_code_64() {
    let out = Command::new(env!("CARGO_BIN_EXE_easel"))
        .env_clear()
        .env("EASEL_GATEWAY_URL", "http://127.0.0.1:9")
        .env("EASEL_LISTEN", "")
        .output()
        .expect("run easel");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("gateway.token"), "{stderr}");
}

/// Writes a config for the binary: embedded stores in `dir`, the fake
/// provider at `base`, no HTTP listener, plus `extra` TOML.
fn config_with(dir: &std::path::Path, base: &str, extra: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).expect("temp dir");
    let config = dir.join("easel.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[ledger]
path = "{ledger}"
outbox_path = "{outbox}"
[results]
path = "{results}"
[http]
listen = ""
[[backends.chain]]
name = "openai"
kind = "openai"
base_url = "{base}"
model = "gpt-image-2"
api_key_env = "OPENAI_API_KEY"
{extra}
"#,
            ledger = dir.join("ledger.redb").display(),
            outbox = dir.join("settles.redb").display(),
            results = dir.join("results.redb").display(),
        ),
    )
    .expect("write config");
    config
}

/// Log lines on stderr that are JSON objects with a level (the JSON format).
fn json_log_lines(stderr: &str) -> usize {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["level"].is_string() && v["fields"].is_object())
        .count()
}

/// Runs the binary on `config` (off the runtime, which serves the fakes),
/// with `EASEL_LOG_FORMAT` set to `log_format` if given.
async fn run_easel(config: std::path::PathBuf, log_format: Option<&str>) -> std::process::Output {
    let log_format = log_format.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_easel"));
        command.env_remove("EASEL_LOG_FORMAT");
        if let Some(format) = log_format {
            command.env("EASEL_LOG_FORMAT", format);
        }
        command
            .arg("--config")
            .arg(&config)
            .env("OPENAI_API_KEY", easel_tests::fake_openai::API_KEY)
            .env_remove("EASEL_TELEGRAM_TOKEN")
            .env_remove("EASEL_DISCORD_TOKEN")
            .output()
            .expect("run easel")
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_token_the_platform_rejects_stops_the_binary_with_exit_code_64() {
    const WRONG: &str = "7000000001:AAH-rejectedTOKEN-0123456789abcdef";
    let openai = easel_tests::fake_openai::FakeOpenAi::start().await;
    let telegram =
        easel_tests::fake_telegram::FakeTelegram::start("7000000001:AAH-the-real-one").await;
    let dir = std::env::temp_dir().join(format!("easel-startup-tg-{}", std::process::id()));
    let extra = format!(
        "[log]\nformat = \"json\"\n[telegram]\ntoken = \"{WRONG}\"\napi_url = \"{}\"\n",
        telegram.url()
    );
    let config = config_with(&dir, &openai.base_url(), &extra);
    let out = run_easel(config, None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(
        stderr.contains("telegram: the platform rejected the token"),
        "{stderr}"
    );
    // `log.format = "json"` from the file: the start-up lines are JSON.
    assert!(json_log_lines(&stderr) > 0, "{stderr}");
    assert!(
        !stderr.contains("rejectedTOKEN"),
        "the token never reaches the output"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discord_token_the_platform_rejects_stops_the_binary_with_exit_code_64() {
    const WRONG: &str = "MTAwMDAwMDAw.rejectedDISCORD.token-0123456789";
    let openai = easel_tests::fake_openai::FakeOpenAi::start().await;
    let discord = easel_tests::fake_discord::FakeDiscord::start().await;
    let dir = std::env::temp_dir().join(format!("easel-startup-dc-{}", std::process::id()));
    let extra = format!(
        "[discord]\ntoken = \"{WRONG}\"\napplication_id = {}\nrest_base_url = \"{}\"\n",
        easel_tests::fake_discord::payloads::APP_ID,
        discord.base_url()
    );
    let config = config_with(&dir, &openai.base_url(), &extra);
    let out = run_easel(config, Some("json")).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(
        stderr.contains("discord: the platform rejected the token"),
        "{stderr}"
    );
    // EASEL_LOG_FORMAT=json: the start-up lines are JSON.
    assert!(json_log_lines(&stderr) > 0, "{stderr}");
    assert!(
        !stderr.contains("rejectedDISCORD"),
        "the token never reaches the output"
    );
}
