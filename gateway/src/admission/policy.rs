//! What a plan allows: the cheap checks that run before anything is counted.

use easel_shared::Denial;
use easel_shared::config::PlanConfig;
use easel_shared::render::RenderOptions;

/// Refuses a request the plan does not allow: too many images, a quality
/// the plan lacks, or an edit on a plan without editing. Pure: no state is
/// touched, so a refusal here costs the user nothing (not even a burst cell).
pub fn check(plan: &PlanConfig, options: &RenderOptions, is_edit: bool) -> Result<(), Denial> {
    if options.n == 0 || options.n > plan.max_n {
        return Err(Denial::PlanForbids {
            what: "n".to_owned(),
            max: Some(u32::from(plan.max_n)),
        });
    }
    if !plan.qualities.is_empty() && !plan.qualities.contains(&options.quality) {
        return Err(Denial::PlanForbids {
            what: "quality".to_owned(),
            max: None,
        });
    }
    if is_edit && !plan.allow_edit {
        return Err(Denial::PlanForbids {
            what: "edit".to_owned(),
            max: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use easel_shared::render::Quality;

    use super::*;

    fn options(n: u8, quality: Quality) -> RenderOptions {
        RenderOptions {
            n,
            quality,
            ..RenderOptions::default()
        }
    }

    #[test]
    fn each_rule_names_what_is_forbidden() {
        let plan = PlanConfig {
            max_n: 2,
            qualities: vec![Quality::Low, Quality::Medium],
            allow_edit: false,
            ..PlanConfig::default()
        };
        let what = |r: Result<(), Denial>| match r {
            Err(Denial::PlanForbids { what, max }) => Some((what, max)),
            _ => None,
        };
        assert_eq!(check(&plan, &options(2, Quality::Low), false), Ok(()));
        assert_eq!(
            what(check(&plan, &options(3, Quality::Low), false)),
            Some(("n".to_owned(), Some(2)))
        );
        assert_eq!(
            what(check(&plan, &options(0, Quality::Low), false)),
            Some(("n".to_owned(), Some(2)))
        );
        assert_eq!(
            what(check(&plan, &options(1, Quality::High), false)),
            Some(("quality".to_owned(), None))
        );
        assert_eq!(
            what(check(&plan, &options(1, Quality::Low), true)),
            Some(("edit".to_owned(), None))
        );
    }

    #[test]
    fn an_empty_quality_list_allows_all() {
        let plan = PlanConfig::default();
        assert_eq!(check(&plan, &options(1, Quality::High), true), Ok(()));
    }
}
