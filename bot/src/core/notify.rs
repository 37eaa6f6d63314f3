//! The one rule for telling admins what the gateway raises (budget reached,
//! a model retiring or gone): every notice goes to each configured admin of
//! the adapter's platform, once, in that admin's saved language. Adapters
//! only supply how to send a private message.

use std::future::Future;
use std::sync::Arc;

use easel_gateway::service::Gateway;
use easel_shared::{Platform, UserKey};

use super::render;
use crate::i18n::Locale;

/// Forwards the gateway's admin notices to `admins` on `platform` until the
/// gateway goes away (only a weak reference is kept, so a stopped gateway
/// is dropped). `send` delivers one private message; a failure is logged by
/// the adapter and does not stop the forwarding.
pub fn forward<F, Fut>(
    gateway: &Arc<dyn Gateway>,
    admins: Vec<UserKey>,
    platform: Platform,
    send: F,
) -> impl Future<Output = ()> + Send + 'static
where
    F: Fn(UserKey, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let admins: Vec<UserKey> = admins
        .into_iter()
        .filter(|a| a.platform == platform)
        .collect();
    let mut notices = gateway.admin_notices();
    let gateway = Arc::downgrade(gateway);
    async move {
        while let Some(notice) = notices.recv().await {
            for admin in &admins {
                let Some(port) = gateway.upgrade() else {
                    return;
                };
                let saved = port.settings(*admin).await.ok().and_then(|s| s.language);
                drop(port);
                let locale = Locale::for_user(saved.as_deref(), None);
                send(*admin, render::admin::notice(locale, &notice)).await;
            }
        }
    }
}
