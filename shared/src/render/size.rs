//! The pixel sizes a model with arbitrary sizes accepts (a [`SizeRule`]),
//! checked before any upstream call so a bad `--size` costs nothing, and
//! the valid size an aspect ratio (`--ar 16:9`) maps to.

use serde::{Deserialize, Serialize};

/// Which `WxH` sizes a model accepts. The defaults are gpt-image-2's rule as
/// its providers document it (read 2026-12-05): both edges multiples of 16,
/// long edge <= 3840, long:short <= 3:1, 655,360 to 8,294,400 pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SizeRule {
    /// Both edges must be multiples of this.
    pub multiple_of: u32,
    /// Longest edge in pixels.
    pub max_edge: u32,
    /// Most long:short ratio (3 means 3:1).
    pub max_ratio: u32,
    /// Fewest total pixels.
    pub min_pixels: u64,
    /// Most total pixels.
    pub max_pixels: u64,
}

impl Default for SizeRule {
    fn default() -> Self {
        Self {
            multiple_of: 16,
            max_edge: 3840,
            max_ratio: 3,
            min_pixels: 655_360,
            max_pixels: 8_294_400,
        }
    }
}

/// The long edge an aspect ratio is drawn at (square: 1024, the cheapest tier).
const ASPECT_LONG_EDGE: u32 = 1536;

/// A size the model would refuse, with a valid one near it (for the reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeRefusal {
    /// Width asked for.
    pub width: u32,
    /// Height asked for.
    pub height: u32,
    /// The rule it breaks.
    pub rule: SizeRule,
    /// A valid size with about the same shape, if one exists.
    pub suggestion: Option<(u32, u32)>,
}

impl SizeRule {
    /// Whether `width`x`height` follows the rule.
    pub fn allows(&self, width: u32, height: u32) -> bool {
        let m = self.multiple_of.max(1);
        let (long, short) = (width.max(height), width.min(height));
        let pixels = u64::from(width) * u64::from(height);
        short > 0
            && width.is_multiple_of(m)
            && height.is_multiple_of(m)
            && long <= self.max_edge
            && u64::from(long) <= u64::from(short) * u64::from(self.max_ratio.max(1))
            && (self.min_pixels..=self.max_pixels).contains(&pixels)
    }

    /// `Ok` if the rule allows the size, else the refusal with a suggestion.
    pub fn check(&self, width: u32, height: u32) -> Result<(), SizeRefusal> {
        if self.allows(width, height) {
            return Ok(());
        }
        Err(SizeRefusal {
            width,
            height,
            rule: *self,
            suggestion: self.nearest(width, height),
        })
    }

    /// The valid size an aspect ratio maps to: long edge 1536 (square
    /// 1024x1024), the ratio clamped to the rule's, edges on the grid.
    /// `None` only for a rule that allows nothing near that.
    pub fn for_aspect(&self, w: u32, h: u32) -> Option<(u32, u32)> {
        if w == 0 || h == 0 {
            return None;
        }
        let found = if w == h {
            (1024, 1024)
        } else {
            let ratio = (f64::from(w.max(h)) / f64::from(w.min(h))).min(f64::from(self.max_ratio));
            let long = self.round_down(ASPECT_LONG_EDGE.min(self.max_edge));
            let short = self.round(f64::from(long) / ratio);
            if w > h { (long, short) } else { (short, long) }
        };
        if self.allows(found.0, found.1) {
            Some(found)
        } else {
            self.nearest(found.0, found.1)
        }
    }

