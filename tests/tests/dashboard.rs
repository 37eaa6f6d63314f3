//! The admin dashboard's pages through the real web router (`oneshot`, no
//! socket) over a whole in-process gateway (embedded stores, the fake
//! OpenAI): what each page shows, that every change needs an admin session
//! and the CSRF token, and that a change is what the ledger then holds.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use easel_bot::web::{WebState, router};
use easel_gateway::service::{Gateway, JobStream};
use easel_shared::admin::Redemption;
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::render::RenderOptions;
use easel_shared::secret::Secret;
use easel_shared::{RequestId, UserKey};
use easel_tests::stack::Stack;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A signed-in browser: the session cookie and the CSRF token.
struct Browser {
    app: Router,
    cookie: String,
    csrf: String,
}

/// What came back.
struct Page {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

async fn start(tune: impl FnOnce(&mut easel_shared::config::Config)) -> Stack {
    Stack::start(|c| {
        c.http.admin_token = Secret::new("dash-token");
        tune(c);
    })
    .await
}

async fn browser(stack: &Stack, user: UserKey, admin: bool) -> Browser {
    let gateway: Arc<dyn Gateway> = stack.gateway.clone();
    let ledger = stack.gateway.ledger();
    let state = WebState::new(
        gateway,
        ledger.clone(),
        stack.config.clone(),
        None,
        stack.clock.clone(),
    );
    let minted = ledger
        .create_web_session(user, admin, Duration::from_secs(3600))
        .await
        .expect("session");
    Browser {
        app: router(state),
        cookie: format!("easel_session={}", minted.token.expose()),
        csrf: minted.session.csrf,
    }
}

impl Browser {
    async fn send(&self, req: Request<Body>) -> Page {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            location,
            html: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        let req = Request::get(path)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// A form POST from this site; `_csrf` is added unless `csrf` is false.
    async fn post(&self, path: &str, fields: &[(&str, &str)], csrf: bool) -> Page {
        let mut fields = fields.to_vec();
        if csrf {
            fields.push(("_csrf", &self.csrf));
        }
        let body = serde_urlencoded::to_string(&fields).unwrap();
        let req = Request::post(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

#[tokio::test]
async fn pages_need_an_admin_session_and_changes_need_the_csrf_token() {
    let stack = start(|_| {}).await;
    let admin = browser(&stack, UserKey::WEB_ADMIN, true).await;
    let stranger = Browser {
        cookie: String::new(),
        ..browser(&stack, UserKey::WEB_ADMIN, true).await
    };
    for path in [
        "/",
        "/admin/users",
        "/admin/codes",
        "/admin/plans",
        "/admin/audit",
        "/admin/queue",
    ] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            page.location.unwrap().starts_with("/signin?next="),
            "{path}"
        );
    }
    let chat_user = browser(&stack, UserKey::telegram(5), false).await;
    assert_eq!(chat_user.get("/").await.location.as_deref(), Some("/play"));
    let page = chat_user.get("/admin/codes").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let grant = [("amount", "5"), ("action", "grant"), ("reason", "x")];
    let page = chat_user
        .post("/admin/users/tg:7/credits", &grant, true)
        .await;
    assert_eq!(
        page.status,
        StatusCode::FORBIDDEN,
        "a chat user is no admin"
    );

    let page = admin.post("/admin/users/tg:7/credits", &grant, false).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no CSRF token");
    let page = stranger
        .post("/admin/users/tg:7/credits", &grant, true)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "no session: sign in");
    let quota = stack.gateway.quota(UserKey::telegram(7)).await.unwrap();
    assert_eq!(quota.credits, 0, "nothing was granted");
}

#[tokio::test]
async fn grant_deduct_plan_and_ban_from_the_users_page_are_audited() {
    let stack = start(|c| {
        let pro = c.plans["free"].clone();
        c.plans.insert("pro".into(), pro);
    })
    .await;
    let admin = browser(&stack, UserKey::WEB_ADMIN, true).await;
    let user = UserKey::telegram(7);

    let page = admin.get("/admin/users?q=tg:7").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("<h2 id=\"user-h\">tg:7</h2>"),
        "{}",
        page.html
    );
    assert!(page.html.contains("No requests yet."));

