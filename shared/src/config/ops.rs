//! Operations settings: the log format and the `/metrics` token. The
//! shutdown grace lives with the runner (`runner.shutdown_grace`).

use serde::{Deserialize, Serialize};

/// How the process writes its log lines (`[log]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` (default, for people) or `json` (one JSON object per line,
    /// for log collectors). `EASEL_LOG_FORMAT` overrides it.
    pub format: LogFormat,
}

/// The shape of a log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines (colours only on a terminal).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields`, `target`, `span`.
    Json,
}
