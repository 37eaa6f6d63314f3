//! The admin HTTP API end to end through the real router (`oneshot`, no
//! socket) over a real embedded ledger in a temp file.

/// Every error in the one JSON shape: rejections, unknown routes and
/// methods, bodies over the limit.
#[path = "admin_api/errors.rs"]
mod errors;
/// The OpenAPI document: served, complete, and every operation routed.
#[path = "admin_api/openapi.rs"]
mod openapi;
/// The dashboard's reports: daily series, plans, codes CSV, the live queue.
#[path = "admin_api/reports.rs"]
mod reports;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use easel_gateway::http::{AppState, app};
use easel_gateway::ledger::{Clock, SharedConfig, embedded::EmbeddedLedger};
use easel_shared::UnixMillis;
use easel_shared::config::Config;
use easel_shared::secret::Secret;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "admin-token-for-tests";

struct Api {
    state: AppState,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new(token: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.http.admin_token = Secret::new(token);
        config
            .plans
            .insert("pro".into(), config.plans["free"].clone());
        let config: SharedConfig = Arc::new(arc_swap::ArcSwap::from_pointee(config));
        let clock = Clock::manual(UnixMillis(1_800_000_000_000));
        let ledger =
            EmbeddedLedger::open(&dir.path().join("l.redb"), config.clone(), clock).unwrap();
        let state = AppState {
            ledger: Arc::new(ledger),
            config,
            config_path: None,
            gateway: None,
        };
        Self { state, _dir: dir }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, json)
    }

    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(method, path, Some(TOKEN), body).await
    }
}

fn code_spec(count: u32) -> Value {
    json!({"credits": 50, "plan": null, "plan_days": 0, "max_uses": 1,
           "redeem_by": null, "note": "batch A", "count": count})
}

