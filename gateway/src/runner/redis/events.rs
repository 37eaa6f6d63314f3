//! A job's event stream (`{q}:ev:<id>`) and its kept output: what the
//! worker writes for the replica that follows the job.

use easel_shared::RequestId;
use easel_shared::job::JobEvent;
use easel_shared::results::Continuation;

use super::scripts::SCRIPTS;
use super::{EVENTS_MAXLEN, EVENTS_TTL, QueueError, RedisQueue};

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

impl RedisQueue {
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

    /// Whether the queue knows job `id`: its record (waiting or running) or
    /// its event stream (kept `EVENTS_TTL` after it ended) exists.
    pub async fn known(&self, id: &RequestId) -> Result<bool, QueueError> {
        let found: u32 = redis::cmd("EXISTS")
            .arg(self.keys.record(id.as_str()))
            .arg(self.keys.events(id.as_str()))
            .query_async(&mut self.link.clone())
            .await?;
        Ok(found > 0)
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
}
