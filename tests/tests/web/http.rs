//! The web pages' rules, checked over HTTP without a browser: the session
//! cookie's attributes, sign-in refusals and the limiter, CSRF on every
//! change, one-time links, and a session honoured by a second gateway on
//! the same Redis prefix.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use easel_bot::web::{self, WebState};
use easel_gateway::service::Gateway;
use easel_shared::UserKey;
use easel_tests::fake_openai::FakeOpenAi;
use easel_tests::ledger::unique_prefix;
use easel_tests::stack::Stack;
use http_body_util::BodyExt;
use tower::ServiceExt;

const ADMIN_TOKEN: &str = "web-admin-token-0123456789";
const HOST: &str = "easel.test";

fn pages(stack: &Stack) -> Router {
    web::router(WebState::new(
        stack.gateway.clone(),
        stack.gateway.ledger(),
        stack.config.clone(),
        None,
        stack.clock.clone(),
    ))
}

async fn start(public_url: &str) -> Stack {
    let url = public_url.to_owned();
    Stack::start(move |c| {
        c.http.admin_token = easel_shared::secret::Secret::new(ADMIN_TOKEN);
        c.http.public_url = url;
        c.web.signin_per_client = 3;
        // An hour: no attempt comes back while the test runs, however slow.
        c.web.signin_window = std::time::Duration::from_secs(3600);
    })
    .await
}

fn post(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path).header(header::HOST, HOST);
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Body::empty()).unwrap()
}

async fn text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn set_cookie(response: &Response<Body>) -> String {
    response
        .headers()
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// `name=value` of a Set-Cookie line, for the next request's Cookie header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// Signs in with the admin token; the session cookie's `name=value`.
async fn sign_in(app: &Router) -> String {
    let body = format!("token={ADMIN_TOKEN}&next=%2Fplay");
    let response = app
        .clone()
        .oneshot(post("/signin", &body, None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/play");
    pair(&set_cookie(&response))
}

/// The CSRF token a signed-in page carries.
async fn csrf_of(app: &Router, cookie: &str) -> String {
    let page = text(
        app.clone()
            .oneshot(get("/play", Some(cookie)))
            .await
            .unwrap(),
    )
    .await;
    let at = page
        .find("name=\"csrf-token\" content=\"")
        .expect("csrf meta")
        + 27;
    page[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_secure_behind_https() {
    let stack = start("https://easel.example.org").await;
    let app = pages(&stack);
    let body = format!("token={ADMIN_TOKEN}&next=%2F");
    let response = app
        .clone()
        .oneshot(post("/signin", &body, None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("easel_session="), "{cookie}");
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Secure",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    // Over plain http the cookie cannot be Secure (browsers would drop it).
    let plain = start("http://10.0.0.2:8787").await;
    let response = pages(&plain)
        .oneshot(post("/signin", &body, None))
        .await
        .unwrap();
    assert!(!set_cookie(&response).contains("Secure"));
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_repeated_tries_are_limited() {
    let stack = start("").await;
    let app = pages(&stack);
    for _ in 0..3 {
        let response = app
            .clone()
            .oneshot(post("/signin", "token=guess&next=%2F", None))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get(header::SET_COOKIE).is_none());
        assert!(text(response).await.contains("That is not the admin token"));
    }
    // The fourth attempt in a minute is refused before the token is even
    // compared: the right token does not get through either.
    let body = format!("token={ADMIN_TOKEN}&next=%2F");
    let response = app
        .clone()
        .oneshot(post("/signin", &body, None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((600..=1200).contains(&retry), "{retry}");
    assert!(text(response).await.contains("Too many sign-in attempts"));
}

#[tokio::test]
async fn a_sign_in_from_another_site_is_refused() {
    let stack = start("").await;
    let body = format!("token={ADMIN_TOKEN}");
    let mut req = post("/signin", &body, None);
    req.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let response = pages(&stack).oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn a_change_without_the_csrf_token_is_403_and_changes_nothing() {
    let stack = start("").await;
    let app = pages(&stack);
    let cookie = sign_in(&app).await;
    for body in ["", "_csrf=wrong-token"] {
        let response = app
            .clone()
            .oneshot(post("/signout", body, Some(&cookie)))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body}");
        assert!(text(response).await.contains("Reload the page"));
    }
    // Still signed in.
    let page = app
        .clone()
        .oneshot(get("/play", Some(&cookie)))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // With the token, sign-out ends the session in the store.
    let csrf = csrf_of(&app, &cookie).await;
    let response = app
        .clone()
        .oneshot(post("/signout", &format!("_csrf={csrf}"), Some(&cookie)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&response).contains("Max-Age=0"));
    let page = app
        .clone()
        .oneshot(get("/play", Some(&cookie)))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[header::LOCATION], "/signin?next=%2Fplay");
}

#[tokio::test]
async fn a_script_without_a_session_gets_401_json() {
    let stack = start("").await;
    let mut req = get("/play", None);
    req.headers_mut()
        .insert("sec-fetch-mode", "cors".parse().unwrap());
    let response = pages(&stack).oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn a_chat_user_signs_in_once_with_a_web_link() {
    let stack = start("https://easel.example.org/").await;
    let app = pages(&stack);
    let user = UserKey::telegram(777);
    let link = stack
        .gateway
        .web_link(user)
        .await
        .expect("link")
        .expect("public_url is set");
    let url = link.url.expose();
    let token = url
        .strip_prefix("https://easel.example.org/web/link?t=")
        .expect(url)
        .to_owned();

    // Opening the link (as a preview fetcher would) only shows a button.
    for _ in 0..2 {
        let page = app
            .clone()
            .oneshot(get(&format!("/web/link?t={token}"), None))
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.headers().get(header::SET_COOKIE).is_none());
    }
    let response = app
        .clone()
        .oneshot(post("/web/link", &format!("t={token}"), None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/play");
    let cookie = pair(&set_cookie(&response));
    let page = text(
        app.clone()
            .oneshot(get("/play", Some(&cookie)))
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("Signed in as tg:777"), "{page}");
    // Not an admin: no admin navigation, and admin pages refuse.
    assert!(!page.contains("/admin/users"));

    let again = app
        .clone()
        .oneshot(post("/web/link", &format!("t={token}"), None))
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.headers().get(header::SET_COOKIE).is_none());
    assert!(text(again).await.contains("Send /web to the bot"));
}

#[tokio::test]
async fn without_a_public_url_there_is_no_link() {
    let stack = start("").await;
    let link = stack
        .gateway
        .web_link(UserKey::telegram(1))
        .await
        .expect("answer");
    assert_eq!(link, None);
}

#[tokio::test]
async fn a_session_made_on_one_gateway_works_on_another_on_the_same_redis() {
    let openai = FakeOpenAi::start().await;
    let prefix = unique_prefix("web-replicas");
    let tune = |c: &mut easel_shared::config::Config| {
        c.http.admin_token = easel_shared::secret::Secret::new(ADMIN_TOKEN);
    };
    let first = Stack::start_on_redis(openai.clone(), &prefix, tune).await;
    let second = Stack::start_on_redis(openai, &prefix, tune).await;
    let cookie = sign_in(&pages(&first)).await;
    let page = pages(&second)
        .oneshot(get("/", Some(&cookie)))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(text(page).await.contains("/admin/users"));
}
