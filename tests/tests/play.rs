//! The playground (`/play`), the third frontend on the conversation core:
//! its adapter driven against the real in-process gateway and the fake
//! OpenAI. A form becomes the core's request, the job's events become the
//! page's SSE events (rendered in the user's language), results are served
//! only to their owner, and refusals are the core's texts at no charge.

use std::sync::Arc;

use bytes::Bytes;
use easel_bot::core::ResultId as CoreId;
use easel_bot::i18n::Locale;
use easel_bot::web::play::events;
use easel_bot::web::play::jobs::Job;
use easel_bot::web::play::{Jobs, PlayForm, Redo, Submitter};
use easel_gateway::service::Gateway;
use easel_shared::UserKey;
use easel_shared::results::ResultId;
use easel_tests::fake_openai::{FakeOpenAi, Reply, known_png};
use easel_tests::stack::Stack;

/// The playground's routes over HTTP: sessions, CSRF, SSE resume, owners.
#[path = "play/http.rs"]
mod http;

/// A Telegram user: on the web after a `/web` link, the same account.
const ALICE: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 1,
};
const BOB: UserKey = UserKey {
    platform: easel_shared::Platform::Telegram,
    id: 2,
};

/// The chat uploads' cap, as the playground uses it.
const CAP: u64 = 20 << 20;

/// A stack and the playground's jobs on it.
struct Play {
    stack: Stack,
    jobs: Jobs,
}

impl Play {
    async fn start(tune: impl FnOnce(&mut easel_shared::config::Config)) -> Play {
        Play {
            stack: Stack::start(tune).await,
            jobs: Jobs::default(),
        }
    }

    fn submitter(&self) -> Submitter<'_> {
        Submitter {
            gateway: &*self.stack.gateway,
            jobs: &self.jobs,
            clock: &self.stack.clock,
            cap: CAP,
        }
    }

    async fn submit(&self, user: UserKey, form: PlayForm) -> Result<Arc<Job>, String> {
        self.submitter().submit(user, Locale::En, form).await
    }
}

fn prompt(text: &str) -> PlayForm {
    PlayForm {
        prompt: text.into(),
        ..PlayForm::default()
    }
}

/// A job's SSE events from index `from` to the end: (id, name, data).
async fn sse(job: Arc<Job>, from: usize) -> Vec<(usize, &'static str, serde_json::Value)> {
    use futures::StreamExt;
    let mut out = Vec::new();
    let mut index = from;
    let stream = events::stream(Locale::En, job.clone(), from);
    futures::pin_mut!(stream);
    while stream.next().await.is_some() {
        let logged = job.at(index).expect("an event was logged");
        let (name, data) = events::data(Locale::En, &job, &logged);
        out.push((index, name, data));
        index += 1;
    }
    out
}

