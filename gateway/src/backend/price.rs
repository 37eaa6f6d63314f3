//! What a call costs the operator, in integer micro-dollars: from the
//! provider's token `usage` when the model has token prices, else from the
//! per-image table by quality and size.

use easel_shared::config::ModelPrice;
use easel_shared::render::Quality;

/// Token counts a provider reported for one call (the one type: backends,
/// prices and the `Done` event share it).
pub use easel_shared::job::Usage;

/// A model's prices, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceTable {
    price: ModelPrice,
}

impl PriceTable {
    /// Wraps the configured prices of one model (absent: everything costs 0).
    pub fn new(price: Option<ModelPrice>) -> Self {
        Self {
            price: price.unwrap_or_default(),
        }
    }

    /// Cost of one image of this quality and size (`1024x1024`, `auto`, ...).
    ///
    /// Unknown sizes and `auto` take the dearest known entry, so estimates
    /// held against the spend cap err on the safe side.
    pub fn per_image(&self, quality: Quality, size: &str) -> u64 {
        let table = &self.price.per_image;
        let dearest = |row: &std::collections::BTreeMap<String, u64>| row.values().max().copied();
        let found = match table.get(&quality) {
            Some(row) => row.get(size).copied().or_else(|| dearest(row)),
            // `auto` (or an unpriced quality) may pick any tier: take the dearest.
            None => table.values().filter_map(dearest).max(),
        };
        found.unwrap_or(self.price.default_per_image)
    }

    /// The up-front estimate of a call: `n` images of this quality and size,
    /// plus `inputs` input images at `per_input_image`.
    pub fn estimate(&self, quality: Quality, size: &str, n: u64, inputs: usize) -> u64 {
        self.per_image(quality, size)
            .saturating_mul(n)
            .saturating_add(self.price.per_input_image.saturating_mul(inputs as u64))
    }

    /// Cost of a finished call: tokens when priced and reported, else per image.
    pub fn cost(&self, usage: Option<Usage>, quality: Quality, size: &str, images: usize) -> u64 {
        match usage {
            Some(u) if self.price.output_per_mtok > 0 => self.tokens(u),
            _ => self.per_image(quality, size).saturating_mul(images as u64),
        }
    }

    fn tokens(&self, u: Usage) -> u64 {
        let p = &self.price;
        let image_in = if p.image_input_per_mtok > 0 {
            p.image_input_per_mtok
        } else {
            p.text_input_per_mtok
        };
        let micro_millions = u128::from(u.text_input) * u128::from(p.text_input_per_mtok)
            + u128::from(u.image_input) * u128::from(image_in)
            + u128::from(u.output) * u128::from(p.output_per_mtok);
        // Round up: never under-count the operator's bill.
        u64::try_from(micro_millions.div_ceil(1_000_000)).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn table() -> PriceTable {
        let mut per_image = BTreeMap::new();
        per_image.insert(
            Quality::Low,
            BTreeMap::from([("1024x1024".into(), 11_000), ("1536x1024".into(), 16_000)]),
        );
        per_image.insert(
            Quality::High,
            BTreeMap::from([("1024x1024".into(), 167_000), ("1536x1024".into(), 250_000)]),
        );
        PriceTable::new(Some(ModelPrice {
            text_input_per_mtok: 5_000_000,
            image_input_per_mtok: 10_000_000,
            output_per_mtok: 40_000_000,
            per_image,
            default_per_image: 50_000,
            per_input_image: 0,
        }))
    }

    #[test]
    fn per_image_falls_back_to_the_dearest() {
        let t = table();
        assert_eq!(t.per_image(Quality::Low, "1536x1024"), 16_000);
        assert_eq!(t.per_image(Quality::Low, "auto"), 16_000);
        assert_eq!(t.per_image(Quality::Auto, "1024x1024"), 250_000);
        assert_eq!(PriceTable::new(None).per_image(Quality::Low, "auto"), 0);
    }

    #[test]
    fn usage_is_priced_per_token_and_rounded_up() {
        let t = table();
        let u = Usage {
            text_input: 50,
            image_input: 1000,
            output: 4160,
        };
        // 50*5 + 1000*10 + 4160*40 = 176_650 micro-dollars.
        assert_eq!(t.cost(Some(u), Quality::High, "1024x1024", 1), 176_650);
        let tiny = Usage {
            text_input: 1,
            ..Usage::default()
        };
        assert_eq!(t.cost(Some(tiny), Quality::High, "1024x1024", 1), 5);
        assert_eq!(t.cost(None, Quality::Low, "1024x1024", 3), 33_000);
    }

    #[test]
    fn the_estimate_counts_n_quality_size_and_input_images() {
        let mut t = table();
        assert_eq!(t.estimate(Quality::High, "1536x1024", 2, 3), 500_000);
        t.price.per_input_image = 7_000;
        assert_eq!(t.estimate(Quality::High, "1536x1024", 2, 3), 521_000);
        assert_eq!(t.estimate(Quality::Low, "1024x1024", 1, 0), 11_000);
    }
}
