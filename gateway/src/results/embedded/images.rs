//! Image bytes in the embedded store: the blob table, an index ordered by
//! expiry (which is creation order while the retention stays the same), and
//! the running total the size cap is checked against. Every change to one
//! goes through here so the three never disagree.

use bytes::Bytes;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::unavailable;
use crate::results::{ImageData, ResultStoreError};

/// Blob name -> (expires at ms, MIME type, bytes).
pub(super) const BLOBS: TableDefinition<&str, (i64, &str, &[u8])> =
    TableDefinition::new("result_images");
/// (expires at ms, blob name) -> size: eviction and purge order.
pub(super) const BY_EXPIRY: TableDefinition<(i64, &str), u64> =
    TableDefinition::new("result_images_by_expiry");
/// `images` -> total bytes of all blobs.
pub(super) const TOTALS: TableDefinition<&str, u64> = TableDefinition::new("result_totals");

const TOTAL: &str = "images";

/// Writes one blob and counts it.
pub(super) fn put(
    txn: &WriteTransaction,
    name: &str,
    image: &ImageData,
    expires: i64,
) -> Result<(), ResultStoreError> {
    let size = image.bytes.len() as u64;
    let mut blobs = txn.open_table(BLOBS).map_err(unavailable)?;
    blobs
        .insert(name, (expires, image.mime.as_str(), image.bytes.as_ref()))
        .map_err(unavailable)?;
    let mut index = txn.open_table(BY_EXPIRY).map_err(unavailable)?;
    index.insert((expires, name), size).map_err(unavailable)?;
    add_total(txn, size, true)
}

/// Deletes one blob if present; `true` if it was.
pub(super) fn remove(txn: &WriteTransaction, name: &str) -> Result<bool, ResultStoreError> {
    let mut blobs = txn.open_table(BLOBS).map_err(unavailable)?;
    let removed = blobs.remove(name).map_err(unavailable)?.map(|guard| {
        let (expires, _, bytes) = guard.value();
        (expires, bytes.len() as u64)
    });
    let Some((expires, size)) = removed else {
        return Ok(false);
    };
    let mut index = txn.open_table(BY_EXPIRY).map_err(unavailable)?;
    index.remove((expires, name)).map_err(unavailable)?;
    add_total(txn, size, false)?;
    Ok(true)
}

/// Evicts the soonest-expiring (oldest) blobs until the total fits `cap`.
pub(super) fn evict_over(txn: &WriteTransaction, cap: u64) -> Result<u64, ResultStoreError> {
    let mut evicted = 0;
    while total(txn)? > cap {
        let oldest = {
            let index = txn.open_table(BY_EXPIRY).map_err(unavailable)?;
            let first = index.first().map_err(unavailable)?;
            first.map(|(key, _)| key.value().1.to_owned())
        };
        // An empty index with a positive total would loop forever: reset it.
        let Some(name) = oldest else {
            let mut totals = txn.open_table(TOTALS).map_err(unavailable)?;
            totals.insert(TOTAL, 0).map_err(unavailable)?;
            break;
        };
        remove(txn, &name)?;
        evicted += 1;
    }
    Ok(evicted)
}

/// Deletes every blob that expired at or before `now`.
pub(super) fn purge(txn: &WriteTransaction, now: i64) -> Result<u64, ResultStoreError> {
    let expired: Vec<String> = {
        let index = txn.open_table(BY_EXPIRY).map_err(unavailable)?;
        let range = index
            .range((i64::MIN, "")..(now.saturating_add(1), ""))
            .map_err(unavailable)?;
        range
            .map(|entry| entry.map(|(key, _)| key.value().1.to_owned()))
            .collect::<Result<_, _>>()
            .map_err(unavailable)?
    };
    for name in &expired {
        remove(txn, name)?;
    }
    Ok(expired.len() as u64)
}

/// A blob's bytes unless it is missing or expired by `now`.
pub(super) fn read(
    txn: &ReadTransaction,
    name: &str,
    now: i64,
) -> Result<Option<ImageData>, ResultStoreError> {
    let blobs = txn.open_table(BLOBS).map_err(unavailable)?;
    let Some(guard) = blobs.get(name).map_err(unavailable)? else {
        return Ok(None);
    };
    let (expires, mime, bytes) = guard.value();
    if expires <= now {
        return Ok(None);
    }
    Ok(Some(ImageData {
        mime: mime.to_owned(),
        bytes: Bytes::copy_from_slice(bytes),
    }))
}

fn total(txn: &WriteTransaction) -> Result<u64, ResultStoreError> {
    let totals = txn.open_table(TOTALS).map_err(unavailable)?;
    let value = totals.get(TOTAL).map_err(unavailable)?;
    Ok(value.map(|v| v.value()).unwrap_or(0))
}

fn add_total(txn: &WriteTransaction, size: u64, add: bool) -> Result<(), ResultStoreError> {
    let now = total(txn)?;
    let next = if add {
        now.saturating_add(size)
    } else {
        now.saturating_sub(size)
    };
    let mut totals = txn.open_table(TOTALS).map_err(unavailable)?;
    totals.insert(TOTAL, next).map_err(unavailable)?;
    Ok(())
}