/// The result id in a `done` event's card.
fn result_of(events: &[(usize, &'static str, serde_json::Value)]) -> ResultId {
    let (_, name, data) = events.last().expect("events");
    assert_eq!(*name, "done", "{events:?}");
    let html = data["html"].as_str().unwrap();
    let start = html.find("data-play-result=\"").expect("a stored result") + 18;
    html[start..start + ResultId::LEN].parse().unwrap()
}

#[tokio::test]
async fn a_prompt_draws_with_progress_partials_and_a_stored_result() {
    let play = Play::start(|c| c.backends.chain[0].partial_images = 2).await;
    let job = play
        .submit(ALICE, prompt("a red fox --ar 3:2"))
        .await
        .unwrap();
    let seen = sse(job, 0).await;
    let names: Vec<_> = seen.iter().map(|(_, name, _)| *name).collect();
    assert_eq!(names.first(), Some(&"progress"), "{names:?}");
    assert!(
        names.contains(&"partial"),
        "partial previews arrive: {names:?}"
    );
    let (_, _, partial) = seen.iter().find(|(_, n, _)| *n == "partial").unwrap();
    assert!(
        partial["src"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let queued = seen.iter().find(|(_, _, d)| d["cancel"] == true).unwrap();
    assert!(
        queued.2["text"].as_str().unwrap().starts_with("Queued"),
        "{queued:?}"
    );
    // Event ids are the log's indices, in order (what Last-Event-ID resumes from).
    let ids: Vec<_> = seen.iter().map(|(i, _, _)| *i).collect();
    assert_eq!(ids, (0..seen.len()).collect::<Vec<_>>());

    let id = result_of(&seen);
    let record = play.stack.gateway.result(&id).await.unwrap().unwrap();
    assert_eq!(record.user, ALICE);
    assert_eq!(record.prompt, "a red fox");
    let html = seen.last().unwrap().2["html"].as_str().unwrap().to_owned();
    assert!(html.contains(&format!("/play/results/{id}/0")), "{html}");
    assert!(html.contains("a red fox"), "{html}");
    let quota = seen.last().unwrap().2["quota"].as_str().unwrap().to_owned();
    assert!(!quota.is_empty(), "the quota line comes with the result");
    let asked = play.stack.openai.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].field("prompt").as_deref(), Some("a red fox"));
}

#[tokio::test]
async fn refine_again_and_vary_build_on_the_stored_result() {
    let play = Play::start(|_| {}).await;
    let first = result_of(&sse(play.submit(ALICE, prompt("a lighthouse")).await.unwrap(), 0).await);
    let core_id = CoreId(first.to_string());
    // Later results are newer on the gateway's clock (the history's order).
    let tick = || play.stack.clock.advance(std::time::Duration::from_secs(1));
    tick();

    let refine = PlayForm {
        prompt: "make it night".into(),
        refine: Some(core_id.clone()),
        ..PlayForm::default()
    };
    let refined = result_of(&sse(play.submit(ALICE, refine).await.unwrap(), 0).await);
    let record = play.stack.gateway.result(&refined).await.unwrap().unwrap();
    assert_eq!(
        record.parent.as_ref(),
        Some(&first),
        "a follow-up refines the chosen result"
    );
    assert_eq!(record.prompt, "make it night");

    for (redo, expect_prompt) in [
        (Redo::Again(core_id.clone()), "a lighthouse"),
        (
            Redo::Vary(core_id.clone()),
            easel_bot::core::render::VARY_PROMPT,
        ),
    ] {
        let form = PlayForm {
            prompt: "ignored".into(),
            redo: Some(redo.clone()),
            ..PlayForm::default()
        };
        tick();
        let again = result_of(&sse(play.submit(ALICE, form).await.unwrap(), 0).await);
        let record = play.stack.gateway.result(&again).await.unwrap().unwrap();
        assert_eq!(record.parent.as_ref(), Some(&first), "{redo:?}");
        assert_eq!(record.prompt, expect_prompt, "{redo:?}");
    }
    // The history is the account's results, newest first.
    let history = easel_bot::web::play::results::history(&*play.stack.gateway, ALICE).await;
    assert_eq!(history.len(), 4);
    assert_eq!(history.last().map(|r| &r.id), Some(&first));
    // A variation's card shows the words of what it varies, as chat does.
    let cards = easel_bot::web::play::results::cards(&*play.stack.gateway, &history).await;
    let vary = history
        .iter()
        .position(|r| r.prompt == easel_bot::core::render::VARY_PROMPT)
        .unwrap();
    assert_eq!(cards[vary].prompt, "a lighthouse");
    assert!(
        easel_bot::web::play::results::history(&*play.stack.gateway, BOB)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn photos_make_an_edit_and_refusals_charge_nothing() {
    let play = Play::start(|_| {}).await;
    let edit = PlayForm {
        prompt: "add a hat".into(),
        photos: vec![known_png(7)],
        ..PlayForm::default()
    };
    let id = result_of(&sse(play.submit(ALICE, edit).await.unwrap(), 0).await);
    let record = play.stack.gateway.result(&id).await.unwrap().unwrap();
    assert_eq!(record.inputs.len(), 1, "the dropped photo is the input");

    let before = play.stack.gateway.quota(ALICE).await.unwrap();
    let asked = play.stack.openai.requests().len();
    let refusals = [
        (
            PlayForm {
                prompt: "add a hat".into(),
                photos: vec![Bytes::from_static(b"not an image")],
                ..PlayForm::default()
            },
            "Image 1 cannot be used: it is not an image",
        ),
        (
            PlayForm {
                prompt: "add a hat".into(),
                photos: vec![Bytes::from(vec![0u8; CAP as usize + 1])],
                ..PlayForm::default()
            },
            "Image 1 is larger than 20 MB",
        ),
        (prompt("   "), "Describe what you want to see"),
        (
            PlayForm {
                photos: vec![known_png(1)],
                ..PlayForm::default()
            },
            "Describe what you want to see",
        ),
        (prompt("/quota"), "The playground only draws"),
        (
            PlayForm {
                redo: Some(Redo::Again(CoreId("0123456789AB".into()))),
                ..PlayForm::default()
            },
            "I do not know that result any more",
        ),
    ];
    for (form, expected) in refusals {
        let text = play.submit(ALICE, form.clone()).await.unwrap_err();
        assert!(text.starts_with(expected), "{form:?}: {text}");
    }
    assert_eq!(
        play.stack.openai.requests().len(),
        asked,
        "nothing went upstream"
    );
    let after = play.stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!(after.windows, before.windows, "nothing was charged");
    assert_eq!(after.credits, before.credits);
}

#[tokio::test]
async fn someone_elses_result_is_unknown_to_the_playground() {
    let play = Play::start(|_| {}).await;
    let alices = result_of(&sse(play.submit(ALICE, prompt("a cat")).await.unwrap(), 0).await);
    let asked = play.stack.openai.requests().len();
    let id = CoreId(alices.to_string());
    for form in [
        PlayForm {
            redo: Some(Redo::Vary(id.clone())),
            ..PlayForm::default()
        },
        PlayForm {
            redo: Some(Redo::Again(id.clone())),
            ..PlayForm::default()
        },
        PlayForm {
            prompt: "make it mine".into(),
            refine: Some(id.clone()),
            ..PlayForm::default()
        },
    ] {
        let text = play.submit(BOB, form.clone()).await.unwrap_err();
        assert!(
            text.starts_with("I do not know that result"),
            "{form:?}: {text}"
        );
    }
    assert_eq!(
        play.stack.openai.requests().len(),
        asked,
        "nothing went upstream"
    );
}

#[tokio::test]
async fn a_reloaded_page_resumes_after_the_last_event_it_saw() {
    let play = Play::start(|c| c.backends.chain[0].partial_images = 2).await;
    let job = play.submit(ALICE, prompt("a boat")).await.unwrap();
    let all = sse(job.clone(), 0).await;
    assert!(all.len() >= 3, "{all:?}");
    let resumed = sse(job.clone(), 2).await;
    assert_eq!(resumed, all[2..].to_vec(), "the rest, each once");
    // Only its owner can find the job; a finished job is no longer running.
    assert!(play.jobs.get(ALICE, &job.id).is_some());
    assert!(play.jobs.get(BOB, &job.id).is_none());
    assert!(play.jobs.running(ALICE).is_empty());
}

#[tokio::test]
async fn a_failed_job_says_why_in_the_users_language() {
    let play = Play::start(|_| {}).await;
    play.stack.openai.script([Reply::ModerationBlocked]);
    let job = play
        .submit(ALICE, prompt("something blocked"))
        .await
        .unwrap();
    let seen = sse(job.clone(), 0).await;
    let (_, name, data) = seen.last().unwrap();
    assert_eq!(*name, "failed");
    assert!(
        data["text"]
            .as_str()
            .unwrap()
            .contains("Nothing was charged"),
        "{data}"
    );
    let logged = job.at(seen.len() - 1).unwrap();
    let (_, zh) = events::data(Locale::ZhCn, &job, &logged);
    assert_ne!(
        zh["text"], data["text"],
        "rendered in the reader's language"
    );
}

#[tokio::test]
async fn result_images_are_served_to_their_owner_only() {
    use axum::http::{StatusCode, header};
    use easel_bot::web::play::results::image;
    let play = Play::start(|_| {}).await;
    let id = result_of(&sse(play.submit(ALICE, prompt("a kite")).await.unwrap(), 0).await);
    let gateway = &*play.stack.gateway;
    let id_text = id.to_string();

    let mine = image(gateway, ALICE, Locale::En, (&id_text, 0), false).await;
    assert_eq!(mine.status(), StatusCode::OK);
    assert_eq!(mine.headers()[header::CONTENT_TYPE], "image/png");
    let body = http_body_util::BodyExt::collect(mine.into_body())
        .await
        .unwrap();
    assert_eq!(
        body.to_bytes(),
        FakeOpenAi::final_image(0),
        "the provider's bytes"
    );

    let original = image(gateway, ALICE, Locale::En, (&id_text, 0), true).await;
    let disposition = original.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"easel-{id}-1.png\"")
    );

    for (user, which, index) in [
        (BOB, id_text.as_str(), 0),
        (ALICE, id_text.as_str(), 1),
        (ALICE, "0123456789AB", 0),
        (ALICE, "../../etc", 0),
    ] {
        let answer = image(gateway, user, Locale::En, (which, index), false).await;
        assert_eq!(
            answer.status(),
            StatusCode::NOT_FOUND,
            "{user} {which} {index}"
        );
    }
}
