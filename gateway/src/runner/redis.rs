//! The shared job queue on Redis (`runner.queue = "redis"`): the queue's
//! scripts and the commands around them. The design, the key scheme and the
//! crash analysis: docs/queue.md. The runner drives it (`runner/shared.rs`).
//!
//! Every key is under the ledger prefix and the ONE hash tag `{q}`, so each
//! script touches one Redis Cluster slot. Times are Redis `TIME`, or the
//! manual clock's override in test builds.

pub mod record;
mod scripts;

use std::time::Duration;

use easel_shared::job::{JobEvent, QueuedJob};
use easel_shared::results::Continuation;
use easel_shared::{RequestId, UnixMillis, UserKey};
use redis::Value;

use crate::admission::Ticket;
use crate::backend::ImageJob;
use crate::ledger::Clock;
use crate::redis_link::{RedisLink, Timeouts};
use scripts::SCRIPTS;

/// The consumer group every replica's workers join.
const GROUP: &str = "workers";
/// How long a job record lives (refreshed while it runs).
pub const RECORD_TTL: Duration = Duration::from_secs(24 * 3600);
/// A consumer's heartbeat lives half a ledger lease: renewed every third of
/// one, and a dead consumer's jobs are taken over (between 1/2 and 5/6 of a
/// lease after its last pass) before their reservations' leases lapse to
/// the reaper (one lease).
fn heartbeat(lease: Duration) -> u64 {
    (lease / 2).as_millis() as u64
}

/// How long a job's event stream outlives its last event.
pub const EVENTS_TTL: Duration = Duration::from_secs(3600);
/// Entries kept per job event stream (a job has a few dozen at most).
const EVENTS_MAXLEN: u32 = 256;

/// Why the queue could not answer.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis cannot be reached or failed mid-operation.
    #[error("job queue unavailable: {0}")]
    Unavailable(String),
    /// Stored data does not parse (a bug or a foreign writer).
    #[error("corrupt job queue data: {0}")]
    Corrupt(String),
    /// The job record is larger than the queue takes.
    #[error("job too large to queue ({0} bytes)")]
    TooLarge(usize),
}

impl From<redis::RedisError> for QueueError {
    fn from(e: redis::RedisError) -> Self {
        // Errors of a command never carry the URL's password; connect errors
        // are mapped where the URL is known.
        Self::Unavailable(e.to_string())
    }
}

/// What a submit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Queued; `position` jobs leave before it.
    Queued {
        /// Jobs ahead of it.
        position: u32,
    },
    /// A job with this id is queued or running already.
    Duplicate,
    /// The user has `runner.max_queued_per_user` jobs waiting.
    TooMany,
}

/// A job this consumer now owns.
#[derive(Debug)]
pub struct Claimed {
    /// The request (and reservation) id.
    pub id: RequestId,
    /// Its entry in the running stream (renewed, acked or handed back by it).
    pub entry: String,
    /// The ledger's hold.
    pub ticket: Ticket,
    /// What to ask the backend.
    pub job: ImageJob,
    /// When it was queued.
    pub since: UnixMillis,
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// A job to run now.
    Job(Box<Claimed>),
    /// The next job may start at this time (provider pacing).
    Wait(UnixMillis),
    /// The deployment-wide concurrency cap is reached.
    Full,
    /// Nothing waits.
    Empty,
}

/// What cancelling a waiting job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// Taken out of the queue; the owner's reservation must be refunded.
    Yes(UserKey),
    /// It is running.
    Started,
    /// Not queued (finished, or never here).
    Unknown,
}

/// One event-stream entry: a job event or the continuation before `Done`.
#[derive(Debug)]
pub enum StreamItem {
    /// A job event.
    Event(JobEvent),
    /// The delivered images' continuation (sent before `Done`).
    Continuation(Continuation),
}

/// What a job delivered, kept in its record between upstream and settle.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Output {
    /// The provider's images (already cut to the images reserved).
    pub images: Vec<easel_shared::job::ImageData>,
    /// What the upstream call cost.
    pub cost_micros: u64,
}

/// The queue's keys.
#[derive(Debug, Clone)]
struct Keys {
    base: String,
}

