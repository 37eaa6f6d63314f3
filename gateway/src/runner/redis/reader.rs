//! The blocking reader: a dedicated connection (a block stalls nothing
//! else) over the wake stream and the followed jobs' event streams, all
//! under the queue's one hash tag, so one XREAD is legal on a cluster too.

use std::time::Duration;

use easel_shared::RequestId;
use redis::Value;

use super::{Keys, QueueError, RedisQueue, StreamItem, value_text};
use crate::redis_link::{RedisLink, Timeouts};

impl RedisQueue {
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
