//! The Lua scripts (one file per operation, embedded at compile time) and a
//! small reader for their array replies.
//!
//! Per-user and per-code scripts get `prelude.lua` prepended (clock and plan
//! helpers); those that read or change the rolling log get `windows.lua` (the
//! running window sums), the three that finish a reservation `finish.lua`,
//! the single refund path, and the reserve `limits/guards.lua` (the cooldown
//! and burst checks it runs in its own step, shared with `limits.rs`). Scripts run by EVALSHA and are reloaded by
//! `redis::Script` on NOSCRIPT, so a Redis restart or `SCRIPT FLUSH` costs one
//! extra round trip and nothing else.

use std::sync::LazyLock;

use redis::{FromRedisValue, Script, Value};

use crate::ledger::LedgerError;

macro_rules! user_script {
    ($($file:literal),+) => {
        Script::new(concat!(
            include_str!("lua/clock.lua"),
            include_str!("lua/prelude.lua"),
            $(include_str!($file)),+
        ))
    };
}

/// Every script of the ledger.
pub(super) struct Scripts {
    /// Admit or deny a request (user slot).
    pub(super) reserve: Script,
    /// Settle or refund a reservation (user slot).
    pub(super) settle: Script,
    /// Refund an expired lease (user slot).
    pub(super) reap: Script,
    /// Undo a reservation the spend cap refused (user slot).
    pub(super) cancel: Script,
    /// Extend a lease (user slot).
    pub(super) renew: Script,
    /// Read the quota status (user slot).
    pub(super) status: Script,
    /// Grant or deduct credits (user slot).
    pub(super) adjust: Script,
    /// Assign, extend or clear a plan (user slot).
    pub(super) set_plan: Script,
    /// Redeem step 1 (code slot).
    pub(super) claim: Script,
    /// Redeem step 2 (user slot).
    pub(super) grant: Script,
    /// Give a claimed use back when step 2 refused (code slot).
    pub(super) unclaim: Script,
    /// Hold an estimate against the daily cap (spend slot).
    pub(super) spend_hold: Script,
    /// Book a finished request's final cost and charged credits (spend slot).
    pub(super) spend_book: Script,
}

/// Compiled once per process; the SHA1s are computed here.
pub(super) static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    reserve: user_script!(
        "lua/windows.lua",
        "lua/limits/guards.lua",
        "lua/reserve.lua"
    ),
    settle: user_script!("lua/windows.lua", "lua/finish.lua", "lua/settle.lua"),
    reap: user_script!("lua/windows.lua", "lua/finish.lua", "lua/reap.lua"),
    cancel: user_script!("lua/windows.lua", "lua/finish.lua", "lua/cancel.lua"),
    renew: user_script!("lua/renew.lua"),
    status: user_script!("lua/windows.lua", "lua/status.lua"),
    adjust: user_script!("lua/adjust.lua"),
    set_plan: user_script!("lua/set_plan.lua"),
    claim: user_script!("lua/claim.lua"),
    grant: user_script!("lua/grant.lua"),
    unclaim: Script::new(include_str!("lua/unclaim.lua")),
    spend_hold: Script::new(include_str!("lua/spend_hold.lua")),
    spend_book: Script::new(include_str!("lua/spend_book.lua")),
});

/// `script` as one `EVALSHA` command, for a caller that pipelines it (a
/// NOSCRIPT answer is the caller's to handle: `RedisLedger::run_pipeline`).
pub(super) fn evalsha<K, A>(script: &Script, keys: &[K], args: &[A]) -> redis::Cmd
where
    K: redis::ToRedisArgs,
    A: redis::ToRedisArgs,
{
    let mut eval = redis::cmd("EVALSHA");
    eval.arg(script.get_hash())
        .arg(keys.len())
        .arg(keys)
        .arg(args);
    eval
}

/// A script's array reply, read by position.
#[derive(Debug)]
pub(super) struct Reply(Vec<Value>);

impl FromRedisValue for Reply {
    fn from_redis_value(v: Value) -> Result<Self, redis::ParsingError> {
        match v {
            Value::Array(items) => Ok(Self(items)),
            other => Ok(Self(vec![other])),
        }
    }
}

impl Reply {
    /// Element `i` as text (numbers are rendered).
    pub(super) fn text(&self, i: usize) -> Result<String, LedgerError> {
        let v = self.0.get(i).ok_or_else(|| short(i))?;
        String::from_redis_value_ref(v).map_err(|e| corrupt(i, e))
    }

    /// Element `i` as an integer (Lua numbers arrive as integers, strings are parsed).
    pub(super) fn int(&self, i: usize) -> Result<i64, LedgerError> {
        let v = self.0.get(i).ok_or_else(|| short(i))?;
        i64::from_redis_value_ref(v).map_err(|e| corrupt(i, e))
    }

    /// Element `i` as a non-negative integer that fits `T`.
    pub(super) fn num<T: TryFrom<i64>>(&self, i: usize) -> Result<T, LedgerError> {
        let n = self.int(i)?;
        T::try_from(n)
            .map_err(|_| LedgerError::Corrupt(format!("script reply {i} out of range: {n}")))
    }

    /// How many elements the reply has.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

fn short(i: usize) -> LedgerError {
    LedgerError::Corrupt(format!("script reply has no element {i}"))
}

fn corrupt(i: usize, e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt(format!("script reply element {i}: {e}"))
}