#[tokio::test]
async fn admin_api_needs_a_configured_token_and_the_right_one() {
    let disabled = Api::new("");
    let (status, body) = disabled
        .call("GET", "/admin/v1/spend", Some("anything"), None)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "admin_disabled");

    let api = Api::new(TOKEN);
    for token in [None, Some("wrong"), Some("admin-token-for-test")] {
        let (status, body) = api.call("GET", "/admin/v1/spend", token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(!body.to_string().contains(TOKEN));
    }
    let (status, _) = api.admin("GET", "/admin/v1/spend", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api.call("GET", "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn credits_plans_and_bans_change_the_users_status_and_are_audited() {
    let api = Api::new(TOKEN);
    let grant = json!({"delta": 5, "reason": "promo"});
    let (status, body) = api
        .admin("POST", "/admin/v1/users/tg:7/credits", Some(grant))
        .await;
    assert_eq!(
        (status, body["credits"].as_u64()),
        (StatusCode::OK, Some(5))
    );

    let deduct = json!({"delta": -10});
    let (status, body) = api
        .admin("POST", "/admin/v1/users/tg:7/credits", Some(deduct))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("refused"))
    );

    let pro = json!({"plan": "pro", "days": 30});
    let (status, body) = api
        .admin("PUT", "/admin/v1/users/tg:7/plan", Some(pro))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["expires_at"].as_i64().is_some(), "{body}");
    let gold = json!({"plan": "gold", "days": 1});
    let (status, _) = api
        .admin("PUT", "/admin/v1/users/tg:7/plan", Some(gold))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let ban = json!({"banned": true, "reason": "spam"});
    let (status, _) = api
        .admin("PUT", "/admin/v1/users/tg:7/ban", Some(ban))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, user) = api.admin("GET", "/admin/v1/users/tg:7", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["credits"], 5);
    assert_eq!(user["plan"], "pro");
    assert_eq!(user["banned"], true);

    let (_, audit) = api.admin("GET", "/admin/v1/audit?limit=10", None).await;
    let entries = audit.as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["ban", "plan", "grant"],
        "newest first; refused changes not audited"
    );
    assert!(entries.iter().all(|e| e["actor"] == "api"));

    let (status, body) = api.admin("GET", "/admin/v1/users/telegram:7", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn codes_are_minted_once_listed_without_plaintext_and_revoked() {
    let api = Api::new(TOKEN);
    let (status, minted) = api
        .admin("POST", "/admin/v1/codes", Some(code_spec(2)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let minted = minted.as_array().unwrap().clone();
    assert_eq!(minted.len(), 2);

    let (_, listed) = api.admin("GET", "/admin/v1/codes", None).await;
    let listed = listed.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    let shown = serde_json::to_string(&listed).unwrap();
    for code in &minted {
        assert!(
            !shown.contains(code["code"].as_str().unwrap()),
            "a listing leaked a code"
        );
    }

    let id = minted[0]["id"].as_str().unwrap();
    let (status, _) = api
        .admin("DELETE", &format!("/admin/v1/codes/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = api.admin("GET", "/admin/v1/codes", None).await;
    let revoked: Vec<bool> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["revoked"].as_bool().unwrap())
        .collect();
    assert_eq!(revoked, [true]);
    let (status, _) = api
        .admin("DELETE", "/admin/v1/codes/nosuchcode", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = api
        .admin("POST", "/admin/v1/codes", Some(code_spec(0)))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reload_swaps_plans_and_a_bad_file_keeps_the_old_config() {
    let mut api = Api::new(TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("easel.toml");
    let good = format!(
        "[http]\nadmin_token = \"{TOKEN}\"\n\
         [plans.free]\nwindows = [{{ limit = 3, period = \"1h\" }}]\n\
         [plans.team]\nwindows = [{{ limit = 9, period = \"1h\" }}]\n"
    );
    std::fs::write(&path, good).unwrap();
    api.state.config_path = Some(path.clone());
    let (status, body) = api.admin("POST", "/admin/v1/reload", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["plans"], json!(["free", "team"]));
    assert_eq!(api.state.config.load().plans["team"].windows[0].limit, 9);

    std::fs::write(
        &path,
        format!("[http]\nadmin_token = \"{TOKEN}\"\n[plans.free]\nwindows = []\n"),
    )
    .unwrap();
    let (status, body) = api.admin("POST", "/admin/v1/reload", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("plans.free.windows"), "{message}");
    assert!(
        api.state.config.load().plans.contains_key("team"),
        "old config stays in force"
    );
}

#[tokio::test]
async fn admin_api_creates_lists_and_revokes_a_users_api_keys() {
    let api = Api::new(TOKEN);
    let path = "/admin/v1/users/tg:77/api-keys";
    for token in [None, Some("wrong")] {
        let (status, _) = api.call("POST", path, token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
    }
    let (status, minted) = api.admin("POST", path, None).await;
    assert_eq!(status, StatusCode::CREATED);
    let key = minted["key"].as_str().expect("the secret, once").to_owned();
    let prefix = minted["prefix"].as_str().expect("prefix").to_owned();
    assert!(key.starts_with(&prefix) && prefix.starts_with("easel-sk-"));
    assert_eq!(minted["user"], "tg:77");

    let (status, listed) = api.admin("GET", path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["prefix"], prefix.as_str());
    assert!(
        !listed.to_string().contains(&key),
        "a listing never shows the secret"
    );
    assert_eq!(
        api.state.ledger.api_key_user(&key).await.expect("resolve"),
        Some("tg:77".parse().expect("user"))
    );

    let (status, _) = api.admin("DELETE", &format!("{path}/{prefix}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        api.state.ledger.api_key_user(&key).await.expect("resolve"),
        None
    );
    let (status, body) = api.admin("DELETE", &format!("{path}/{prefix}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = api
        .admin("DELETE", &format!("{path}/nonsense!"), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
    let (status, _) = api
        .admin("POST", "/admin/v1/users/nobody/api-keys", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