    /// A valid size with the shape of `width`x`height` as nearly as the rule allows.
    pub fn nearest(&self, width: u32, height: u32) -> Option<(u32, u32)> {
        if width == 0 || height == 0 {
            return None;
        }
        let wide = width >= height;
        let mut long = f64::from(width.max(height));
        let mut short = f64::from(width.min(height));
        let max_ratio = f64::from(self.max_ratio.max(1));
        if long / short > max_ratio {
            short = long / max_ratio;
        }
        // Scale into the pixel and edge bounds, keeping the shape.
        let pixels = long * short;
        let mut scale = 1.0f64;
        if pixels > self.max_pixels as f64 {
            scale = (self.max_pixels as f64 / pixels).sqrt();
        } else if pixels < self.min_pixels as f64 {
            scale = (self.min_pixels as f64 / pixels).sqrt();
        }
        scale = scale.min(f64::from(self.max_edge) / long);
        long *= scale;
        short *= scale;
        // Rounding may step just outside a bound: try the grid points around.
        let m = i64::from(self.multiple_of.max(1));
        let (l0, s0) = (self.round(long) as i64, self.round(short) as i64);
        let mut best: Option<(f64, u32, u32)> = None;
        for dl in -2..=2 {
            for ds in -2..=2 {
                let (l, s) = (l0 + dl * m, s0 + ds * m);
                let (Ok(l), Ok(s)) = (u32::try_from(l), u32::try_from(s)) else {
                    continue;
                };
                let (w, h) = if wide { (l, s) } else { (s, l) };
                if !self.allows(w, h) {
                    continue;
                }
                let miss = (f64::from(l) - long).abs() + (f64::from(s) - short).abs();
                if best.is_none_or(|b| miss < b.0) {
                    best = Some((miss, w, h));
                }
            }
        }
        best.map(|(_, w, h)| (w, h))
    }

    fn round(&self, v: f64) -> u32 {
        let m = f64::from(self.multiple_of.max(1));
        // Saturating float-to-int cast; at least one grid step.
        (((v / m).round() as u32).max(1)) * self.multiple_of.max(1)
    }

    fn round_down(&self, v: u32) -> u32 {
        let m = self.multiple_of.max(1);
        (v / m).max(1) * m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt_image_2_sizes_follow_the_reported_rule() {
        let rule = SizeRule::default();
        for (w, h) in [
            (1024, 1024),
            (1536, 1024),
            (3840, 2160),
            (2160, 3840),
            (1024, 768),
        ] {
            assert!(rule.allows(w, h), "{w}x{h}");
        }
        // Off the grid, too long, too thin, too few and too many pixels.
        for (w, h) in [
            (1920, 1080),
            (4096, 1024),
            (3072, 1008),
            (512, 512),
            (3840, 3840),
        ] {
            assert!(!rule.allows(w, h), "{w}x{h}");
        }
    }

    #[test]
    fn every_aspect_ratio_maps_to_an_allowed_size() {
        let rule = SizeRule::default();
        assert_eq!(rule.for_aspect(16, 9), Some((1536, 864)));
        assert_eq!(rule.for_aspect(9, 16), Some((864, 1536)));
        assert_eq!(rule.for_aspect(1, 1), Some((1024, 1024)));
        assert_eq!(rule.for_aspect(21, 9), Some((1536, 656)));
        assert_eq!(rule.for_aspect(100, 1), Some((1536, 512)), "clamped to 3:1");
        for w in 1..=100 {
            for h in 1..=100 {
                let (sw, sh) = rule.for_aspect(w, h).expect("a size");
                assert!(rule.allows(sw, sh), "{w}:{h} -> {sw}x{sh}");
                assert_eq!(sw > sh, w > h, "{w}:{h} keeps its orientation");
            }
        }
    }

    #[test]
    fn a_refused_size_comes_with_a_valid_suggestion() {
        let rule = SizeRule::default();
        let refusal = rule.check(1920, 1080).unwrap_err();
        assert_eq!(refusal.suggestion, Some((1920, 1072)));
        for (w, h) in [(64, 64), (4096, 4096), (4096, 64), (64, 4096), (1000, 999)] {
            let (sw, sh) = rule.check(w, h).unwrap_err().suggestion.expect("some size");
            assert!(rule.allows(sw, sh), "{w}x{h} -> {sw}x{sh}");
        }
        assert!(rule.check(2048, 1152).is_ok());
    }
}
