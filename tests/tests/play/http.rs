//! The playground over HTTP, through the web router (`web::router`) with
//! real sessions in the ledger: every change needs the session's CSRF
//! token, the job's events are SSE that resume after `Last-Event-ID`, and
//! a result's image is not found for anyone but its owner.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use easel_bot::web::{WebState, router};
use easel_gateway::service::Gateway;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{ALICE, BOB, Play};

/// A signed-in browser: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn sign_in(play: &Play, user: easel_shared::UserKey) -> Browser {
    let minted = play
        .stack
        .gateway
        .ledger()
        .create_web_session(user, false, Duration::from_secs(3600))
        .await
        .unwrap();
    Browser {
        cookie: format!("easel_session={}", minted.token.expose()),
        csrf: minted.session.csrf,
    }
}

fn app(play: &Play) -> Router {
    let s = &play.stack;
    let state = WebState::new(
        s.gateway.clone(),
        s.gateway.ledger(),
        s.config.clone(),
        None,
        s.clock.clone(),
    );
    router(state)
}

const BOUNDARY: &str = "easel-play-test-boundary";

/// A multipart body of text fields.
fn multipart(fields: &[(&str, &str)]) -> Body {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    Body::from(body)
}

fn post_job(browser: &Browser, csrf: Option<&str>, fields: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::post("/play/jobs")
        .header(header::COOKIE, &browser.cookie)
        .header(header::ACCEPT, "application/json")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
    if let Some(token) = csrf {
        req = req.header("x-csrf-token", token);
    }
    req.body(multipart(fields)).unwrap()
}

fn get(browser: &Browser, uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, &browser.cookie)
        .body(Body::empty())
        .unwrap()
}

async fn text(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let answer = app.clone().oneshot(req).await.unwrap();
    let status = answer.status();
    let body = answer.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The `id:` lines of an SSE body, in order.
fn ids(sse: &str) -> Vec<usize> {
    sse.lines()
        .filter_map(|l| l.strip_prefix("id:"))
        .map(|id| id.trim().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_change_without_the_sessions_csrf_token_is_refused_and_draws_nothing() {
    let play = Play::start(|_| {}).await;
    let app = app(&play);
    let alice = sign_in(&play, ALICE).await;
    let fields = [("prompt", "a fox")];
    for csrf in [None, Some("not-the-token")] {
        let (status, _) = text(&app, post_job(&alice, csrf, &fields)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csrf:?}");
    }
    let mut cross_site = post_job(&alice, Some(&alice.csrf), &fields);
    cross_site
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let (status, _) = text(&app, cross_site).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        play.stack.openai.requests().is_empty(),
        "nothing went upstream"
    );
    let quota = play.stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!(quota.windows.iter().map(|w| w.used).sum::<u32>(), 0);
}

#[tokio::test]
async fn a_job_streams_its_events_and_its_image_is_the_owners_only() {
    let play = Play::start(|c| c.backends.chain[0].partial_images = 1).await;
    let app = app(&play);
    let (alice, bob) = (sign_in(&play, ALICE).await, sign_in(&play, BOB).await);

    let (status, body) = text(
        &app,
        post_job(&alice, Some(&alice.csrf), &[("prompt", "a fox")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let events_url = answer["events"].as_str().unwrap().to_owned();

    let (status, sse) = text(&app, get(&alice, &events_url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sse.contains("event: progress"), "{sse}");
    assert!(sse.contains("event: partial"), "{sse}");
    assert!(sse.contains("event: done"), "{sse}");
    let all = ids(&sse);
    assert_eq!(all, (0..all.len()).collect::<Vec<_>>());

    // A reconnect after event 1 gets the rest, each once.
    let mut resume = get(&alice, &events_url);
    resume
        .headers_mut()
        .insert("last-event-id", "1".parse().unwrap());
    let (_, rest) = text(&app, resume).await;
    assert_eq!(ids(&rest), all[2..].to_vec());

    // Someone else's job is not found.
    let (status, _) = text(&app, get(&bob, &events_url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let start = sse.find("/play/results/").unwrap();
    let image_url = sse[start..].split(['"', '\\']).next().unwrap().to_owned();
    let answer = app.clone().oneshot(get(&alice, &image_url)).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "{image_url}");
    assert_eq!(answer.headers()[header::CONTENT_TYPE], "image/png");
    let (status, _) = text(&app, get(&bob, &image_url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only the owner sees it");

    // The page shows the history and the quota line, in the user's session.
    let (status, page) = text(&app, get(&alice, "/play")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&image_url), "the history shows the result");
    assert!(page.contains("data-play-quota"), "{page}");
    let (_, bobs) = text(&app, get(&bob, "/play")).await;
    assert!(!bobs.contains(&image_url), "Bob's history is his own");
}

#[tokio::test]
async fn a_signed_out_visitor_is_sent_to_sign_in() {
    let play = Play::start(|_| {}).await;
    let app = app(&play);
    let answer = app
        .clone()
        .oneshot(Request::get("/play").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let to = answer.headers()[header::LOCATION].to_str().unwrap();
    assert!(to.starts_with("/signin"), "{to}");
}
