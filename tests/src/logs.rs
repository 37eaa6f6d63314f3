//! Capturing what the code under test logs, for tests that assert what is
//! (or is never) written: one buffer behind the process's global `tracing`
//! subscriber (TRACE and above, with the `log` bridge so teloxide's records
//! land there too), written by the binaries' own text layer, and a second
//! buffer written by their JSON layer (`log.format = "json"`), so a test
//! checks both formats at once.
//!
//! Process-wide on purpose: a thread-local subscriber (`set_default`) misses
//! records when tests on other threads hit the same call site first and
//! `tracing` caches that nobody listens. Tests in one binary share the
//! buffer, so an assertion looks for something only its own test logs
//! (an id), or for something no test may ever log (a secret).

use std::sync::{Arc, Mutex, OnceLock};

/// Everything logged by this process since the first [`Logs::process`].
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>, Buffer);

/// The JSON-format copy of the same records.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// The process's capture, installed on first use.
    pub fn process() -> &'static Logs {
        use easel_gateway::process::log_layer;
        use easel_shared::config::LogFormat;
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        static LOGS: OnceLock<Logs> = OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Logs::default();
            let (text, json) = (logs.clone(), logs.1.clone());
            // Fails only if another global subscriber came first; then
            // nothing is captured and the tests that look will say so.
            let _ = tracing_subscriber::registry()
                .with(tracing_subscriber::filter::LevelFilter::TRACE)
                .with(log_layer(LogFormat::Text, move || text.clone(), false))
                .with(log_layer(LogFormat::Json, move || json.clone(), false))
                .try_init();
            logs
        })
    }

    /// The same records as the JSON format wrote them, one object a line.
    pub fn json(&self) -> String {
        let bytes = (self.1).0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The text logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The logged lines that contain `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
