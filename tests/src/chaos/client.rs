//! The client side of a chaos run: a frontend (`/frontend/v1`, the API bot
//! processes use) that names each request itself, so every outcome it saw
//! can be matched with the ledger's record of the same request id. It
//! submits, follows the job's SSE events to the final one, and records what
//! it saw, including "the replica died under me" ([`Outcome::Lost`]).

use easel_gateway::service::remote::wire::{BASE, ErrorBody, SubmitBody, Submitted};
use easel_shared::job::{JobEvent, JobFailure};
use easel_shared::render::RenderOptions;
use easel_shared::{RequestId, UserKey};
use eventsource_stream::Eventsource;
use futures::StreamExt;

/// What the client saw of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `Done`: images delivered, `charged` credits taken.
    Delivered {
        /// Images received.
        images: u32,
        /// Credits the gateway said it charged.
        charged: u32,
    },
    /// `Failed` after admission: the gateway says it refunded.
    Failed(JobFailure),
    /// The submit was answered with an error: nothing was admitted.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The error's stable code (`denied`, `unavailable`, ...).
        code: String,
    },
    /// No connection at all: the request never reached a replica.
    Unreachable,
    /// Sent, then the connection ended before a final answer (the replica
    /// died): only the ledger knows how it ended.
    Lost,
}

impl Outcome {
    /// Whether the submit was (or may have been) admitted.
    pub fn maybe_admitted(&self) -> bool {
        matches!(
            self,
            Outcome::Delivered { .. } | Outcome::Failed(_) | Outcome::Lost
        )
    }
}

/// One request and what the client saw of it.
#[derive(Debug, Clone)]
pub struct Record {
    /// The id the client gave it (the ledger's reservation id).
    pub id: RequestId,
    /// Who asked.
    pub user: UserKey,
    /// Which replica it was sent to.
    pub replica: usize,
    /// How it ended, as far as the client knows.
    pub outcome: Outcome,
}

/// A frontend with its token; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    token: String,
}

impl Client {
    /// A client presenting `token` as its frontend token. Connections
    /// are not reused: a pooled connection to a replica that restarted
    /// would fail a request that never reached anyone, and the outcome
    /// must say exactly that ([`Outcome::Unreachable`] vs [`Outcome::Lost`]).
    pub fn new(token: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("HTTP client"),
            token: token.to_owned(),
        }
    }

    /// Submits a generation of `n` images for `user` as request `id` at
    /// the replica at `base` and follows it to its end.
    pub async fn generate(&self, base: &str, user: UserKey, id: &RequestId, n: u8) -> Outcome {
        match self.submit(base, user, id, n).await {
            Ok(job) => self.follow(base, &job).await,
            Err(outcome) => outcome,
        }
    }

    /// The submit alone: the job's handle, or how it ended already.
    pub async fn submit(
        &self,
        base: &str,
        user: UserKey,
        id: &RequestId,
        n: u8,
    ) -> Result<String, Outcome> {
        let body = SubmitBody {
            id: id.clone(),
            user,
            prompt: format!("a lighthouse at dusk, request {}", id.as_str()),
            options: RenderOptions {
                n,
                ..RenderOptions::default()
            },
            inputs: Vec::new(),
            parent: None,
        };
        let sent = self
            .http
            .post(format!("{base}{BASE}/submit"))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) if e.is_connect() => return Err(Outcome::Unreachable),
            Err(_) => return Err(Outcome::Lost),
        };
        let status = resp.status().as_u16();
        let Ok(bytes) = resp.bytes().await else {
            return Err(Outcome::Lost);
        };
        if status == 200 {
            let submitted: Submitted = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("submit answer {bytes:?}: {e}"));
            return Ok(submitted.job);
        }
        let error: ErrorBody = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("error body {status} {bytes:?} is not the one shape: {e}"));
        Err(Outcome::Refused {
            status,
            code: error.error.code,
        })
    }

    /// Reads job `job`'s events at `base` until the final one.
    pub async fn follow(&self, base: &str, job: &str) -> Outcome {
        self.follow_anywhere(&[base.to_owned()], job).await
    }

    /// Reads job `job`'s events at `bases[0]`; when that replica goes away
    /// before the final event, resumes (`Last-Event-ID`) at the next one
    /// (the shared queue lets any replica serve a job's events).
    pub async fn follow_anywhere(&self, bases: &[String], job: &str) -> Outcome {
        let mut last: Option<String> = None;
        for base in bases {
            let mut req = self
                .http
                .get(format!("{base}{BASE}/jobs/{job}/events"))
                .bearer_auth(&self.token);
            if let Some(last) = &last {
                req = req.header("last-event-id", last);
            }
            let resp = match req.send().await {
                Ok(resp) if resp.status().is_success() => resp,
                _ => continue,
            };
            if let Some(outcome) = Self::read(resp, &mut last).await {
                return outcome;
            }
        }
        Outcome::Lost
    }

    /// The job's final outcome from one events response, or `None` if it
    /// ended before one (`last` keeps the last event id seen).
    async fn read(resp: reqwest::Response, last: &mut Option<String>) -> Option<Outcome> {
        let mut events = resp.bytes_stream().eventsource();
        while let Some(item) = events.next().await {
            let Ok(sse) = item else { break };
            let Ok(event) = serde_json::from_str::<JobEvent>(&sse.data) else {
                continue; // keep-alives and anything that is not an event
            };
            *last = Some(sse.id.clone());
            match event {
                JobEvent::Done {
                    images, charged, ..
                } => {
                    return Some(Outcome::Delivered {
                        images: images.len() as u32,
                        charged,
                    });
                }
                JobEvent::Failed { failure, .. } => return Some(Outcome::Failed(failure)),
                _ => {}
            }
        }
        None
    }
}