impl Keys {
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.base)
    }
    fn record(&self, id: &str) -> String {
        format!("{}j:{id}", self.base)
    }
    fn events(&self, id: &str) -> String {
        format!("{}ev:{id}", self.base)
    }
}

/// A connection to the shared queue, as one consumer (this process).
#[derive(Clone)]
pub struct RedisQueue {
    link: RedisLink,
    keys: Keys,
    consumer: String,
    clock: Clock,
    url: String,
}

impl RedisQueue {
    /// Connects to the queue at `url` (the ledger's Redis) under `prefix`,
    /// as a new consumer with a random name.
    pub async fn connect(url: &str, prefix: &str, clock: Clock) -> Result<Self, QueueError> {
        let timeouts = Timeouts {
            connect: Duration::from_secs(1),
            response: Duration::from_secs(2),
        };
        let link = RedisLink::connect(url, timeouts)
            .await
            .map_err(|e| QueueError::Unavailable(format!("connect: {:?}", e.kind())))?;
        Ok(Self {
            link,
            keys: Keys {
                base: format!("{prefix}{{q}}:"),
            },
            consumer: format!("c-{:016x}", rand::random::<u64>()),
            clock,
            url: url.to_owned(),
        })
    }

    /// This process's consumer name in the group.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    fn now_arg(&self) -> String {
        self.clock
            .override_ms()
            .map(|ms| ms.to_string())
            .unwrap_or_default()
    }

    /// Queues an admitted job fairly (see docs/queue.md).
    pub async fn submit(
        &self,
        ticket: &Ticket,
        job: &ImageJob,
        max_queued: u32,
    ) -> Result<Submitted, QueueError> {
        let job_json = record::job_json(job)?;
        let r = &ticket.reservation;
        let reply: Vec<Value> = SCRIPTS
            .submit
            .key(self.keys.key("wait"))
            .key(self.keys.key("vt"))
            .key(self.keys.record(r.id.as_str()))
            .key(self.keys.key("wake"))
            .arg(self.now_arg())
            .arg(r.id.as_str())
            .arg(r.user.to_string())
            .arg(ticket.credits)
            .arg(1 + u32::from(ticket.priority))
            .arg(max_queued)
            .arg(RECORD_TTL.as_millis() as u64)
            .arg(r.images)
            .arg(record::ticket_json(ticket))
            .arg(job_json)
            .invoke_async(&mut self.link.clone())
            .await?;
        match tag(&reply).as_str() {
            "ok" => Ok(Submitted::Queued {
                position: int(&reply, 1) as u32,
            }),
            "dup" => Ok(Submitted::Duplicate),
            "full" => Ok(Submitted::TooMany),
            other => Err(QueueError::Corrupt(format!("submit answered {other}"))),
        }
    }

    /// Claims the next job under the cap (`concurrency`, 0: none) and the
    /// pacing (`images_per_minute`, 0: none); `lease` is the heartbeat's life.
    pub async fn claim(
        &self,
        concurrency: u32,
        images_per_minute: u32,
        lease: Duration,
    ) -> Result<Claim, QueueError> {
        let reply: Vec<Value> = SCRIPTS
            .claim
            .key(self.keys.key("wait"))
            .key(self.keys.key("vt"))
            .key(self.keys.key("run"))
            .key(self.keys.key("hb"))
            .key(self.keys.key("pace"))
            .arg(self.now_arg())
            .arg(&self.consumer)
            .arg(GROUP)
            .arg(concurrency)
            .arg(images_per_minute)
            .arg(heartbeat(lease))
            .arg(self.keys.record(""))
            .invoke_async(&mut self.link.clone())
            .await?;
        match tag(&reply).as_str() {
            "job" => {
                let id = text(&reply, 1);
                let entry = text(&reply, 2);
                let decoded = record::decode(&text(&reply, 3), &text(&reply, 4));
                let id = RequestId::new(&id).map_err(|e| QueueError::Corrupt(e.to_string()));
                match (id, decoded) {
                    (Ok(id), Ok((ticket, job))) => Ok(Claim::Job(Box::new(Claimed {
                        id,
                        entry,
                        ticket,
                        job,
                        since: UnixMillis(int(&reply, 5)),
                    }))),
                    (id, decoded) => {
                        // Unreadable: drop it rather than claim it forever.
                        let error = decoded.err().or(id.err());
                        tracing::error!(?error, %entry, "dropping an unreadable queued job");
                        self.ack_entry(&entry, &text(&reply, 1)).await?;
                        Err(error.unwrap_or(QueueError::Corrupt("record".into())))
                    }
                }
            }
            "wait" => Ok(Claim::Wait(UnixMillis(int(&reply, 1)))),
            "full" => Ok(Claim::Full),
            "empty" => Ok(Claim::Empty),
            other => Err(QueueError::Corrupt(format!("claim answered {other}"))),
        }
    }

    /// A job ended (settled or dropped): its entry and record go.
    pub async fn ack(&self, claimed_entry: &str, id: &RequestId) -> Result<(), QueueError> {
        self.ack_entry(claimed_entry, id.as_str()).await
    }

    async fn ack_entry(&self, entry: &str, id: &str) -> Result<(), QueueError> {
        let _: i64 = SCRIPTS
            .ack
            .key(self.keys.key("run"))
            .key(self.keys.record(id))
            .key(self.keys.key("wake"))
            .arg(GROUP)
            .arg(entry)
            .invoke_async(&mut self.link.clone())
            .await?;
        Ok(())
    }

    /// Takes a waiting job out: `user`'s own, or anyone's with `None`.
    pub async fn cancel(
        &self,
        user: Option<UserKey>,
        id: &RequestId,
    ) -> Result<Cancelled, QueueError> {
        let reply: Vec<Value> = SCRIPTS
            .cancel
            .key(self.keys.key("wait"))
            .key(self.keys.key("vt"))
            .key(self.keys.record(id.as_str()))
            .key(self.keys.key("wake"))
            .arg(user.map(|u| u.to_string()).unwrap_or_default())
            .arg(id.as_str())
            .invoke_async(&mut self.link.clone())
            .await?;
        Ok(match tag(&reply).as_str() {
            "cancelled" => Cancelled::Yes(
                text(&reply, 1)
                    .parse()
                    .map_err(|_| QueueError::Corrupt("record user".into()))?,
            ),
            "started" => Cancelled::Started,
            _ => Cancelled::Unknown,
        })
    }

    /// Puts a running job back with its place (its lease untouched).
    pub async fn handback(&self, entry: &str, id: &RequestId) -> Result<(), QueueError> {
        let _: i64 = SCRIPTS
            .handback
            .key(self.keys.key("wait"))
            .key(self.keys.key("vt"))
            .key(self.keys.key("run"))
            .key(self.keys.record(id.as_str()))
            .key(self.keys.key("wake"))
            .arg(GROUP)
            .arg(entry)
            .invoke_async(&mut self.link.clone())
            .await?;
        Ok(())
    }

    /// Heartbeat; refreshes `entries` and returns those still this consumer's.
    pub async fn renew(
        &self,
        entries: &[String],
        lease: Duration,
    ) -> Result<Vec<String>, QueueError> {
        let owned: Vec<String> = SCRIPTS
            .renew
            .key(self.keys.key("hb"))
            .key(self.keys.key("run"))
            .arg(self.now_arg())
            .arg(&self.consumer)
            .arg(GROUP)
            .arg(heartbeat(lease))
            .arg(RECORD_TTL.as_millis() as u64)
            .arg(self.keys.record(""))
            .arg(entries)
            .invoke_async(&mut self.link.clone())
            .await?;
        Ok(owned)
    }

    /// Moves the entries of every consumer whose heartbeat lapsed to this
    /// one; returns them with their records (unreadable ones are acked away).
    pub async fn takeover(&self, lease: Duration) -> Result<Vec<Claimed>, QueueError> {
        let pairs: Vec<String> = SCRIPTS
            .takeover
            .key(self.keys.key("hb"))
            .key(self.keys.key("run"))
            .arg(self.now_arg())
            .arg(&self.consumer)
            .arg(GROUP)
            .arg(heartbeat(lease))
            .invoke_async(&mut self.link.clone())
            .await?;
        let mut out = Vec::new();
        for pair in pairs.chunks(2) {
            let [entry, id] = pair else { continue };
            let fields: (Option<String>, Option<String>, Option<i64>) = redis::cmd("HMGET")
                .arg(self.keys.record(id))
                .arg("ticket")
                .arg("job")
                .arg("since")
                .query_async(&mut self.link.clone())
                .await?;
            let decoded = match fields {
                (Some(t), Some(j), since) => record::decode(&t, &j).map(|d| (d, since)),
                _ => Err(QueueError::Corrupt("record gone".into())),
            };
            match (RequestId::new(id), decoded) {
                (Ok(rid), Ok(((ticket, job), since))) => out.push(Claimed {
                    id: rid,
                    entry: entry.clone(),
                    ticket,
                    job,
                    since: UnixMillis(since.unwrap_or(0)),
                }),
                (_, error) => {
                    tracing::error!(%id, error = ?error.err(), "taken-over job unreadable: dropped");
                    self.ack_entry(entry, id).await?;
                }
            }
        }
        Ok(out)
    }

    /// Waiting jobs in leaving order, then running ones (for the dashboard
    /// and for renewing waiting jobs' leases).
    pub async fn snapshot(&self) -> Result<(Vec<QueuedJob>, Vec<QueuedJob>), QueueError> {
        let reply: Vec<Value> = SCRIPTS
            .snapshot
            .key(self.keys.key("wait"))
            .key(self.keys.key("run"))
            .arg(GROUP)
            .arg(self.keys.record(""))
            .invoke_async(&mut self.link.clone())
            .await?;
        let waiting = int(&reply, 0) as usize;
        let mut jobs = Vec::new();
        for (i, chunk) in reply[1..].chunks(5).enumerate() {
            let field = |n: usize| chunk.get(n).map(value_text).unwrap_or_default();
            let (Ok(id), Ok(user)) = (RequestId::new(field(0)), field(1).parse::<UserKey>()) else {
                continue;
            };
            jobs.push(QueuedJob {
                id,
                user,
                images: field(2).parse().unwrap_or(0),
                credits: field(3).parse().unwrap_or(0),
                since: UnixMillis(field(4).parse().unwrap_or(0)),
                position: (i < waiting).then_some(i as u32),
            });
        }
        let running = jobs.split_off(waiting.min(jobs.len()));
        Ok((jobs, running))
    }

    /// Keeps a job's output in its record (see [`Output`]).
    pub async fn keep_output(&self, id: &RequestId, output: &Output) -> Result<(), QueueError> {
        let json = serde_json::to_string(output).map_err(|e| QueueError::Corrupt(e.to_string()))?;
        // Only on an existing record (one acked meanwhile stays gone).
        let _: i64 = SCRIPTS
            .keep
            .key(self.keys.record(id.as_str()))
            .arg(json)
            .invoke_async(&mut self.link.clone())
            .await?;
        Ok(())
    }

    /// The output kept for a job, if any.
    pub async fn output(&self, id: &RequestId) -> Result<Option<Output>, QueueError> {
        let json: Option<String> = redis::cmd("HGET")
            .arg(self.keys.record(id.as_str()))
            .arg("out")
            .query_async(&mut self.link.clone())
            .await?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| QueueError::Corrupt(e.to_string())))
            .transpose()
    }

    /// Appends an item to the job's event stream (kept `EVENTS_TTL`).
    pub async fn push(&self, id: &RequestId, item: &StreamItem) -> Result<(), QueueError> {
        let (field, json) = match item {
            StreamItem::Event(e) => ("e", serde_json::to_string(e)),
            StreamItem::Continuation(c) => ("c", serde_json::to_string(c)),
        };
        let json = json.map_err(|e| QueueError::Corrupt(e.to_string()))?;
        let key = self.keys.events(id.as_str());
        let _: () = redis::pipe()
            .cmd("XADD")
            .arg(&key)
            .arg("MAXLEN")
            .arg("~")
            .arg(EVENTS_MAXLEN)
            .arg("*")
            .arg(field)
            .arg(json)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(EVENTS_TTL.as_millis() as u64)
            .ignore()
            .query_async(&mut self.link.clone())
            .await?;
        Ok(())
    }

    /// Wakes every replica's reader (a follow was added).
    pub async fn wake(&self) -> Result<(), QueueError> {
        let _: String = redis::cmd("XADD")
            .arg(self.keys.key("wake"))
            .arg("MAXLEN")
            .arg("~")
            .arg(1000)
            .arg("*")
            .arg("w")
            .arg("1")
            .query_async(&mut self.link.clone())
            .await?;
        Ok(())
    }

    /// A connection for blocking reads (its own, so a block stalls nothing
    /// else), plus the key names it reads.
    pub async fn reader(&self) -> Result<Reader, QueueError> {
        let timeouts = Timeouts {
            connect: Duration::from_secs(1),
            // Longer than any block the reader asks for.
            response: READ_BLOCK + Duration::from_secs(5),
        };
        let link = RedisLink::connect(&self.url, timeouts)
            .await
            .map_err(|e| QueueError::Unavailable(format!("connect: {:?}", e.kind())))?;
        Ok(Reader {
            link,
            keys: self.keys.clone(),
        })
    }
}

