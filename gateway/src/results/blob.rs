//! How a result's images are laid out in either store: one blob per image,
//! named `<id>:o:<n>` (output n) or `<id>:i:<n>` (the upload at input
//! position n), each with the same expiry, counted against the size cap.

use std::time::Duration;

use easel_shared::UnixMillis;
use easel_shared::results::{ImageMeta, InputRef, ResultId, ResultRecord};
use sha2::{Digest, Sha256};

use super::{ImageData, NewInput, NewResult, ResultStoreError};

/// One image to write.
pub(super) struct Blob {
    /// Its name (see the module doc).
    pub(super) name: String,
    /// Its type and bytes.
    pub(super) image: ImageData,
}

impl Blob {
    /// Bytes it adds to the total.
    pub(super) fn size(&self) -> u64 {
        self.image.bytes.len() as u64
    }
}

/// A new result split into its record and its blobs.
pub(super) struct Prepared {
    /// The record as it will be stored (no messages yet).
    pub(super) record: ResultRecord,
    /// Images to write, all expiring at `record.images_until`.
    pub(super) blobs: Vec<Blob>,
}

/// Refuses a result whose images alone exceed the cap: storing it would
/// evict everything else and then itself.
pub(super) fn check_size(new: &NewResult, cap: u64) -> Result<(), ResultStoreError> {
    let uploads = new.inputs.iter().map(|i| match i {
        NewInput::Upload(img) => img.bytes.len() as u64,
        NewInput::Output { .. } => 0,
    });
    let outputs = new.outputs.iter().map(|o| o.bytes.len() as u64);
    let size: u64 = uploads.chain(outputs).sum();
    if size > cap {
        return Err(ResultStoreError::TooLarge { size, cap });
    }
    Ok(())
}

/// Splits `new` into the record and blobs stored under `id`.
pub(super) fn prepare(
    new: NewResult,
    id: ResultId,
    now: UnixMillis,
    retention: Duration,
) -> Prepared {
    let mut blobs = Vec::new();
    let inputs = new
        .inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| match input {
            NewInput::Upload(image) => {
                let meta = meta(&image);
                blobs.push(Blob {
                    name: input_name(&id, i),
                    image,
                });
                InputRef::Stored { image: meta }
            }
            NewInput::Output { result, index } => InputRef::Output { result, index },
        })
        .collect();
    let outputs = new
        .outputs
        .into_iter()
        .enumerate()
        .map(|(i, image)| {
            let meta = meta(&image);
            blobs.push(Blob {
                name: output_name(&id, i),
                image,
            });
            meta
        })
        .collect();
    let record = ResultRecord {
        id,
        user: new.user,
        request: new.request,
        prompt: new.prompt,
        options: new.options,
        inputs,
        parent: new.parent,
        created_at: now,
        images_until: now.plus(retention),
        outputs,
        messages: Vec::new(),
        continuation: new.continuation,
    };
    Prepared { record, blobs }
}

/// The blob of output `index` of result `id`.
pub(super) fn output_name(id: &ResultId, index: usize) -> String {
    format!("{id}:o:{index}")
}

/// The blob of the upload at input position `index` of result `id`.
fn input_name(id: &ResultId, index: usize) -> String {
    format!("{id}:i:{index}")
}

/// The blobs holding a record's inputs, in input order (references point
/// into other results).
pub(super) fn input_blobs(record: &ResultRecord) -> Vec<String> {
    record
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| match input {
            InputRef::Stored { .. } => input_name(&record.id, i),
            InputRef::Output { result, index } => output_name(result, usize::from(*index)),
        })
        .collect()
}

/// The blobs a record owns (its outputs and uploads), for deletion.
pub(super) fn own_blobs(record: &ResultRecord) -> Vec<String> {
    let uploads = record
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, input)| matches!(input, InputRef::Stored { .. }))
        .map(|(i, _)| input_name(&record.id, i));
    let outputs = (0..record.outputs.len()).map(|i| output_name(&record.id, i));
    uploads.chain(outputs).collect()
}

/// Type, size and SHA-256 of an image.
fn meta(image: &ImageData) -> ImageMeta {
    let digest = Sha256::digest(&image.bytes);
    let sha256 = crate::digest::hex(&digest);
    ImageMeta {
        mime: image.mime.clone(),
        size: image.bytes.len() as u64,
        sha256,
    }
}
