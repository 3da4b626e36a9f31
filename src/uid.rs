//! Keyed, deterministic UID replacement (PS3.15 E.1-1 action U).
//!
//! A new UID is `2.25.` followed by the decimal value of a UUID (PS3.5 B.2, ITU-T X.667): a
//! version-8 (custom) UUID, RFC 9562, whose 122 free bits are the first bits of
//! HMAC-SHA-256(project secret, "uid" + original UID); the `uuid` crate sets the version nibble
//! and the variant bits. (Batches made before this derivation used the 128 hash bits as they
//! were, which are not valid UUIDs: their UIDs differ from this version's for the same secret.)
//! The same secret gives the same UID on every run and machine, so references between objects
//! (SEG, RTSTRUCT, SR → images) survive; without the secret the mapping cannot be reversed by
//! guessing candidate UIDs.

use crate::padding::Unpadded as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The project secret and the keyed functions derived from it.
#[derive(Clone)]
pub struct Keyed {
    secret: Vec<u8>,
    /// A recipe's UID root, replacing `2.25.` (checked against PS3.5 9.1 by the recipe).
    uid_root: Option<String>,
    /// UIDs in RSNA CTP's unkeyed `@hashuid` form under the root (a recipe with CTP-compatible
    /// UIDs): every replaced UID takes that form, so references between them stay consistent.
    ctp_uids: bool,
}

impl std::fmt::Debug for Keyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed(<secret>)")
    }
}

impl Keyed {
    /// Wraps a project secret (any length; 32 random bytes recommended).
    pub fn new(secret: &[u8]) -> Self {
        Keyed {
            secret: secret.to_vec(),
            uid_root: None,
            ctp_uids: false,
        }
    }

    /// The secret's fingerprint as the page shows it: the first 4 bytes of its SHA-256, hex.
    /// It names the secret without revealing it (the secret is 32 random bytes).
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        Sha256::digest(&self.secret)[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The same keyed functions, with UIDs made under `root` instead of `2.25.`:
    /// `<root>.<decimal of 128 keyed bits>`, cut to 64 characters (the recipe checks that the
    /// root leaves at least 20 digits).
    pub fn with_uid_root(mut self, root: String) -> Self {
        self.uid_root = Some(root);
        self
    }

    /// The same functions, with every UID replaced as RSNA CTP's `@hashuid(root, uid)` does
    /// (unkeyed MD5: `crate::recipe::ctp::functions::hash_uid`), under the UID root.
    pub fn with_ctp_uids(mut self) -> Self {
        self.ctp_uids = true;
        self
    }

    /// HMAC-SHA-256 of `domain` and `value` under the secret.
    pub fn mac(&self, domain: &str, value: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(domain.as_bytes());
        mac.update(b"\0");
        mac.update(value);
        mac.finalize().into_bytes().into()
    }

    /// A number in `0..n` derived from the secret, `domain` and `value`.
    pub fn number(&self, domain: &str, value: &[u8], n: u64) -> u64 {
        let h = self.mac(domain, value);
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        if n == 0 {
            0
        } else {
            u64::from_be_bytes(b) % n
        }
    }

    /// The replacement for one UID (trailing NUL/space padding ignored).
    pub fn map_uid(&self, uid: &str) -> String {
        let uid = uid.unpadded().trim_start();
        if uid.is_empty() {
            return String::new();
        }
        if self.ctp_uids {
            let root = self.uid_root.as_deref().unwrap_or("");
            return crate::recipe::ctp::functions::hash_uid(root, uid);
        }
        let h = self.mac("uid", uid.as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&h[..16]);
        if let Some(root) = &self.uid_root {
            let n = u128::from_be_bytes(b).to_string();
            let room = 64usize.saturating_sub(root.len() + 1);
            return format!("{root}.{}", &n[..n.len().min(room)]);
        }
        let uuid = uuid::Builder::from_custom_bytes(b).into_uuid();
        format!("2.25.{}", uuid.as_u128())
    }
}

/// Whether a string is a syntactically valid UID (PS3.5 9.1).
pub fn is_valid_uid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && (c == "0" || !c.starts_with('0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_deterministic() {
        let a = Keyed::new(b"secret one");
        let b = Keyed::new(b"secret two");
        let u = "1.2.840.113619.2.1.1.322987881.621.736170080.681";
        assert_eq!(a.map_uid(u), a.map_uid(u));
        assert_ne!(a.map_uid(u), b.map_uid(u));
        assert!(a.map_uid(u).starts_with("2.25."));
        assert!(is_valid_uid(&a.map_uid(u)));
        assert_eq!(a.map_uid(&format!("{u}\0")), a.map_uid(u));
    }

    #[test]
    fn every_uid_is_a_uuid() {
        let k = Keyed::new(b"secret");
        for i in 0..1000 {
            let m = k.map_uid(&format!("1.2.3.{i}"));
            let n: u128 = m["2.25.".len()..].parse().expect("decimal");
            let u = uuid::Uuid::from_u128(n);
            assert_eq!(u.get_version_num(), 8, "{m}");
            assert_eq!(u.get_variant(), uuid::Variant::RFC4122, "{m}");
            assert!(is_valid_uid(&m) && m.len() <= 64, "{m}");
        }
    }
}
