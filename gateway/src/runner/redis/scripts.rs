//! The queue's Lua scripts (one file per operation, the ledger's
//! `clock.lua` and `prelude.lua` prepended), run by EVALSHA and reloaded on NOSCRIPT by `redis::Script`.

use std::sync::LazyLock;

use redis::Script;

macro_rules! queue_script {
    ($file:literal) => {
        Script::new(concat!(
            include_str!("../../ledger/redis/lua/clock.lua"),
            include_str!("lua/prelude.lua"),
            include_str!($file)
        ))
    };
}

/// Every script of the queue.
pub(super) struct Scripts {
    pub(super) submit: Script,
    pub(super) claim: Script,
    pub(super) ack: Script,
    pub(super) cancel: Script,
    pub(super) handback: Script,
    pub(super) renew: Script,
    pub(super) takeover: Script,
    pub(super) snapshot: Script,
    pub(super) keep: Script,
}

/// Compiled once per process.
pub(super) static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    submit: queue_script!("lua/submit.lua"),
    claim: queue_script!("lua/claim.lua"),
    ack: queue_script!("lua/ack.lua"),
    cancel: queue_script!("lua/cancel.lua"),
    handback: queue_script!("lua/handback.lua"),
    renew: queue_script!("lua/renew.lua"),
    takeover: queue_script!("lua/takeover.lua"),
    snapshot: queue_script!("lua/snapshot.lua"),
    keep: Script::new(include_str!("lua/keep.lua")),
});
