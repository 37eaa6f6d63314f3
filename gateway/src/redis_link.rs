//! The one Redis connection type of the ledger and the result store: a single
//! node or a Redis Cluster, chosen by the URL's scheme.
//!
//! * `redis://[user:pass@]host:port[/db]` (or `redis+unix://`, `rediss://`):
//!   one node, through redis-rs's reconnecting `ConnectionManager`.
//! * `redis+cluster://[user:pass@]host1:port1,host2:port2,...`: a Redis
//!   Cluster reached through any of these seed nodes (the rest are
//!   discovered), through redis-rs's `cluster_async::ClusterConnection`,
//!   which routes each command to the master owning its key's slot and
//!   follows MOVED/ASK redirections. The credentials apply to every node.
//!
//! Sentinel is not supported.
//!
//! What a cluster refuses and how callers stay legal: every script and every
//! MULTI touches keys of ONE slot (hash tags); a pipeline is sent to the node
//! of its first key, so pipelines spanning slots go through
//! [`RedisLink::query_each`] (one pipeline on a node, one command per key on
//! a cluster, all in flight at once); `SCRIPT LOAD` is sent to every node
//! by the cluster client itself (so `Script::invoke_async` works unchanged);
//! server checks use [`RedisLink::on_every_master`].

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};
use redis::{Cmd, FromRedisValue, Pipeline, RedisError, RedisFuture, RedisResult, Value};

/// The scheme that selects a Redis Cluster.
const CLUSTER_SCHEME: &str = "redis+cluster://";

/// Where the configured URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server, by its redis-rs URL.
    Node(String),
    /// A cluster, by one `redis://` URL per seed node.
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// Reads a URL as described in the module doc; a `redis+cluster://` URL
    /// without any `host:port` is refused.
    pub fn parse(url: &str) -> Result<Self, String> {
        let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) else {
            return Ok(Self::Node(url.to_owned()));
        };
        let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((c, h)) => (format!("{c}@"), h),
            None => (String::new(), authority),
        };
        let seeds: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| format!("redis://{credentials}{h}{tail}"))
            .collect();
        if seeds.is_empty() {
            return Err("a redis+cluster:// URL needs at least one host:port".to_owned());
        }
        Ok(Self::Cluster(seeds))
    }
}

/// Connect and response timeouts of a link.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// How long connecting to a node may take.
    pub connect: Duration,
    /// How long one reply may take.
    pub response: Duration,
}

/// A multiplexed connection to a node or a cluster; clone it freely (clones
/// share the sockets, so concurrent calls pipeline).
#[derive(Clone)]
pub struct RedisLink {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Node(ConnectionManager),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("cluster", &self.is_cluster())
            .finish_non_exhaustive()
    }
}

impl RedisLink {
    /// Connects to what `url` names (see the module doc). Errors may carry
    /// the URL's password: callers scrub them.
    pub async fn connect(url: &str, timeouts: Timeouts) -> RedisResult<Self> {
        let target = RedisTarget::parse(url)
            .map_err(|m| RedisError::from((redis::ErrorKind::InvalidClientConfig, "bad URL", m)))?;
        let inner = match target {
            RedisTarget::Node(url) => {
                let client = redis::Client::open(url)?;
                let settings = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeouts.connect))
                    .set_response_timeout(Some(timeouts.response))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_millis(500));
                Inner::Node(ConnectionManager::new_with_config(client, settings).await?)
            }
            RedisTarget::Cluster(seeds) => {
                let client = ClusterClient::builder(seeds)
                    .connection_timeout(timeouts.connect)
                    .response_timeout(timeouts.response)
                    .retries(2)
                    .build()?;
                Inner::Cluster(client.get_async_connection().await?)
            }
        };
        Ok(Self { inner })
    }

    /// Whether this is a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner, Inner::Cluster(_))
    }

    /// Runs commands that may touch different slots and returns their replies
    /// in order: one pipelined round trip on a node; on a cluster each command
    /// goes to its own slot's master, all in flight at once. Not atomic
    /// either way, and commands must not depend on each other's effects.
    pub async fn query_each<T: FromRedisValue>(&self, cmds: &[Cmd]) -> RedisResult<Vec<T>> {
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        match &self.inner {
            Inner::Node(con) => {
                let mut pipe = redis::pipe();
                for c in cmds {
                    pipe.add_command(c.clone());
                }
                pipe.query_async(&mut con.clone()).await
            }
            Inner::Cluster(con) => {
                futures::future::try_join_all(cmds.iter().map(|c| {
                    let mut con = con.clone();
                    async move { c.query_async::<T>(&mut con).await }
                }))
                .await
            }
        }
    }

    /// Runs `cmd` on every master (on a node: that node) and returns each
    /// node's reply with its address (`""` for a single node).
    pub async fn on_every_master(&self, cmd: &Cmd) -> RedisResult<Vec<(String, Value)>> {
        match &self.inner {
            Inner::Node(con) => {
                let reply: Value = cmd.query_async(&mut con.clone()).await?;
                Ok(vec![(String::new(), reply)])
            }
            Inner::Cluster(con) => {
                let routing = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                let reply = con.clone().route_command(cmd.clone(), routing).await?;
                match reply {
                    Value::Map(pairs) => pairs
                        .into_iter()
                        .map(|(addr, v)| Ok((String::from_redis_value(addr)?, v)))
                        .collect(),
                    other => Err(RedisError::from((
                        redis::ErrorKind::UnexpectedReturnType,
                        "per-node reply",
                        format!("{other:?}"),
                    ))),
                }
            }
        }
    }
}

impl ConnectionLike for RedisLink {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Node(con) => con.req_packed_command(cmd),
            Inner::Cluster(con) => con.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Node(con) => con.req_packed_commands(pipeline, offset, count),
            Inner::Cluster(con) => con.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Node(con) => con.get_db(),
            Inner::Cluster(con) => con.get_db(),
        }
    }
}

/// Whether Redis refused a write because it is at `maxmemory` (`OOM command
/// not allowed when used memory > 'maxmemory'`).
pub fn is_out_of_memory(e: &RedisError) -> bool {
    e.code() == Some("OOM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_node_or_the_seeds_of_a_cluster() {
        assert_eq!(
            RedisTarget::parse("redis://127.0.0.1:6379/2"),
            Ok(RedisTarget::Node("redis://127.0.0.1:6379/2".into()))
        );
        assert_eq!(
            RedisTarget::parse("redis+cluster://:pw@10.0.0.1:7000, 10.0.0.2:7001"),
            Ok(RedisTarget::Cluster(vec![
                "redis://:pw@10.0.0.1:7000".into(),
                "redis://:pw@10.0.0.2:7001".into(),
            ]))
        );
        assert_eq!(
            RedisTarget::parse("redis+cluster://h:1?protocol=resp3"),
            Ok(RedisTarget::Cluster(vec![
                "redis://h:1?protocol=resp3".into()
            ]))
        );
        assert!(RedisTarget::parse("redis+cluster://").is_err());
        assert!(RedisTarget::parse("redis+cluster://u:p@/").is_err());
    }
}
