//! A shape on Gemini: which exact sizes the capability table allows, and
//! the `imageSize` tier an exact size asks for. Aspect ratios map to the
//! nearest listed ratio (`sizes::gemini_ratio`) and are never refused.

use easel_shared::config::ImageSizeTier;
use easel_shared::render::{Shape, SizeRefusal, SizeRule};

/// Refuses an exact size larger than the biggest tier, or wider than the
/// widest listed ratio allows. Without tiers the model has one size, and
/// an exact size only picks the ratio (never refused).
pub(super) fn check(
    shape: Shape,
    ratios: &[(u32, u32)],
    tiers: &[ImageSizeTier],
) -> Result<(), SizeRefusal> {
    let (Shape::Exact { width, height }, Some(largest)) = (shape, tiers.last()) else {
        return Ok(());
    };
    let edge = largest.long_edge();
    let widest = ratios
        .iter()
        .map(|&(w, h)| w.max(h).div_ceil(w.min(h).max(1)))
        .max()
        .unwrap_or(3);
    let rule = SizeRule {
        multiple_of: 1,
        max_edge: edge,
        max_ratio: widest,
        min_pixels: 1,
        max_pixels: u64::from(edge) * u64::from(edge),
    };
    rule.check(width, height)
}

/// The smallest tier whose long edge holds an exact size (the largest if
/// none does); `None` for ratios and auto, so the model's default applies.
pub(super) fn image_size(shape: Shape, tiers: &[ImageSizeTier]) -> Option<&'static str> {
    let Shape::Exact { width, height } = shape else {
        return None;
    };
    let long = width.max(height);
    tiers
        .iter()
        .find(|t| t.long_edge() >= long)
        .or(tiers.last())
        .map(|t| t.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRO: [ImageSizeTier; 3] = [
        ImageSizeTier::OneK,
        ImageSizeTier::TwoK,
        ImageSizeTier::FourK,
    ];

    #[test]
    fn exact_sizes_pick_the_smallest_tier_that_holds_them() {
        let exact = |width, height| Shape::Exact { width, height };
        assert_eq!(image_size(exact(1000, 800), &PRO), Some("1K"));
        assert_eq!(image_size(exact(2048, 1152), &PRO), Some("2K"));
        assert_eq!(image_size(exact(3000, 3000), &PRO), Some("4K"));
        assert_eq!(image_size(Shape::Aspect { w: 16, h: 9 }, &PRO), None);
        assert_eq!(image_size(exact(3000, 3000), &[]), None);
    }

    #[test]
    fn sizes_beyond_the_table_are_refused() {
        let ratios = [(1, 1), (21, 9)];
        let exact = |width, height| Shape::Exact { width, height };
        assert!(check(exact(4096, 4096), &ratios, &PRO).is_ok());
        let refused = check(exact(2048, 2048), &ratios, &PRO[..1]).unwrap_err();
        assert_eq!((refused.width, refused.height), (2048, 2048));
        assert!(refused.suggestion.is_some());
        assert!(
            check(exact(4000, 500), &ratios, &PRO).is_err(),
            "8:1 is not listed"
        );
        assert!(
            check(exact(9000, 9000), &ratios, &[]).is_ok(),
            "no tiers: one size"
        );
    }
}
