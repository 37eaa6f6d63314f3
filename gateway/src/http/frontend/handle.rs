//! A job's handle on the frontend API: `<request id in hex>-<tag>`, the tag
//! a keyed hash of the id under the submitting frontend's token. Any
//! replica can then tell which job a handle names and that the caller is
//! the frontend that submitted it, with nothing stored: a frontend
//! following a job through another replica (the shared job queue) is
//! checked exactly as on the replica that accepted it.

use easel_shared::RequestId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::digest::{hex, unhex};

/// The handle of job `id` submitted by the frontend holding `token`.
pub fn handle(token: &str, id: &RequestId) -> String {
    format!("{}-{}", hex(id.as_str().as_bytes()), hex(&tag(token, id)))
}

/// The job `handle` names if the frontend holding `token` submitted it.
pub fn open(token: &str, handle: &str) -> Option<RequestId> {
    let (id_hex, tag_hex) = handle.split_once('-')?;
    let id = RequestId::new(String::from_utf8(unhex(id_hex)?).ok()?).ok()?;
    let given = unhex(tag_hex)?;
    bool::from(given.ct_eq(&tag(token, &id))).then_some(id)
}

/// 128 bits of `H(k | H(k | id))`: the outer hash stops length extension.
fn tag(token: &str, id: &RequestId) -> Vec<u8> {
    let inner = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update([0])
        .chain_update(id.as_str().as_bytes())
        .finalize();
    let outer = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update([1])
        .chain_update(inner)
        .finalize();
    outer[..16].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_submitting_frontend_opens_a_handle() {
        let id = RequestId::new("tg:1/a?b#c").unwrap();
        let h = handle("token-a", &id);
        assert_eq!(open("token-a", &h), Some(id));
        assert_eq!(open("token-b", &h), None);
        let forged = format!(
            "{}{}",
            &h[..h.len() - 1],
            if h.ends_with('0') { "1" } else { "0" }
        );
        assert_eq!(open("token-a", &forged), None);
        assert_eq!(open("token-a", "zz-00"), None);
    }
}