    let grant = [("amount", "5"), ("action", "grant"), ("reason", "welcome")];
    let page = admin.post("/admin/users/tg:7/credits", &grant, true).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let to = page.location.unwrap();
    assert_eq!(to, "/admin/users?q=tg:7&done=credits");
    let page = admin.get(&to).await;
    assert!(page.html.contains("Credits changed."), "{}", page.html);
    assert_eq!(stack.gateway.quota(user).await.unwrap().credits, 5);

    // A deduction beyond the balance is refused, said so, and changes nothing.
    let deduct = [("amount", "9"), ("action", "deduct"), ("reason", "")];
    let page = admin.post("/admin/users/tg:7/credits", &deduct, true).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.html.contains("role=\"alert\""), "{}", page.html);
    assert_eq!(stack.gateway.quota(user).await.unwrap().credits, 5);
    // Out of range or an unknown action: refused before the ledger.
    for bad in [
        [("amount", "0"), ("action", "grant")],
        [("amount", "1"), ("action", "steal")],
    ] {
        let page = admin.post("/admin/users/tg:7/credits", &bad, true).await;
        assert_eq!(page.status, StatusCode::CONFLICT);
    }

    let page = admin
        .post(
            "/admin/users/tg:7/plan",
            &[("plan", "pro"), ("days", "30")],
            true,
        )
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/admin/users?q=tg:7&done=plan")
    );
    assert_eq!(
        stack.gateway.quota(user).await.unwrap().plan.as_deref(),
        Some("pro")
    );
    let page = admin
        .post(
            "/admin/users/tg:7/plan",
            &[("plan", "gold"), ("days", "1")],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "no such plan");

    let ban = [("banned", "true"), ("reason", "spam")];
    let page = admin.post("/admin/users/tg:7/ban", &ban, true).await;
    assert_eq!(
        page.location.as_deref(),
        Some("/admin/users?q=tg:7&done=ban")
    );
    assert!(stack.gateway.quota(user).await.unwrap().banned);
    let page = admin.get("/admin/users?q=tg:7").await;
    assert!(page.html.contains("Lift the ban"), "{}", page.html);

    let audit = admin.get("/admin/audit").await;
    assert_eq!(audit.status, StatusCode::OK);
    for needle in ["grant", "welcome", "plan", "ban", "spam", "web:0"] {
        assert!(audit.html.contains(needle), "{needle} in {}", audit.html);
    }
}

#[tokio::test]
async fn a_username_the_bot_has_seen_finds_the_user() {
    let stack = start(|_| {}).await;
    let admin = browser(&stack, UserKey::WEB_ADMIN, true).await;
    stack
        .gateway
        .remember_username(UserKey::telegram(42), "alice")
        .await
        .unwrap();
    let page = admin.get("/admin/users?q=%40alice").await;
    assert!(
        page.html.contains("<h2 id=\"user-h\">tg:42</h2>"),
        "{}",
        page.html
    );
    let page = admin.get("/admin/users?q=%40nobody").await;
    assert!(page.html.contains("No user found."), "{}", page.html);
}

/// The first `data-copy="..."` value of a page: a minted code.
fn copied(html: &str) -> String {
    let start = html.find("data-copy=\"").expect("a copy button") + "data-copy=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn a_minted_code_is_shown_once_then_listed_with_its_redemption_and_revoked() {
    let stack = start(|_| {}).await;
    let admin = browser(&stack, UserKey::WEB_ADMIN, true).await;
    let mint = [
        ("count", "1"),
        ("credits", "5"),
        ("max_uses", "2"),
        ("plan", ""),
        ("plan_days", "0"),
        ("redeem_days", "0"),
        ("note", "for <Ann>"),
    ];
    let page = admin.post("/admin/codes", &mint, true).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("shown this once"), "{}", page.html);
    let code = copied(&page.html);
    assert!(page.html.contains("for &lt;Ann&gt;"), "notes are escaped");

    let list = admin.get("/admin/codes").await;
    assert!(!list.html.contains(&code), "never shown again");
    assert!(list.html.contains("0 / 2"), "{}", list.html);

    let user = UserKey::telegram(9);
    assert!(matches!(
        stack.gateway.redeem(user, &code).await.unwrap(),
        Redemption::Redeemed { credits: 5, .. }
    ));
    let list = admin.get("/admin/codes").await;
    assert!(list.html.contains("1 / 2"), "{}", list.html);

    let id_start = list.html.find("data-code=\"").unwrap() + "data-code=\"".len();
    let id = &list.html[id_start..id_start + list.html[id_start..].find('"').unwrap()];
    let csv = admin.get("/admin/codes.csv").await;
    assert!(
        csv.html.contains(id) && !csv.html.contains(&code),
        "{}",
        csv.html
    );

    let page = admin
        .post(&format!("/admin/codes/{id}/revoke"), &[], true)
        .await;
    assert_eq!(page.location.as_deref(), Some("/admin/codes?done=revoked"));
    assert_eq!(
        stack
            .gateway
            .redeem(UserKey::telegram(10), &code)
            .await
            .unwrap(),
        Redemption::Revoked
    );
    let list = admin.get("/admin/codes?done=revoked").await;
    assert!(list.html.contains("Code revoked"), "{}", list.html);

    let page = admin
        .post(
            "/admin/codes",
            &[("count", "0"), ("credits", "1"), ("max_uses", "1")],
            true,
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::CONFLICT,
        "a batch of none is refused"
    );
}

