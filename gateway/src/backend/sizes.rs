//! One place for what each model family accepts as a shape: the OpenAI
//! `size` (the three fixed sizes, or any size within a [`SizeRule`] for
//! models like gpt-image-2) and Gemini's `aspectRatio` list.

use easel_shared::render::{Shape, SizeRefusal, SizeRule};

/// The fixed sizes every GPT image model accepts.
pub const FIXED_SIZES: [(u32, u32); 3] = [(1024, 1024), (1536, 1024), (1024, 1536)];

/// The aspect ratios every current Gemini image model accepts (Google's
/// image-generation docs and `ImageConfig.aspectRatio`, read 2026-12-05),
/// used for a Gemini model the capability table lists no ratios for (the
/// built-in entries list their own, wider ones for gemini-3.1-flash-image).
pub const GEMINI_RATIOS: [(u32, u32); 10] = [
    (1, 1),
    (2, 3),
    (3, 2),
    (3, 4),
    (4, 3),
    (4, 5),
    (5, 4),
    (9, 16),
    (16, 9),
    (21, 9),
];

/// Refuses an exact size an arbitrary-size model would refuse. Aspect
/// ratios always map to a valid size, and fixed-size models take the
/// nearest of their three, so only `--size` on such a model can fail.
pub fn check_exact(shape: Shape, rule: Option<&SizeRule>) -> Result<(), SizeRefusal> {
    match (shape, rule) {
        (Shape::Exact { width, height }, Some(rule)) => rule.check(width, height),
        _ => Ok(()),
    }
}

/// The OpenAI `size` for a shape: within `rule` for arbitrary-size models
/// (`None`: only the three fixed sizes).
pub fn openai_size(shape: Shape, rule: Option<&SizeRule>) -> String {
    let found = match (shape, rule) {
        (Shape::Auto, _) => None,
        (Shape::Aspect { w, h }, Some(rule)) => rule.for_aspect(u32::from(w), u32::from(h)),
        (Shape::Aspect { w, h }, None) => nearest_fixed(u32::from(w), u32::from(h)),
        // Checked before admission; `nearest` only guards a config change since.
        (Shape::Exact { width, height }, Some(rule)) if rule.allows(width, height) => {
            Some((width, height))
        }
        (Shape::Exact { width, height }, Some(rule)) => rule.nearest(width, height),
        (Shape::Exact { width, height }, None) => nearest_fixed(width, height),
    };
    found.map_or_else(|| "auto".to_owned(), |(w, h)| format!("{w}x{h}"))
}

/// The fixed size whose ratio is nearest on a log scale (16:9 -> 1536x1024).
fn nearest_fixed(w: u32, h: u32) -> Option<(u32, u32)> {
    nearest_ratio(w, h, &FIXED_SIZES)
}

/// Gemini's `aspectRatio` for a shape: the nearest of `ratios` (empty: the
/// built-in list), or none to let the model choose.
pub fn gemini_ratio(shape: Shape, ratios: &[(u32, u32)]) -> Option<String> {
    let (w, h) = match shape {
        Shape::Auto => return None,
        Shape::Aspect { w, h } => (u32::from(w), u32::from(h)),
        Shape::Exact { width, height } => (width, height),
    };
    let ratios = if ratios.is_empty() {
        &GEMINI_RATIOS[..]
    } else {
        ratios
    };
    nearest_ratio(w, h, ratios).map(|(a, b)| format!("{a}:{b}"))
}

/// The candidate whose width/height ratio is nearest to `w:h` on a log scale.
fn nearest_ratio(w: u32, h: u32, candidates: &[(u32, u32)]) -> Option<(u32, u32)> {
    if w == 0 || h == 0 {
        return None;
    }
    let want = (f64::from(w) / f64::from(h)).ln();
    let dist = |(a, b): (u32, u32)| (f64::from(a) / f64::from(b.max(1))).ln() - want;
    candidates
        .iter()
        .copied()
        .filter(|(a, b)| *a > 0 && *b > 0)
        .min_by(|x, y| dist(*x).abs().total_cmp(&dist(*y).abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aspect(w: u16, h: u16) -> Shape {
        Shape::Aspect { w, h }
    }

    fn exact(width: u32, height: u32) -> Shape {
        Shape::Exact { width, height }
    }

    #[test]
    fn fixed_size_models_take_the_nearest_of_three() {
        assert_eq!(openai_size(Shape::Auto, None), "auto");
        assert_eq!(openai_size(aspect(16, 9), None), "1536x1024");
        assert_eq!(openai_size(aspect(9, 16), None), "1024x1536");
        assert_eq!(openai_size(aspect(6, 5), None), "1024x1024");
        assert_eq!(openai_size(aspect(0, 4), None), "auto");
        assert_eq!(openai_size(exact(1920, 1080), None), "1536x1024");
        assert!(check_exact(exact(1920, 1080), None).is_ok());
    }

    #[test]
    fn gpt_image_2_gets_valid_sizes_for_ratios_and_refuses_bad_exact_ones() {
        let rule = SizeRule::default();
        assert_eq!(openai_size(aspect(16, 9), Some(&rule)), "1536x864");
        assert_eq!(openai_size(aspect(21, 9), Some(&rule)), "1536x656");
        assert_eq!(openai_size(aspect(1, 1), Some(&rule)), "1024x1024");
        assert_eq!(openai_size(exact(3840, 2160), Some(&rule)), "3840x2160");
        let refused = check_exact(exact(1920, 1080), Some(&rule)).unwrap_err();
        assert_eq!((refused.width, refused.height), (1920, 1080));
        assert!(check_exact(exact(2048, 1152), Some(&rule)).is_ok());
        assert!(check_exact(aspect(100, 1), Some(&rule)).is_ok());
    }

    #[test]
    fn gemini_ratios_include_the_wide_and_newer_ones() {
        assert_eq!(gemini_ratio(Shape::Auto, &[]), None);
        assert_eq!(gemini_ratio(aspect(16, 9), &[]).as_deref(), Some("16:9"));
        assert_eq!(gemini_ratio(aspect(21, 9), &[]).as_deref(), Some("21:9"));
        assert_eq!(gemini_ratio(aspect(5, 4), &[]).as_deref(), Some("5:4"));
        assert_eq!(
            gemini_ratio(exact(2560, 1080), &[]).as_deref(),
            Some("21:9")
        );
        // 4:1 only where configured (gemini-3.1-flash-image).
        assert_eq!(gemini_ratio(aspect(4, 1), &[]).as_deref(), Some("21:9"));
        let flash = [(1, 1), (16, 9), (21, 9), (4, 1), (8, 1)];
        assert_eq!(gemini_ratio(aspect(4, 1), &flash).as_deref(), Some("4:1"));
    }
}
