//! The daily model check in the gateway's upkeep: re-checks every
//! backend's model once per day of the gateway's clock, tells the admins
//! 14 days and 1 day before an announced shutdown (once each per process),
//! and takes a backend out (or back in) when its model goes (or returns).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use easel_shared::config::BackendsConfig;
use easel_shared::date::CalendarDate;
use easel_shared::notice::{AdminNotice, ModelRef};

use super::{ModelReport, ModelVerdict, check_one, report};
use crate::backend::BackendChain;
use crate::notices::AdminNotices;

/// Days before a shutdown when the admins are told.
pub const WARN_DAYS: [i64; 2] = [14, 1];

/// The model check the upkeep runs; one per gateway.
pub struct ModelWatch {
    chain: Arc<BackendChain>,
    config: BackendsConfig,
    notices: AdminNotices,
    /// (backend index, warning day) pairs already told.
    told: Mutex<HashSet<(usize, i64)>>,
    /// The last day checked, so a restarted upkeep loop does not repeat it.
    last_day: Mutex<Option<CalendarDate>>,
}

impl ModelWatch {
    /// Watches `chain`, built from `config` (same order).
    pub fn new(chain: Arc<BackendChain>, config: BackendsConfig, notices: AdminNotices) -> Self {
        Self {
            chain,
            config,
            notices,
            told: Mutex::default(),
            last_day: Mutex::default(),
        }
    }

    /// Checks every model if `today` was not checked yet; returns the
    /// reports (empty when the day was already done).
    pub async fn tick(&self, today: CalendarDate) -> Vec<ModelReport> {
        {
            let mut last = lock(&self.last_day);
            if last.is_some_and(|d| d >= today) {
                return Vec::new();
            }
            *last = Some(today);
        }
        self.check(today).await
    }

    /// Checks every model now and acts on what it finds.
    pub async fn check(&self, today: CalendarDate) -> Vec<ModelReport> {
        let mut reports = Vec::with_capacity(self.config.chain.len());
        for (i, (b, backend)) in self
            .config
            .chain
            .iter()
            .zip(self.chain.backends())
            .enumerate()
        {
            let verdict = check_one(&**backend, b, &self.config, today).await;
            let r = report(i, b, verdict);
            self.act(i, &r, today);
            reports.push(r);
        }
        reports
    }

    fn act(&self, i: usize, r: &ModelReport, today: CalendarDate) {
        let model = ModelRef {
            backend: r.backend.clone(),
            config_key: r.config_key.clone(),
            model: r.model.clone(),
        };
        match &r.verdict {
            ModelVerdict::Available { shutdown } => {
                self.chain.bring_back(i);
                let Some(day) = *shutdown else { return };
                let days_left = today.days_until(day);
                // Every warning day already reached is told by one notice.
                let due: Vec<i64> = {
                    let mut told = lock(&self.told);
                    WARN_DAYS
                        .into_iter()
                        .filter(|w| days_left <= *w && told.insert((i, *w)))
                        .collect()
                };
                if !due.is_empty() {
                    self.notices.send(AdminNotice::ModelRetiring {
                        model,
                        shutdown: day,
                        days_left,
                    });
                }
            }
            ModelVerdict::Unknown { .. } | ModelVerdict::Retired { .. } => {
                tracing::error!(backend = %r.backend, key = %r.config_key,
                    problem = ?r.blocks_start(), "daily model check: model gone");
                self.chain.take_out(i);
            }
            ModelVerdict::KeyRefused(why) => tracing::error!(backend = %r.backend,
                reason = %why, "daily model check: the provider refused the API key"),
            ModelVerdict::Unreachable(why) => tracing::warn!(backend = %r.backend,
                reason = %why, "daily model check: provider unreachable"),
            ModelVerdict::Skipped => {}
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
