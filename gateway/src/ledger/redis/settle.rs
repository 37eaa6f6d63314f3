//! Settle on Redis: the user step decides (exactly once, in the user's
//! slot); the global bookings follow it (the day's spend and top list in the
//! `{spend}` slot, dropping the reaper's hint in `{leases}`).
//!
//! * With a [`Receipt`] (this instance admitted the reservation: the
//!   runner's case) everything goes in ONE round trip: the user script, the
//!   hint's `ZREM` and a `spend_book` in `first` mode with what this settle
//!   charges if it takes effect. `first` books only a request not booked
//!   yet, so a repeated settle never books twice. When the user step's reply
//!   disagrees (the settle did not take effect: already settled, already
//!   refunded, unknown; or the record says otherwise), a second round trip
//!   sets the bookings to the record's truth (`force`) or takes back the one
//!   made for an unknown reservation (`undo`).
//! * Without one, the user script first, then the bookings from its reply
//!   (`force`, with the hint's `ZREM`): two round trips.
//!
//! Either way the bookings end equal to the record's final state; a crash
//! between the steps is healed by settling again (the outbox does), and a
//! reaper that refunds the reservation books it with `force` too.
//!
//! A settle that also wants the user's quota after it (the job's last
//! event) sends `status.lua` in the same pipeline, after the user step on
//! the same connection, so it reads the settled state: no round trip more.

use easel_shared::{QuotaStatus, RequestId, UserKey};

use super::RedisLedger;
use super::admin::{parse_status, status_cmd};
use super::keys::lease_member;
use super::lifecycle::{Book, Booking, SpendRef, book_args, finish_keys, zrem_hint};
use super::receipts::Receipt;
use super::scripts::{Reply, SCRIPTS, evalsha};
use crate::ledger::{LedgerError, SettleOutcome, Settlement};

/// One settle call's arguments.
struct Call<'a> {
    user: UserKey,
    id: &'a RequestId,
    /// The user script's KEYS (meta, log, pend, record, usage).
    keys: [String; 6],
    /// The user script's ARGV.
    args: [String; 6],
    /// Images delivered (0 for a refund).
    images: u32,
    /// The final cost this settle reports, as the script stores it.
    cost: String,
}

impl<'a> Call<'a> {
    fn new(l: &RedisLedger, user: UserKey, id: &'a RequestId, how: Settlement) -> Self {
        let u = l.keys.user(user);
        let record = u.record(id);
        let (kind, images, cost) = match how {
            Settlement::Delivered {
                images,
                cost_micros,
            } => ("delivered", images, cost_micros),
            Settlement::Failed => ("failed", 0, 0),
        };
        let keys = finish_keys(&u, &record).map(str::to_owned);
        let cost = cost.to_string();
        Self {
            user,
            id,
            keys,
            args: [
                l.now_arg(),
                id.as_str().to_owned(),
                kind.to_owned(),
                images.to_string(),
                cost.clone(),
                l.policy().retention_ms.to_string(),
            ],
            images,
            cost,
        }
    }

    /// The user script as a pipelined command.
    fn eval(&self) -> redis::Cmd {
        evalsha(&SCRIPTS.settle, &self.keys, &self.args)
    }
}

/// Where and what the record says the bookings must be.
#[derive(Debug, PartialEq, Eq)]
struct Truth {
    day: i64,
    backend: String,
    nonce: String,
    cost: String,
    charged: u32,
    images: u32,
}

impl Truth {
    /// From a settle reply other than `unknown`.
    fn of(reply: &Reply) -> Result<Self, LedgerError> {
        Ok(Self {
            day: reply.int(2)?,
            backend: reply.text(3)?,
            cost: reply.text(4)?,
            nonce: reply.text(5)?,
            charged: reply.num(6)?,
            images: reply.num(7)?,
        })
    }

    /// What the day's bookings hold for this request.
    fn booking(&self) -> Booking<'_> {
        Booking {
            cost: &self.cost,
            credits: self.charged,
            images: self.images,
        }
    }
}

/// Settles; with `then_status`, also reads the user's quota after it
/// (`None` if that read failed: the settle's outcome stands).
pub(super) async fn settle(
    l: &RedisLedger,
    user: UserKey,
    id: &RequestId,
    how: Settlement,
    then_status: bool,
) -> Result<(SettleOutcome, Option<QuotaStatus>), LedgerError> {
    let call = Call::new(l, user, id, how);
    let done = match l.receipts.get(user, id) {
        Some(receipt) => match with_receipt(l, &call, &receipt, then_status).await? {
            Some(done) => done,
            // A script was missing: every step below is safe to repeat.
            None => (from_the_record(l, &call).await?, None),
        },
        None => (from_the_record(l, &call).await?, None),
    };
    // Kept on an error: the outbox's retry takes the same path.
    l.receipts.forget(user, id);
    let (outcome, status) = done;
    let status = match status {
        Some(status) => Some(status),
        None if then_status => super::admin::status(l, user).await.ok(),
        None => None,
    };
    Ok((outcome, status))
}

