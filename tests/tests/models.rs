//! Current models and their rules, end to end against the fake providers:
//! the start-up model check (unknown, retired, refused key, unreachable,
//! skipped), the daily check's shutdown notices on the upkeep's clock, a
//! model that disappears at run time (fallback serves, admins told once,
//! nothing charged), and sizes checked before anything is reserved or sent.

use std::time::Duration;

use easel_gateway::service::{Gateway, GatewayError, JobStream, OpenError};
use easel_shared::config::{BackendConfig, BackendKind, ModelPrice};
use easel_shared::date::CalendarDate;
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::notice::AdminNotice;
use easel_shared::render::{RenderOptions, Shape};
use easel_shared::request::Request;
use easel_shared::secret::Secret;
use easel_shared::{Denial, Refusal, RequestId, UserKey};
use easel_tests::fake_gemini::{FakeGemini, GeminiReply};
use easel_tests::fake_openai::{CatalogModel, FakeOpenAi, Reply};
use easel_tests::stack::{START, Stack};

const ALICE: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 7,
};

const DAY: Duration = Duration::from_secs(86_400);

fn request(id: &str, shape: Shape) -> Request {
    Request {
        id: RequestId::new(id).unwrap(),
        user: ALICE,
        prompt: "a lighthouse at dawn".into(),
        options: RenderOptions {
            shape,
            ..RenderOptions::default()
        },
        inputs: Vec::new(),
        parent: None,
        mask: None,
    }
}

/// Submits a request and reads its events up to the final one.
async fn run(stack: &Stack, id: &str, shape: Shape) -> JobEvent {
    last_event(stack.gateway.submit(request(id, shape)).await.unwrap()).await
}

async fn last_event(mut events: JobStream) -> JobEvent {
    while let Some(event) = events.recv().await {
        if event.is_final() {
            return event;
        }
    }
    panic!("the job stream ended without a final event");
}

fn gemini_backend(fake: &FakeGemini, model: &str) -> BackendConfig {
    BackendConfig {
        name: "gemini".into(),
        kind: BackendKind::Gemini,
        base_url: fake.base_url(),
        api_key: Secret::new(easel_tests::fake_gemini::API_KEY),
        model: model.into(),
        ..BackendConfig::default()
    }
}

fn start_failure(result: Result<Stack, (OpenError, FakeOpenAi)>) -> String {
    match result {
        Err((OpenError::Model(lines), _)) => lines.join("\n"),
        Err((other, _)) => panic!("wrong start-up error: {other}"),
        Ok(_) => panic!("the gateway started with a bad model"),
    }
}

/// Gemini multi-turn: refines resend the history with its signatures.
#[path = "models/conversation.rs"]
mod conversation;
/// The daily re-check and its shutdown notices.
#[path = "models/daily.rs"]
mod daily;
/// A model gone at run time.
#[path = "models/runtime.rs"]
mod runtime;
/// Sizes checked before admission, ratios mapped to valid sizes.
#[path = "models/sizes.rs"]
mod sizes;
/// Start-up verdicts and what stops the start.
#[path = "models/startup.rs"]
mod startup;
/// The capability table: sizes from data, refused before admission.
#[path = "models/table.rs"]
mod table;
