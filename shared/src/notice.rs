//! What the gateway tells a deployment's admins in chat: one enum, raised
//! by the gateway (budget reached, a model retiring or gone) and forwarded
//! by every chat adapter to its admins in the core's words.

use serde::{Deserialize, Serialize};

use crate::date::CalendarDate;

/// Which configured backend a model notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelRef {
    /// The backend's configured name.
    pub backend: String,
    /// Where it is configured, e.g. `backends.chain[0].model`.
    pub config_key: String,
    /// The model name.
    pub model: String,
}

/// Something every admin should hear about, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum AdminNotice {
    /// Today's (UTC) spend cap was reached: new requests are refused until midnight.
    BudgetReached {
        /// The configured cap in micro-dollars.
        cap_micros: u64,
    },
    /// A configured model has an announced shutdown date ahead.
    ModelRetiring {
        /// The model and where it is configured.
        model: ModelRef,
        /// The announced shutdown day (UTC).
        shutdown: CalendarDate,
        /// Whole days from today to the shutdown.
        days_left: i64,
    },
    /// The provider says the model does not exist (retired, or the key lost
    /// access): the backend is skipped and the next one serves.
    ModelGone {
        /// The model and where it is configured.
        model: ModelRef,
        /// Image models the backend's key can use instead (may be empty).
        usable: Vec<String>,
    },
}
