//! One result-store suite, run against both implementations: Redis (REDIS_URL,
//! default redis://127.0.0.1:6379, a unique key prefix per test), the Redis
//! store again on a local 3-master Redis Cluster (one per run, see
//! `tests/src/redis_cluster.rs`), and the embedded redb file (a temp dir per
//! test). Time moves through a manual clock, so expiry needs no waiting.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use easel_gateway::ledger::Clock;
use easel_gateway::results::embedded::EmbeddedResultStore;
use easel_gateway::results::redis::RedisResultStore;
use easel_gateway::results::{ImageData, NewInput, NewResult, ResultStore, ResultStoreError};
use easel_shared::config::ResultsConfig;
use easel_shared::render::{Quality, RenderOptions, Shape};
use easel_shared::results::{MessageRef, ResultId, UserSettings};
use easel_shared::{Platform, RequestId, UnixMillis, UserKey};
use sha2::{Digest, Sha256};

/// A store under test, its clock, and what must outlive it.
struct Fixture {
    store: Arc<dyn ResultStore>,
    clock: Clock,
    /// Redis key prefix to clean up, or the embedded store's temp dir.
    _guard: Guard,
}

struct Guard {
    redis_prefix: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

type Open = fn(ResultsConfig) -> Pin<Box<dyn Future<Output = Fixture>>>;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn start() -> Clock {
    Clock::manual(UnixMillis(1_800_000_000_000))
}

/// The local Redis Cluster. The harness lives in the tests crate (which
/// depends on this one), so it is included by path; it needs only std and redis.
#[allow(unreachable_pub, dead_code)]
#[path = "../../tests/src/redis_cluster.rs"]
mod redis_cluster;

fn open_redis(config: ResultsConfig) -> Pin<Box<dyn Future<Output = Fixture>>> {
    Box::pin(open_redis_at(redis_url(), config, true))
}

/// The cluster dies with this test binary: nothing to clean up there.
fn open_cluster(config: ResultsConfig) -> Pin<Box<dyn Future<Output = Fixture>>> {
    Box::pin(open_redis_at(redis_cluster::shared().url(), config, false))
}

async fn open_redis_at(url: String, config: ResultsConfig, clean_up: bool) -> Fixture {
    let prefix = format!("easel-test:results:{:016x}:", rand::random::<u64>());
    let clock = start();
    let store = RedisResultStore::connect(&url, &prefix, config, clock.clone())
        .await
        .expect("Redis at REDIS_URL");
    Fixture {
        store: Arc::new(store),
        clock,
        _guard: Guard {
            redis_prefix: clean_up.then_some(prefix),
            _dir: None,
        },
    }
}

fn open_embedded(config: ResultsConfig) -> Pin<Box<dyn Future<Output = Fixture>>> {
    Box::pin(async move {
        let dir = tempfile::tempdir().unwrap();
        let clock = start();
        let store = EmbeddedResultStore::open(dir.path().join("r.redb"), config, clock.clone())
            .await
            .unwrap();
        Fixture {
            store: Arc::new(store),
            clock,
            _guard: Guard {
                redis_prefix: None,
                _dir: Some(dir),
            },
        }
    })
}

impl Drop for Guard {
    /// Test keys must not pile up in the shared Redis (the size index has no TTL).
    fn drop(&mut self) {
        let Some(prefix) = &self.redis_prefix else {
            return;
        };
        let Ok(client) = redis::Client::open(redis_url()) else {
            return;
        };
        let Ok(mut con) = client.get_connection() else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query(&mut con)
            .unwrap_or_default();
        for key in keys {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(key).query(&mut con);
        }
    }
}

fn config() -> ResultsConfig {
    ResultsConfig {
        retention: Duration::from_secs(3600),
        record_retention: Duration::from_secs(7200),
        max_total_bytes: 1_000_000,
        ..ResultsConfig::default()
    }
}

fn png(fill: u8, len: usize) -> ImageData {
    ImageData {
        mime: "image/png".into(),
        bytes: Bytes::from(vec![fill; len]),
    }
}

fn new_result(user: u64, outputs: Vec<ImageData>) -> NewResult {
    NewResult {
        user: UserKey::telegram(user),
        request: RequestId::new(format!("tg:{user}:{}", rand::random::<u32>())).unwrap(),
        prompt: "a lighthouse at dusk, 灯塔".into(),
        options: RenderOptions {
            quality: Quality::High,
            shape: Shape::Aspect { w: 16, h: 9 },
            n: outputs.len() as u8,
            ..RenderOptions::default()
        },
        inputs: Vec::new(),
        parent: None,
        outputs,
        continuation: None,
    }
}

fn tg_message(chat: i64, message: i64) -> MessageRef {
    MessageRef {
        platform: Platform::Telegram,
        chat,
        message,
    }
}

async fn save_get_round_trip(open: Open) {
    let f = open(config()).await;
    let mut new = new_result(1, vec![png(1, 300), png(2, 200)]);
    new.inputs.push(NewInput::Upload(png(9, 50)));
    let saved = f.store.save(new.clone()).await.unwrap();
    assert_eq!(saved.id.as_str().len(), 12);
    assert_eq!(saved.prompt, new.prompt);
    assert_eq!(saved.options, new.options);
    assert_eq!(saved.request, new.request);
    assert_eq!(saved.outputs[0].size, 300);
    let sha = format!("{:x}", Sha256::digest(&new.outputs[1].bytes));
    assert_eq!(saved.outputs[1].sha256, sha);
    assert_eq!(f.store.get(&saved.id).await.unwrap(), Some(saved.clone()));
    for (i, out) in new.outputs.iter().enumerate() {
        assert_eq!(
            f.store.original(&saved.id, i).await.unwrap().as_ref(),
            Some(out)
        );
    }
    assert_eq!(f.store.original(&saved.id, 2).await.unwrap(), None);
    let unknown = ResultId::from_entropy(42);
    assert_eq!(f.store.get(&unknown).await.unwrap(), None);
    assert_eq!(f.store.original(&unknown, 0).await.unwrap(), None);
}

async fn find_by_message(open: Open) {
    let f = open(config()).await;
    let a = f.store.save(new_result(1, vec![png(1, 10)])).await.unwrap();
    let b = f.store.save(new_result(1, vec![png(2, 10)])).await.unwrap();
    assert!(
        f.store
            .attach_message(&a.id, tg_message(-100, 7))
            .await
            .unwrap()
    );
    assert!(
        f.store
            .attach_message(&a.id, tg_message(5, 1))
            .await
            .unwrap()
    );
    assert!(
        f.store
            .attach_message(&a.id, tg_message(5, 1))
            .await
            .unwrap()
    );
    assert!(
        f.store
            .attach_message(&b.id, tg_message(-100, 8))
            .await
            .unwrap()
    );
    let found = f.store.find_by_message(&tg_message(-100, 7)).await.unwrap();
    assert_eq!(found.map(|r| r.id), Some(a.id.clone()));
    let found = f.store.find_by_message(&tg_message(-100, 8)).await.unwrap();
    assert_eq!(found.map(|r| r.id), Some(b.id));
    let got = f.store.get(&a.id).await.unwrap().unwrap();
    assert_eq!(got.messages, vec![tg_message(-100, 7), tg_message(5, 1)]);
    let discord = MessageRef {
        platform: Platform::Discord,
        ..tg_message(-100, 7)
    };
    assert_eq!(f.store.find_by_message(&discord).await.unwrap(), None);
    let unknown = ResultId::from_entropy(42);
    assert!(
        !f.store
            .attach_message(&unknown, tg_message(1, 1))
            .await
            .unwrap()
    );
    assert_eq!(
        f.store.find_by_message(&tg_message(1, 1)).await.unwrap(),
        None
    );
}

async fn lineage_and_inputs(open: Open) {
    let f = open(config()).await;
    let parent = f
        .store
        .save(new_result(1, vec![png(1, 100)]))
        .await
        .unwrap();
    let mut child = new_result(1, vec![png(2, 100)]);
    child.parent = Some(parent.id.clone());
    child.inputs = vec![
        NewInput::Output {
            result: parent.id.clone(),
            index: 0,
        },
        NewInput::Upload(png(3, 40)),
    ];
    let child = f.store.save(child).await.unwrap();
    let got = f.store.get(&child.id).await.unwrap().unwrap();
    assert_eq!(got.parent, Some(parent.id.clone()));
    let inputs = f.store.inputs(&child.id).await.unwrap().unwrap();
    assert_eq!(inputs, vec![png(1, 100), png(3, 40)]);
    assert_eq!(f.store.inputs(&parent.id).await.unwrap(), Some(vec![]));
    let unknown = ResultId::from_entropy(42);
    assert_eq!(f.store.inputs(&unknown).await.unwrap(), None);
}

async fn retention_expires_bytes_not_records(open: Open) {
    let f = open(config()).await;
    let mut new = new_result(1, vec![png(1, 100)]);
    new.inputs.push(NewInput::Upload(png(2, 10)));
    let saved = f.store.save(new).await.unwrap();
    f.clock.advance(Duration::from_secs(1800));
    assert!(f.store.original(&saved.id, 0).await.unwrap().is_some());
    assert_eq!(f.store.purge_expired().await.unwrap(), 0);
    f.clock.advance(Duration::from_secs(1801));
    assert_eq!(f.store.original(&saved.id, 0).await.unwrap(), None);
    assert_eq!(f.store.inputs(&saved.id).await.unwrap(), None);
    assert_eq!(f.store.purge_expired().await.unwrap(), 2);
    assert_eq!(f.store.purge_expired().await.unwrap(), 0);
    let kept = f.store.get(&saved.id).await.unwrap().unwrap();
    assert_eq!(kept.prompt, saved.prompt);
    let fresh = f.store.save(new_result(1, vec![png(3, 10)])).await.unwrap();
    assert!(f.store.original(&fresh.id, 0).await.unwrap().is_some());
}

async fn size_cap_evicts_oldest_first(open: Open) {
    let f = open(ResultsConfig {
        max_total_bytes: 1000,
        ..config()
    })
    .await;
    let mut ids = Vec::new();
    for user in 1..=3 {
        let saved = f
            .store
            .save(new_result(user, vec![png(1, 400)]))
            .await
            .unwrap();
        ids.push(saved.id);
        f.clock.advance(Duration::from_secs(1));
    }
    let present = async |id: &ResultId| f.store.original(id, 0).await.unwrap().is_some();
    assert!(!present(&ids[0]).await, "the oldest is evicted");
    assert!(present(&ids[1]).await && present(&ids[2]).await);
    assert!(
        f.store.get(&ids[0]).await.unwrap().is_some(),
        "the record stays"
    );
    // Forgetting frees room: 400 + 400 fit again without evicting the third.
    assert_eq!(f.store.forget(UserKey::telegram(2)).await.unwrap(), 1);
    let fourth = f
        .store
        .save(new_result(4, vec![png(1, 400)]))
        .await
        .unwrap();
    assert!(present(&ids[2]).await && present(&fourth.id).await);
    let err = f
        .store
        .save(new_result(5, vec![png(1, 600), png(2, 401)]))
        .await;
    assert_eq!(
        err.unwrap_err(),
        ResultStoreError::TooLarge {
            size: 1001,
            cap: 1000
        }
    );
    assert!(present(&ids[2]).await && present(&fourth.id).await);
}

async fn settings_round_trip(open: Open) {
    let f = open(config()).await;
    let (alice, bob) = (UserKey::telegram(1), UserKey::discord(1));
    assert_eq!(
        f.store.settings(alice).await.unwrap(),
        UserSettings::default()
    );
    let mine = UserSettings {
        shape: Some(Shape::Aspect { w: 3, h: 2 }),
        quality: Some(Quality::Low),
        n: Some(2),
        language: Some("zh-CN".into()),
        ..UserSettings::default()
    };
    f.store.set_settings(alice, &mine).await.unwrap();
    assert_eq!(f.store.settings(alice).await.unwrap(), mine);
    assert_eq!(
        f.store.settings(bob).await.unwrap(),
        UserSettings::default()
    );
    f.store
        .set_settings(alice, &UserSettings::default())
        .await
        .unwrap();
    assert_eq!(
        f.store.settings(alice).await.unwrap(),
        UserSettings::default()
    );
}

async fn usernames_are_case_insensitive_and_platform_scoped(open: Open) {
    let f = open(config()).await;
    let s = &f.store;
    s.remember_username(UserKey::telegram(1), "@Alice")
        .await
        .unwrap();
    for name in ["alice", "@ALICE", "Alice"] {
        let found = s.lookup_username(Platform::Telegram, name).await.unwrap();
        assert_eq!(found, Some(UserKey::telegram(1)), "{name}");
    }
    assert_eq!(
        s.lookup_username(Platform::Discord, "alice").await.unwrap(),
        None
    );
    s.remember_username(UserKey::discord(9), "alice")
        .await
        .unwrap();
    let dc = s.lookup_username(Platform::Discord, "ALICE").await.unwrap();
    assert_eq!(dc, Some(UserKey::discord(9)));
    // The name passed to someone else: the latest sighting wins.
    s.remember_username(UserKey::telegram(2), "alice")
        .await
        .unwrap();
    let tg = s
        .lookup_username(Platform::Telegram, "alice")
        .await
        .unwrap();
    assert_eq!(tg, Some(UserKey::telegram(2)));
    assert_eq!(
        s.lookup_username(Platform::Telegram, "bob").await.unwrap(),
        None
    );
}

async fn forget_removes_only_that_users_results(open: Open) {
    let f = open(config()).await;
    let (me, other) = (UserKey::telegram(1), UserKey::telegram(2));
    let mut mine = Vec::new();
    for i in 0..2 {
        let mut new = new_result(1, vec![png(1, 100)]);
        new.inputs.push(NewInput::Upload(png(2, 10)));
        let saved = f.store.save(new).await.unwrap();
        f.store
            .attach_message(&saved.id, tg_message(1, i))
            .await
            .unwrap();
        mine.push(saved.id);
    }
    let theirs = f
        .store
        .save(new_result(2, vec![png(3, 100)]))
        .await
        .unwrap();
    f.store
        .attach_message(&theirs.id, tg_message(2, 0))
        .await
        .unwrap();
    let settings = UserSettings {
        n: Some(3),
        ..UserSettings::default()
    };
    f.store.set_settings(me, &settings).await.unwrap();

    assert_eq!(f.store.forget(me).await.unwrap(), 2);
    for (i, id) in mine.iter().enumerate() {
        assert_eq!(f.store.get(id).await.unwrap(), None);
        assert_eq!(f.store.original(id, 0).await.unwrap(), None);
        assert_eq!(f.store.inputs(id).await.unwrap(), None);
        let msg = tg_message(1, i as i64);
        assert_eq!(f.store.find_by_message(&msg).await.unwrap(), None);
    }
    assert_eq!(
        f.store.get(&theirs.id).await.unwrap().map(|r| r.user),
        Some(other)
    );
    assert_eq!(
        f.store.original(&theirs.id, 0).await.unwrap(),
        Some(png(3, 100))
    );
    let found = f.store.find_by_message(&tg_message(2, 0)).await.unwrap();
    assert_eq!(found.map(|r| r.id), Some(theirs.id));
    assert_eq!(
        f.store.settings(me).await.unwrap(),
        settings,
        "settings stay"
    );
    assert_eq!(f.store.forget(me).await.unwrap(), 0);
}

/// The playground's history: only the user's own results, newest first,
/// at most `limit`, and nothing once forgotten.
async fn recent_lists_the_users_newest_first(open: Open) {
    let f = open(config()).await;
    let me = UserKey::telegram(1);
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(
            f.store
                .save(new_result(1, vec![png(1, 10)]))
                .await
                .unwrap()
                .id,
        );
        f.store.save(new_result(2, vec![png(2, 10)])).await.unwrap();
        f.clock.advance(Duration::from_secs(1));
    }
    let ids = |records: Vec<easel_shared::results::ResultRecord>| {
        records.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    let newest_first: Vec<_> = mine.iter().rev().cloned().collect();
    assert_eq!(ids(f.store.recent(me, 10).await.unwrap()), newest_first);
    assert_eq!(ids(f.store.recent(me, 2).await.unwrap()), newest_first[..2]);
    f.store.forget(me).await.unwrap();
    assert_eq!(f.store.recent(me, 10).await.unwrap(), Vec::new());
    assert_eq!(
        f.store
            .recent(UserKey::telegram(2), 10)
            .await
            .unwrap()
            .len(),
        3
    );
}

macro_rules! suite {
    ($name:ident, $open:path) => {
        mod $name {
            #[tokio::test]
            async fn save_get_round_trip() {
                super::save_get_round_trip($open).await
            }
            #[tokio::test]
            async fn find_by_message() {
                super::find_by_message($open).await
            }
            #[tokio::test]
            async fn lineage_and_inputs() {
                super::lineage_and_inputs($open).await
            }
            #[tokio::test]
            async fn retention_expires_bytes_not_records() {
                super::retention_expires_bytes_not_records($open).await
            }
            #[tokio::test]
            async fn size_cap_evicts_oldest_first() {
                super::size_cap_evicts_oldest_first($open).await
            }
            #[tokio::test]
            async fn settings_round_trip() {
                super::settings_round_trip($open).await
            }
            #[tokio::test]
            async fn usernames_are_case_insensitive_and_platform_scoped() {
                super::usernames_are_case_insensitive_and_platform_scoped($open).await
            }
            #[tokio::test]
            async fn forget_removes_only_that_users_results() {
                super::forget_removes_only_that_users_results($open).await
            }
            #[tokio::test]
            async fn recent_lists_the_users_newest_first() {
                super::recent_lists_the_users_newest_first($open).await
            }
        }
    };
}

suite!(redis_store, super::open_redis);
suite!(cluster_store, super::open_cluster);
suite!(embedded_store, super::open_embedded);

#[tokio::test]
async fn embedded_store_keeps_everything_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.redb");
    let clock = start();
    let store = EmbeddedResultStore::open(&path, config(), clock.clone())
        .await
        .unwrap();
    let saved = store.save(new_result(1, vec![png(7, 64)])).await.unwrap();
    store
        .attach_message(&saved.id, tg_message(3, 4))
        .await
        .unwrap();
    let settings = UserSettings {
        quality: Some(Quality::Medium),
        ..UserSettings::default()
    };
    store
        .set_settings(UserKey::telegram(1), &settings)
        .await
        .unwrap();
    store
        .remember_username(UserKey::telegram(1), "Ann")
        .await
        .unwrap();
    drop(store);

