//! Terminal user names packed into a `u64`, so `cli:operator` is a
//! [`UserKey`](super::UserKey) like any other (`Copy`, one number).
//!
//! A name is 1-12 symbols of `a-z 0-9 - _`, read as a bijective base-38
//! numeral (digits 1..=38, no zero digit). Every name maps to exactly one
//! number and back, and 38^12 * 38/37 < 2^64, so nothing overflows.

/// The symbols, in digit order (digit = index + 1).
const ALPHABET: &[u8; 38] = b"abcdefghijklmnopqrstuvwxyz0123456789-_";
/// Longest name that still fits in a `u64`.
const MAX_LEN: usize = 12;
const BASE: u64 = ALPHABET.len() as u64;

/// The number for `name`, or `None` if it is empty, too long or uses other symbols.
pub(super) fn encode(name: &str) -> Option<u64> {
    if name.is_empty() || name.len() > MAX_LEN {
        return None;
    }
    name.bytes().try_fold(0u64, |acc, b| {
        let digit = ALPHABET.iter().position(|&a| a == b)? as u64 + 1;
        Some(acc * BASE + digit)
    })
}

/// The name packed into `id`, or `None` for 0 and numbers past the longest name.
pub(super) fn decode(mut id: u64) -> Option<String> {
    let mut out = Vec::with_capacity(MAX_LEN);
    while id > 0 {
        if out.len() == MAX_LEN {
            return None;
        }
        let digit = (id - 1) % BASE;
        out.push(ALPHABET[digit as usize]);
        id = (id - 1) / BASE;
    }
    if out.is_empty() {
        return None;
    }
    out.reverse();
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_small_number_is_one_name_and_back() {
        for id in 1..20_000u64 {
            let name = decode(id).unwrap();
            assert_eq!(encode(&name), Some(id), "{name}");
        }
        assert_eq!(decode(0), None);
        let longest = encode(&"_".repeat(MAX_LEN)).unwrap();
        assert_eq!(decode(longest + 1), None);
        assert_eq!(decode(u64::MAX), None);
    }
}