/// How long one blocking read waits for news.
const READ_BLOCK: Duration = Duration::from_secs(2);

/// A dedicated connection that blocks on the wake stream and the followed
/// jobs' event streams (see `runner/shared/follow.rs`).
pub struct Reader {
    link: RedisLink,
    keys: Keys,
}

/// What one blocking read brought.
#[derive(Debug, Default)]
pub struct News {
    /// The wake stream's newest entry id, if it moved.
    pub woke: Option<String>,
    /// Per followed job: (entry id, item) in order.
    pub items: Vec<(RequestId, String, Result<StreamItem, QueueError>)>,
}

impl Reader {
    /// The wake stream's current last id ("0-0" when empty).
    pub async fn wake_tip(&mut self) -> Result<String, QueueError> {
        let reply: Value = redis::cmd("XREVRANGE")
            .arg(self.keys.key("wake"))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.link)
            .await?;
        let tip = match reply {
            Value::Array(items) => items.first().and_then(|e| match e {
                Value::Array(parts) => parts.first().map(value_text),
                _ => None,
            }),
            _ => None,
        };
        Ok(tip.unwrap_or_else(|| "0-0".to_owned()))
    }

    /// Blocks until the wake stream moves past `wake_from` or a followed job
    /// (id, last entry read) has news, or the block ends.
    pub async fn read(
        &mut self,
        wake_from: &str,
        follows: &[(RequestId, String)],
    ) -> Result<News, QueueError> {
        let wake_key = self.keys.key("wake");
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(64)
            .arg("BLOCK")
            .arg(READ_BLOCK.as_millis() as u64);
        cmd.arg("STREAMS").arg(&wake_key);
        for (id, _) in follows {
            cmd.arg(self.keys.events(id.as_str()));
        }
        cmd.arg(wake_from);
        for (_, from) in follows {
            cmd.arg(from);
        }
        let reply: Option<redis::streams::StreamReadReply> =
            cmd.query_async(&mut self.link).await?;
        let mut news = News::default();
        let Some(reply) = reply else {
            return Ok(news);
        };
        let events_base = self.keys.events("");
        for stream in reply.keys {
            if stream.key == wake_key {
                news.woke = stream.ids.last().map(|e| e.id.clone());
                continue;
            }
            let Some(Ok(id)) = stream.key.strip_prefix(&events_base).map(RequestId::new) else {
                continue;
            };
            for entry in stream.ids {
                let item = if let Some(json) = entry.get::<String>("e") {
                    serde_json::from_str(&json).map(StreamItem::Event)
                } else {
                    let json = entry.get::<String>("c").unwrap_or_default();
                    serde_json::from_str(&json).map(StreamItem::Continuation)
                };
                let item = item.map_err(|e| QueueError::Corrupt(e.to_string()));
                news.items.push((id.clone(), entry.id, item));
            }
        }
        Ok(news)
    }
}

fn tag(reply: &[Value]) -> String {
    reply.first().map(value_text).unwrap_or_default()
}

fn text(reply: &[Value], i: usize) -> String {
    reply.get(i).map(value_text).unwrap_or_default()
}

fn int(reply: &[Value], i: usize) -> i64 {
    match reply.get(i) {
        Some(Value::Int(n)) => *n,
        Some(other) => value_text(other).parse().unwrap_or(0),
        None => 0,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Double(d) => d.to_string(),
        _ => String::new(),
    }
}
