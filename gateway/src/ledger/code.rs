//! Access-code text: generation, parsing and the hash they are stored under.
//!
//! A code is 26 random Crockford base32 symbols (130 bits) plus 2 check
//! symbols (10 bits of SHA-256 over the body), shown in groups of four:
//! `7KQ2-M9XD-...`. Crockford's alphabet has no I, L, O or U, and parsing
//! forgives case, dashes, spaces and the look-alikes (O -> 0, I/L -> 1), so a
//! code read aloud or retyped still works; a typo is caught by the check
//! symbols before any lookup. Only the SHA-256 of the body is stored: the
//! codes carry enough entropy that no salt or slow hash is needed.

use rand::Rng;
use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BODY: usize = 26;
const CHECK: usize = 2;

/// A syntactically valid code, normalised to its 26 body symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeText {
    body: String,
}

impl CodeText {
    /// A fresh random code.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let body = (0..BODY)
            .map(|_| ALPHABET[rng.random_range(0..32)] as char)
            .collect();
        Self { body }
    }

    /// Parses what a user typed; `None` if it cannot be a code (wrong length,
    /// foreign characters, failed check).
    pub fn parse(input: &str) -> Option<Self> {
        let mut symbols = String::with_capacity(BODY + CHECK);
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' | '\t' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return None,
            };
            symbols.push(c);
        }
        if symbols.len() != BODY + CHECK {
            return None;
        }
        let (body, check) = symbols.split_at(BODY);
        (check_symbols(body) == check).then(|| Self {
            body: body.to_owned(),
        })
    }

    /// The code as shown to people: body and check in dash-separated groups of four.
    pub fn display(&self) -> String {
        let full = format!("{}{}", self.body, check_symbols(&self.body));
        let groups: Vec<&str> = full
            .as_bytes()
            .chunks(4)
            .map(|g| std::str::from_utf8(g).unwrap_or_default())
            .collect();
        groups.join("-")
    }

    /// Hex SHA-256 of the body: the only form that is stored.
    pub fn hash(&self) -> String {
        crate::digest::sha256_hex(&self.body)
    }

    /// The short public id of the code (a prefix of its hash): enough to list
    /// and revoke, useless for redeeming.
    pub fn id(&self) -> String {
        short_id(&self.hash())
    }
}

/// The short id for a stored hash.
pub fn short_id(hash: &str) -> String {
    hash.chars().take(10).collect()
}

fn check_symbols(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let bits = (u16::from(digest[0]) << 2) | (u16::from(digest[1]) >> 6);
    let hi = ALPHABET[usize::from(bits >> 5)] as char;
    let lo = ALPHABET[usize::from(bits & 31)] as char;
    [hi, lo].into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back_forgivingly() {
        let code = CodeText::generate();
        let shown = code.display();
        assert_eq!(shown.len(), 28 + 6, "{shown}");
        assert_eq!(CodeText::parse(&shown), Some(code.clone()));
        let sloppy = shown
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(CodeText::parse(&sloppy), Some(code));
    }

    #[test]
    fn typos_and_junk_are_refused() {
        // Every single-symbol substitution of a fixed code: a 10-bit check lets
        // through about 1 in 1024, so almost all of these 806 must be caught.
        let code = CodeText {
            body: "0123456789ABCDEFGHJKMNPQRS".to_owned(),
        };
        let shown = code.display();
        let mut slipped = 0;
        for (i, c) in shown.char_indices().filter(|(_, c)| *c != '-') {
            for &sub in ALPHABET.iter().filter(|&&s| s as char != c) {
                let mut typo = shown.clone();
                typo.replace_range(i..i + 1, &(sub as char).to_string());
                slipped += usize::from(CodeText::parse(&typo).is_some());
            }
        }
        assert!(slipped <= 5, "{slipped} typos parsed as valid codes");
        assert!(CodeText::parse(&shown[..shown.len() - 1]).is_none());
        assert!(CodeText::parse("").is_none());
        assert!(CodeText::parse(&shown.replace('-', "_")).is_none());
    }

    #[test]
    fn hash_and_id_are_stable_and_distinct() {
        let a = CodeText::generate();
        let b = CodeText::generate();
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.id(), short_id(&a.hash()));
    }
}
