//! What a frontend asks the gateway to make: a prompt, options and input
//! images, identified by an id derived from the platform event.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::ids::{RequestId, UserKey};
use crate::render::RenderOptions;
use crate::results::ResultId;

/// One image request from a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Derived from the platform event (a redelivery is the same request, charged once).
    pub id: RequestId,
    /// Who asks and pays.
    pub user: UserKey,
    /// The user's words, whole.
    pub prompt: String,
    /// Shape, quality, background, format, n.
    pub options: RenderOptions,
    /// Images to edit, in order (empty: generate from text).
    pub inputs: Vec<InputImage>,
    /// The result this refines or varies (lineage).
    pub parent: Option<ResultId>,
    /// A mask for the first input: a PNG of the same picture, transparent
    /// where it should change (ignored without inputs).
    pub mask: Option<Bytes>,
}

impl Request {
    /// Whether this edits images (plans may forbid editing).
    pub fn is_edit(&self) -> bool {
        !self.inputs.is_empty()
    }
}

/// What a frontend knows about a request before it downloads or decodes
/// anything: enough for the gateway to refuse it cheaply
/// (`Gateway::precheck`). Uploads count by number only; their bytes are
/// not fetched yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precheck {
    /// The id the request will be submitted with (the burst cell taken
    /// here is held for it).
    pub id: RequestId,
    /// Who asks and pays.
    pub user: UserKey,
    /// Shape, quality, background, format, n.
    pub options: RenderOptions,
    /// Input images the request will carry: uploads still to download plus
    /// earlier results.
    pub inputs: usize,
}

impl Precheck {
    /// The summary of `request` once `uploads` more images are added to it.
    pub fn of(request: &Request, uploads: usize) -> Self {
        Self {
            id: request.id.clone(),
            user: request.user,
            options: request.options.clone(),
            inputs: request.inputs.len() + uploads,
        }
    }

    /// Whether this edits images (plans may forbid editing).
    pub fn is_edit(&self) -> bool {
        self.inputs > 0
    }
}

/// An input image: freshly uploaded bytes, or an earlier result's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputImage {
    /// Bytes the user uploaded (any format; the gateway decodes them safely).
    Upload {
        /// The file as downloaded from the platform.
        bytes: Bytes,
    },
    /// An output of a stored result (a reply to a result, Vary).
    Output {
        /// The stored result.
        result: ResultId,
        /// Which of its images (0-based).
        index: u8,
    },
    /// An input of a stored result, as it was sent upstream (Again of an edit).
    Input {
        /// The stored result.
        result: ResultId,
        /// Which of its inputs (0-based).
        index: u8,
    },
}
