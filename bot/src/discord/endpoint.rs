//! The HTTP interactions endpoint, for operators who run Easel behind a
//! load balancer instead of holding a gateway websocket. Discord signs every
//! POST (Ed25519 over timestamp + body); unsigned, badly signed and stale
//! requests get 401. PING is answered with PONG; anything else goes to the
//! same handler as in gateway mode, whose first response becomes this
//! reply's body (later edits use REST). Each interaction id is handled
//! once across replicas (`Gateway::claim_event`); a duplicate delivery is
//! answered with a deferral and not handled. The replay window and the
//! answer-or-defer deadline read a [`Clock`], so tests can move them.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use easel_gateway::ledger::Clock;
use easel_shared::config::DiscordConfig;
use serde_json::json;
use serenity::all::{CreateInteractionResponse, Interaction};
use serenity::interactions_endpoint::Verifier;
use tokio::sync::oneshot;

use super::{Ack, Discord, DiscordError};

/// Discord closes the request after 3 s; past this the endpoint defers itself.
const ANSWER_WITHIN: Duration = Duration::from_millis(2500);

/// Interaction bodies are small; anything bigger is not from Discord.
const MAX_BODY: usize = 1 << 20;

#[derive(Clone)]
struct Endpoint {
    discord: Arc<Discord>,
    verifier: Verifier,
    max_age_secs: i64,
    clock: Clock,
}

/// The router serving `POST /interactions` (mount it where Discord's
/// "Interactions Endpoint URL" points).
pub fn router(discord: Arc<Discord>, config: &DiscordConfig) -> Result<Router, DiscordError> {
    router_with_clock(discord, config, Clock::real())
}

/// Like [`router`], judging timestamp age and the answer deadline by
/// `clock` (tests pass a manual one, so no test reads today's date).
pub fn router_with_clock(
    discord: Arc<Discord>,
    config: &DiscordConfig,
    clock: Clock,
) -> Result<Router, DiscordError> {
    let key = parse_key(&config.public_key).ok_or(DiscordError::BadPublicKey)?;
    let verifier = Verifier::try_new(key).map_err(|_| DiscordError::BadPublicKey)?;
    let state = Endpoint {
        discord,
        verifier,
        max_age_secs: i64::try_from(config.max_signature_age_secs).unwrap_or(i64::MAX),
        clock,
    };
    Ok(Router::new()
        .route("/interactions", post(interactions))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state))
}

fn parse_key(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

async fn interactions(State(state): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let (signature, timestamp) = (
        header("x-signature-ed25519"),
        header("x-signature-timestamp"),
    );
    if state.verifier.verify(signature, timestamp, &body).is_err() {
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    // The signature covers the timestamp but Discord's check stops there: a
    // captured request could be replayed forever without this window.
    let now_secs = state.clock.now().0.div_euclid(1000);
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|ts| now_secs.saturating_sub(ts).saturating_abs() <= state.max_age_secs);
    if !fresh {
        return (StatusCode::UNAUTHORIZED, "stale request timestamp").into_response();
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if value["type"].as_u64() == Some(1) {
        return axum::Json(json!({ "type": 1 })).into_response();
    }
    let interaction: Interaction = match serde_json::from_value(value) {
        Ok(i) => i,
        Err(e) => {
            tracing::info!(error = %e, "unreadable interaction");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    // Behind a load balancer the same interaction may reach two replicas
    // (a retry): only the first to claim it handles it. The other answers
    // "thinking…", which is harmless whichever answer Discord keeps: the
    // handling replica's later edits land on it.
    match state.discord.claim(&interaction).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(id = ?interaction_id(&interaction), "duplicate interaction delivery");
            return defer();
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not claim an interaction");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let (tx, rx) = oneshot::channel();
    let discord = state.discord.clone();
    tokio::spawn(async move { discord.handle(interaction, Ack::Body(tx)).await });
    let deadline = state.clock.now().plus(ANSWER_WITHIN);
    tokio::select! {
        answer = rx => match answer {
            Ok(response) => axum::Json(response).into_response(),
            // The handler answered nothing: defer, as when it is slow.
            Err(_) => defer(),
        },
        // Slow to decide: "thinking…" keeps the interaction alive and later
        // edits still land.
        () = state.clock.sleep_until(deadline) => defer(),
    }
}

/// The interaction's id (unique per interaction, the dedupe key); `None`
/// for kinds serenity does not know (never deduplicated, never confused).
pub(super) fn interaction_id(interaction: &Interaction) -> Option<u64> {
    match interaction {
        Interaction::Ping(i) => Some(i.id.get()),
        Interaction::Command(i) | Interaction::Autocomplete(i) => Some(i.id.get()),
        Interaction::Component(i) => Some(i.id.get()),
        Interaction::Modal(i) => Some(i.id.get()),
        _ => None,
    }
}

fn defer() -> Response {
    axum::Json(CreateInteractionResponse::Defer(Default::default())).into_response()
}