fn request(id: &str, user: UserKey) -> easel_shared::request::Request {
    easel_shared::request::Request {
        id: RequestId::new(id).unwrap(),
        user,
        prompt: "a lighthouse".into(),
        options: RenderOptions::default(),
        inputs: Vec::new(),
        parent: None,
        mask: None,
    }
}

/// The overview's first chart, images delivered per day.
fn images_chart(html: &str) -> &str {
    let figure = html
        .split("<figure class=\"chart\">")
        .nth(1)
        .and_then(|rest| rest.split("</figure>").next())
        .expect("a chart");
    assert!(figure.contains("Images delivered per day"), "{figure}");
    figure
}

async fn until_final(events: &mut JobStream) -> JobEvent {
    loop {
        let event = events.recv().await.expect("an event");
        if event.is_final() {
            return event;
        }
    }
}

#[tokio::test]
async fn the_overview_charts_and_the_queue_page_cancels_a_waiting_job() {
    let stack = start(|c| c.runner.concurrency = 1).await;
    let admin = browser(&stack, UserKey::WEB_ADMIN, true).await;
    let (alice, bob) = (UserKey::telegram(1), UserKey::telegram(2));
    stack.openai.hold();
    let mut running = stack.gateway.submit(request("run", alice)).await.unwrap();
    while running.recv().await != Some(JobEvent::Started) {}
    let mut waiting = stack.gateway.submit(request("wait", bob)).await.unwrap();

    let overview = admin.get("/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert_eq!(
        overview.html.matches("<svg").count(),
        3,
        "{}",
        overview.html
    );
    assert_eq!(
        overview.html.matches("<rect").count(),
        42,
        "three charts of 14 days"
    );
    assert_eq!(
        images_chart(&overview.html).matches("<td>0</td>").count(),
        14,
        "nothing delivered yet"
    );
    assert!(
        overview.html.contains("1 waiting, 1 running"),
        "{}",
        overview.html
    );

    let queue = admin.get("/admin/queue").await;
    assert!(queue.html.contains("data-job=\"wait\""), "{}", queue.html);
    assert!(queue.html.contains("action=\"/admin/queue/wait/cancel\""));
    assert!(
        !queue.html.contains("action=\"/admin/queue/run/cancel\""),
        "running jobs have no cancel"
    );

    let page = admin.post("/admin/queue/wait/cancel", &[], false).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no CSRF token");
    let page = admin.post("/admin/queue/wait/cancel", &[], true).await;
    assert_eq!(
        page.location.as_deref(),
        Some("/admin/queue?done=cancelled")
    );
    assert!(matches!(
        until_final(&mut waiting).await,
        JobEvent::Failed {
            failure: JobFailure::Cancelled,
            ..
        }
    ));
    assert_eq!(
        stack.gateway.quota(bob).await.unwrap().windows[0].used,
        0,
        "refunded"
    );
    let page = admin.post("/admin/queue/wait/cancel", &[], true).await;
    assert_eq!(page.location.as_deref(), Some("/admin/queue?done=gone"));

    stack.openai.release();
    assert!(matches!(
        until_final(&mut running).await,
        JobEvent::Done { .. }
    ));
    let overview = admin.get("/").await;
    let images = images_chart(&overview.html);
    assert_eq!(images.matches("<td>0</td>").count(), 13, "{images}");
    assert_eq!(
        images.matches("<td>1</td>").count(),
        1,
        "today's image: {images}"
    );
    let plans = admin.get("/admin/plans").await;
    assert!(
        plans.html.contains("Today: 1 users, 1 credits"),
        "{}",
        plans.html
    );
}
