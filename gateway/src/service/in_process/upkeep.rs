//! The in-process gateway's background upkeep: the reaper, the purge of
//! expired result images, and the daily model check.

use easel_shared::date::CalendarDate;

use super::InProcessGateway;

/// How often expired result images are purged.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// How often the upkeep looks whether the gateway's day changed (the
/// model check itself runs once per day).
const MODEL_CHECK_POLL: std::time::Duration = std::time::Duration::from_secs(3600);

impl InProcessGateway {
    /// Runs the background upkeep until `stop`: the reaper (refunds of
    /// vanished workers), the purge of expired result images, and the
    /// daily model check (once per day of the gateway's clock).
    pub fn maintain(
        &self,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let reaper = crate::server::reap_forever(
            self.ledger.clone(),
            self.config.clone(),
            stop.clone(),
            self.metrics.clone(),
        );
        let results = self.results.clone();
        let (watch, clock) = (self.watch.clone(), self.clock.clone());
        tokio::spawn(async move {
            let models = async {
                let Some(watch) = watch else {
                    return std::future::pending().await;
                };
                loop {
                    watch.tick(CalendarDate::of(clock.now())).await;
                    tokio::time::sleep(MODEL_CHECK_POLL).await;
                }
            };
            let purge = async {
                loop {
                    tokio::time::sleep(PURGE_EVERY).await;
                    match results.purge_expired().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(images = n, "purged expired result images"),
                        Err(e) => tracing::warn!(error = %e, "result purge failed; will retry"),
                    }
                }
            };
            tokio::select! {
                () = reaper => {}
                () = purge => {}
                () = models => {}
                () = stop.cancelled() => {}
            }
        })
    }
}