/// One round trip; a second only when the user step disagrees with what
/// was booked with it. `None` if Redis lacked a script.
async fn with_receipt(
    l: &RedisLedger,
    call: &Call<'_>,
    receipt: &Receipt,
    then_status: bool,
) -> Result<Option<(SettleOutcome, Option<QuotaStatus>)>, LedgerError> {
    let ours = Truth {
        day: receipt.day,
        backend: receipt.backend.clone(),
        nonce: receipt.nonce.clone(),
        cost: call.cost.clone(),
        charged: receipt.charge(call.images),
        images: call.images.min(receipt.images),
    };
    let spend = SpendRef::new(ours.day, ours.backend.clone(), call.user, call.id);
    let (book_keys, book_argv) = book_args(l, &spend, call.user, ours.booking(), Book::First);
    let booking = evalsha(&SCRIPTS.spend_book, &book_keys, &book_argv);
    let mut cmds = vec![
        call.eval(),
        zrem_hint(l, &lease_member(call.user, call.id, &ours.nonce)),
        booking,
    ];
    if then_status {
        cmds.push(status_cmd(l, call.user));
    }
    let Some(replies) = l.run_pipeline(cmds).await? else {
        return Ok(None);
    };
    let mut replies = replies.into_iter();
    let (Some(user_step), Some(_), Some(booked)) = (replies.next(), replies.next(), replies.next())
    else {
        return Err(LedgerError::Corrupt("short settle pipeline reply".into()));
    };
    // The settle stands whatever this says; a status that cannot be read
    // is read again on its own by the caller.
    let status = replies.next().and_then(|v| {
        let reply: Reply = redis::FromRedisValue::from_redis_value(v).ok()?;
        parse_status(&reply).ok()
    });
    let reply: Reply = redis::FromRedisValue::from_redis_value(user_step)
        .map_err(|e| LedgerError::Corrupt(format!("settle reply: {e}")))?;
    let booked_now = matches!(booked, redis::Value::Int(1));
    let tag = reply.text(0)?;
    if tag == "unknown" {
        // No reservation: take back what was booked for it, if this call did.
        if booked_now {
            book(l, &spend, call.user, ours.booking(), Book::Undo).await?;
        }
        return Ok(Some((SettleOutcome::Unknown, status)));
    }
    let truth = Truth::of(&reply)?;
    if tag != "done" || truth != ours {
        // Rare: a repeated or late settle, or a record that says otherwise.
        // Its bookings must show the record's final state.
        if booked_now && (truth.day, &truth.backend) != (ours.day, &ours.backend) {
            book(l, &spend, call.user, ours.booking(), Book::Undo).await?;
        }
        book_truth(l, call, &truth).await?;
    }
    Ok(Some((outcome(&tag, &reply)?, status)))
}

/// The user step, then the bookings from its reply: two round trips.
async fn from_the_record(l: &RedisLedger, call: &Call<'_>) -> Result<SettleOutcome, LedgerError> {
    let keys: Vec<&str> = call.keys.iter().map(String::as_str).collect();
    let args: Vec<&str> = call.args.iter().map(String::as_str).collect();
    let reply = l.run(&SCRIPTS.settle, &keys, &args).await?;
    let tag = reply.text(0)?;
    if tag == "unknown" {
        return Ok(SettleOutcome::Unknown);
    }
    book_truth(l, call, &Truth::of(&reply)?).await?;
    outcome(&tag, &reply)
}

/// Sets the bookings to the record's final state and drops its hint, in one
/// round trip. Idempotent (`force` changes nothing when they already match).
async fn book_truth(l: &RedisLedger, call: &Call<'_>, truth: &Truth) -> Result<(), LedgerError> {
    let spend = SpendRef::new(truth.day, truth.backend.clone(), call.user, call.id);
    let (keys, args) = book_args(l, &spend, call.user, truth.booking(), Book::Force);
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let hint = zrem_hint(l, &lease_member(call.user, call.id, &truth.nonce));
    l.run_with(Vec::new(), &SCRIPTS.spend_book, &keys, &args, vec![hint])
        .await?;
    Ok(())
}

/// Runs one `spend_book` on its own.
async fn book(
    l: &RedisLedger,
    spend: &SpendRef,
    user: UserKey,
    booking: Booking<'_>,
    mode: Book,
) -> Result<(), LedgerError> {
    let (keys, args) = book_args(l, spend, user, booking, mode);
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    l.run(&SCRIPTS.spend_book, &keys, &args).await?;
    Ok(())
}

fn outcome(tag: &str, reply: &Reply) -> Result<SettleOutcome, LedgerError> {
    Ok(match tag {
        "settled_before" => SettleOutcome::AlreadySettled,
        "refunded_before" => SettleOutcome::AlreadyRefunded,
        "done" => SettleOutcome::Settled {
            charged: reply.num(6)?,
            refunded: reply.num(8)?,
        },
        other => {
            return Err(LedgerError::Corrupt(format!(
                "unknown settle reply `{other}`"
            )));
        }
    })
}
