//! The job record as it waits in Redis: the ledger ticket and the whole
//! [`ImageJob`] (prepared inputs as base64), as JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use easel_shared::render::RenderOptions;
use easel_shared::results::Continuation;
use serde::{Deserialize, Serialize};

use super::QueueError;
use crate::admission::Ticket;
use crate::backend::ImageJob;
use crate::imaging::PreparedImage;
use crate::ledger::Reservation;

/// The largest job record queued (JSON): admission already bounds the
/// inputs (count, long side, re-encoded), so only a bug or a new input path
/// reaches it.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct TicketWire {
    reservation: Reservation,
    credits: u32,
    priority: u8,
}

#[derive(Serialize, Deserialize)]
struct ImageWire {
    mime: String,
    bytes: String,
    width: u32,
    height: u32,
}

#[derive(Serialize, Deserialize)]
struct JobWire {
    prompt: String,
    options: RenderOptions,
    inputs: Vec<ImageWire>,
    mask: Option<ImageWire>,
    user_tag: String,
    continuation: Option<Continuation>,
}

/// The ticket as JSON.
pub fn ticket_json(ticket: &Ticket) -> String {
    let wire = TicketWire {
        reservation: ticket.reservation.clone(),
        credits: ticket.credits,
        priority: ticket.priority,
    };
    serde_json::to_string(&wire).unwrap_or_default()
}

/// The job as JSON, refused over [`MAX_RECORD_BYTES`].
pub fn job_json(job: &ImageJob) -> Result<String, QueueError> {
    let wire = JobWire {
        prompt: job.prompt.clone(),
        options: job.options.clone(),
        inputs: job.inputs.iter().map(image_wire).collect(),
        mask: job.mask.as_ref().map(image_wire),
        user_tag: job.user_tag.clone(),
        continuation: job.continuation.clone(),
    };
    let json = serde_json::to_string(&wire).map_err(|e| QueueError::Corrupt(e.to_string()))?;
    if json.len() > MAX_RECORD_BYTES {
        return Err(QueueError::TooLarge(json.len()));
    }
    Ok(json)
}

/// Reads a ticket and a job back.
pub fn decode(ticket: &str, job: &str) -> Result<(Ticket, ImageJob), QueueError> {
    let corrupt = |e: serde_json::Error| QueueError::Corrupt(e.to_string());
    let t: TicketWire = serde_json::from_str(ticket).map_err(corrupt)?;
    let j: JobWire = serde_json::from_str(job).map_err(corrupt)?;
    let inputs = j
        .inputs
        .into_iter()
        .map(prepared)
        .collect::<Result<_, _>>()?;
    let mask = j.mask.map(prepared).transpose()?;
    let ticket = Ticket {
        reservation: t.reservation,
        credits: t.credits,
        priority: t.priority,
    };
    let job = ImageJob {
        prompt: j.prompt,
        options: j.options,
        inputs,
        mask,
        user_tag: j.user_tag,
        continuation: j.continuation,
    };
    Ok((ticket, job))
}

fn image_wire(image: &PreparedImage) -> ImageWire {
    ImageWire {
        mime: image.mime.to_owned(),
        bytes: STANDARD.encode(&image.bytes),
        width: image.width,
        height: image.height,
    }
}

fn prepared(wire: ImageWire) -> Result<PreparedImage, QueueError> {
    // Prepared images are only ever re-encoded to these three.
    let mime = match wire.mime.as_str() {
        "image/jpeg" => "image/jpeg",
        "image/png" => "image/png",
        "image/webp" => "image/webp",
        other => return Err(QueueError::Corrupt(format!("input type {other}"))),
    };
    let bytes = STANDARD
        .decode(wire.bytes.as_bytes())
        .map_err(|e| QueueError::Corrupt(e.to_string()))?;
    Ok(PreparedImage {
        bytes: bytes.into(),
        mime,
        width: wire.width,
        height: wire.height,
    })
}
