//! Admin read models computed from the ledger and the config, shared by the
//! admin API (`http/admin/reports.rs`) and the web dashboard: plans with
//! today's usage, and the access-code listing as CSV.

use std::collections::BTreeMap;

use easel_shared::admin::CodeInfo;
use easel_shared::config::Config;
use serde::Serialize;

use crate::ledger::{Ledger, LedgerError};

/// Users looked at for [`plan_usage`]: today's top list, capped so one
/// dashboard view stays a bounded number of ledger reads.
pub const PLAN_USAGE_USERS: usize = 500;

/// One configured plan and how it was used today (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlanUsage {
    /// The plan's name in the config.
    pub name: String,
    /// Whether new users get it (`access.default_plan`).
    pub is_default: bool,
    /// Users charged today who hold this plan now.
    pub users_today: u32,
    /// Credits those users were charged today.
    pub credits_today: u64,
}

/// Every configured plan with today's users and credits: today's top list
/// (at most [`PLAN_USAGE_USERS`] users), each user's plan read from the
/// ledger. A user whose plan is no longer configured counts nowhere.
pub async fn plan_usage(
    ledger: &dyn Ledger,
    config: &Config,
) -> Result<Vec<PlanUsage>, LedgerError> {
    let mut rows: BTreeMap<&str, PlanUsage> = config
        .plans
        .keys()
        .map(|name| {
            let row = PlanUsage {
                name: name.clone(),
                is_default: *name == config.access.default_plan,
                users_today: 0,
                credits_today: 0,
            };
            (name.as_str(), row)
        })
        .collect();
    for entry in ledger.top(1, PLAN_USAGE_USERS).await? {
        let status = ledger.status(entry.user).await?;
        let plan = status
            .plan
            .unwrap_or_else(|| config.access.default_plan.clone());
        if let Some(row) = rows.get_mut(plan.as_str()) {
            row.users_today += 1;
            row.credits_today = row.credits_today.saturating_add(entry.credits);
        }
    }
    Ok(rows.into_values().collect())
}

/// The code listing as CSV (RFC 4180: a header row, fields quoted when they
/// hold a comma, quote or line break). Never holds a plaintext code.
pub fn codes_csv(codes: &[CodeInfo]) -> String {
    let mut out = String::from(
        "id,credits,plan,plan_days,max_uses,uses,revoked,redeem_by,created_at,created_by,note\r\n",
    );
    for c in codes {
        let fields = [
            c.id.clone(),
            c.spec.credits.to_string(),
            c.spec.plan.clone().unwrap_or_default(),
            c.spec.plan_days.to_string(),
            c.spec.max_uses.to_string(),
            c.uses.to_string(),
            c.revoked.to_string(),
            c.spec
                .redeem_by
                .map(|t| t.0.to_string())
                .unwrap_or_default(),
            c.created_at.0.to_string(),
            c.created_by.to_string(),
            c.spec.note.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field, quoted when needed. A field a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@` first) gets a leading `'` (notes are free text).
fn csv_field(raw: &str) -> String {
    let text = if raw.starts_with(['=', '+', '-', '@']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_shared::UnixMillis;
    use easel_shared::admin::{Actor, CodeSpec};

    fn code(note: &str) -> CodeInfo {
        CodeInfo {
            id: "ABCD".into(),
            spec: CodeSpec {
                credits: 5,
                plan: None,
                plan_days: 0,
                max_uses: 3,
                redeem_by: None,
                note: note.into(),
            },
            uses: 1,
            revoked: false,
            created_at: UnixMillis(1000),
            created_by: Actor::Api,
        }
    }

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let csv = codes_csv(&[code("sold to \"Ann\", batch 2"), code("=HYPERLINK(1)")]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("id,credits,plan"));
        assert_eq!(
            lines[1],
            "ABCD,5,,0,3,1,false,,1000,api,\"sold to \"\"Ann\"\", batch 2\""
        );
        assert_eq!(lines[2], "ABCD,5,,0,3,1,false,,1000,api,'=HYPERLINK(1)");
    }
}