    let store = EmbeddedResultStore::open(&path, config(), clock)
        .await
        .unwrap();
    let found = store.find_by_message(&tg_message(3, 4)).await.unwrap();
    assert_eq!(found.as_ref().map(|r| &r.id), Some(&saved.id));
    assert_eq!(
        store.original(&saved.id, 0).await.unwrap(),
        Some(png(7, 64))
    );
    assert_eq!(
        store.settings(UserKey::telegram(1)).await.unwrap(),
        settings
    );
    let ann = store
        .lookup_username(Platform::Telegram, "ann")
        .await
        .unwrap();
    assert_eq!(ann, Some(UserKey::telegram(1)));
}

#[tokio::test]
async fn redis_store_that_cannot_reach_redis_is_unavailable() {
    // Port 1 on loopback: nothing listens, the connection is refused.
    let err = RedisResultStore::connect("redis://:pw-secret@127.0.0.1:1", "t:", config(), start())
        .await
        .unwrap_err();
    assert!(matches!(err, ResultStoreError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("pw-secret"));
}

#[tokio::test]
async fn redis_store_reports_unavailable_when_redis_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("redis.sock");
    let mut server = std::process::Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--save",
            "",
            "--appendonly",
            "no",
            "--unixsocket",
        ])
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server on PATH");
    // Readiness, not timing: wait until the server has created its socket.
    let url = format!("redis+unix://{}", sock.display());
    let mut store = None;
    for _ in 0..500 {
        if sock.exists()
            && let Ok(s) = RedisResultStore::connect(&url, "t:", config(), start()).await
        {
            store = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let store = store.expect("private redis-server came up");
    let saved = store.save(new_result(1, vec![png(1, 10)])).await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let err = store.get(&saved.id).await.unwrap_err();
    assert!(matches!(err, ResultStoreError::Unavailable(_)), "{err:?}");
    let err = store
        .save(new_result(1, vec![png(1, 10)]))
        .await
        .unwrap_err();
    assert!(matches!(err, ResultStoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn redis_store_gives_every_key_but_the_size_index_a_ttl() {
    let f = open_redis(config()).await;
    let me = UserKey::telegram(1);
    let mut new = new_result(1, vec![png(1, 100)]);
    new.inputs.push(NewInput::Upload(png(2, 10)));
    let saved = f.store.save(new).await.unwrap();
    f.store
        .attach_message(&saved.id, tg_message(5, 6))
        .await
        .unwrap();
    f.store
        .set_settings(me, &UserSettings::default())
        .await
        .unwrap();
    f.store.settings(me).await.unwrap();
    f.store.remember_username(me, "Ann").await.unwrap();

    let prefix = f._guard.redis_prefix.clone().unwrap();
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut con)
        .await
        .unwrap();
    let (hour, two_hours) = (3_600_000, 7_200_000);
    let mut kinds = std::collections::BTreeSet::new();
    for key in &keys {
        let ttl: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut con)
            .await
            .unwrap();
        let rest = &key[prefix.len()..];
        // Which lifetime each kind has (see the results::redis module doc).
        let (kind, range) = if rest.starts_with("res:{idx}") {
            ("index", -1..=-1)
        } else if rest.contains(":o:") || rest.contains(":i:") {
            ("blob", 1..=hour)
        } else if rest.ends_with(":settings") || rest.starts_with("res:name:") {
            ("profile", two_hours + 1..=i64::MAX)
        } else {
            ("record", hour + 1..=two_hours)
        };
        assert!(range.contains(&ttl), "{rest}: {kind} with PTTL {ttl}");
        kinds.insert(kind);
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["blob", "index", "profile", "record"]
    );
    // Record, message set, message lookup, user index; two blobs; settings + name.
    assert_eq!(keys.len(), 4 + 2 + 2 + 3, "{keys:?}");
}

#[tokio::test]
async fn redis_store_warns_about_every_master_that_never_evicts() {
    let store = RedisResultStore::connect(&redis_url(), "easel-test:check:", config(), start())
        .await
        .unwrap();
    let client = redis::Client::open(redis_url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let pair: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query_async(&mut con)
        .await
        .unwrap();
    let never_evicts = pair[1] == "noeviction";
    let warnings = store.check_server().await;
    assert_eq!(warnings.len(), usize::from(never_evicts), "{warnings:?}");

    // The test cluster keeps Redis's default, noeviction: each master is named.
    let cluster = redis_cluster::shared();
    let store = RedisResultStore::connect(&cluster.url(), "easel-test:check:", config(), start())
        .await
        .unwrap();
    let warnings = store.check_server().await;
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(cluster.unnamed_nodes(&warnings).is_empty(), "{warnings:?}");
}

#[tokio::test]
async fn embedded_store_drops_records_after_record_retention() {
    // Redis drops them by TTL (real time, checked above); the file by purge.
    let f = open_embedded(config()).await;
    let old = f.store.save(new_result(1, vec![png(1, 10)])).await.unwrap();
    f.store
        .attach_message(&old.id, tg_message(1, 1))
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(3600));
    let newer = f.store.save(new_result(1, vec![png(2, 10)])).await.unwrap();
    f.clock.advance(Duration::from_secs(3599));
    f.store.purge_expired().await.unwrap();
    assert!(f.store.get(&old.id).await.unwrap().is_some(), "not yet");
    f.clock.advance(Duration::from_secs(1));
    f.store.purge_expired().await.unwrap();
    assert_eq!(f.store.get(&old.id).await.unwrap(), None);
    assert_eq!(
        f.store.find_by_message(&tg_message(1, 1)).await.unwrap(),
        None
    );
    assert!(f.store.get(&newer.id).await.unwrap().is_some());
    assert_eq!(f.store.forget(UserKey::telegram(1)).await.unwrap(), 1);
}
