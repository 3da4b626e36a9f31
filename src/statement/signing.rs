//! The run statement's signature: Ed25519 (RFC 8032, `ed25519-dalek`), with a key derived from
//! the project secret, so that the page and the CLI hold the same key wherever the secret is and
//! sign the same bytes (Ed25519 signatures are deterministic). The public key is in the statement
//! and can be given to a reviewer apart from the zip (`dicom-deid verify --public-key`).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::uid::Keyed;

/// The label of the keyed derivation of the signing key's seed from the project secret.
const SIGNING_KEY_DOMAIN: &str = "run-statement-signing-key";

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string of exactly `N` bytes (surrounding white space ignored).
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let t = text.trim().as_bytes();
    if t.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in t.chunks_exact(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// SHA-256 of bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The project's statement signing key, derived from the secret (HMAC-SHA-256 of a fixed label
/// is the Ed25519 seed): the same secret gives the same key in the page and the CLI.
pub fn signing_key(keyed: &Keyed) -> SigningKey {
    SigningKey::from_bytes(&keyed.mac(SIGNING_KEY_DOMAIN, b"dicom-deid"))
}

/// The public key of the project's signing key (32 bytes, hex), as a reviewer receives it.
pub fn public_key_hex(keyed: &Keyed) -> String {
    hex(signing_key(keyed).verifying_key().as_bytes())
}

/// A short fingerprint of a public key (the first 8 bytes of its SHA-256, hex in groups of 4),
/// for reading aloud or comparing by eye.
pub fn key_fingerprint(public_key: &[u8; 32]) -> String {
    let h = Sha256::digest(public_key);
    h[..8].chunks(2).map(hex).collect::<Vec<_>>().join(":")
}

/// The signature of `message` (64 bytes, hex, with a final newline: the text of
/// `run-statement.sig`).
pub fn sign(keyed: &Keyed, message: &[u8]) -> String {
    format!("{}\n", hex(&signing_key(keyed).sign(message).to_bytes()))
}

/// Whether `signature_text` (as [`sign`] writes it) is a valid signature of `message` by
/// `public_key`.
pub fn signature_holds(public_key: &[u8; 32], message: &[u8], signature_text: &str) -> bool {
    let Some(sig) = unhex::<64>(signature_text) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    key.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_message_and_key_only() {
        let keyed = Keyed::new(b"project secret");
        let Some(public) = unhex::<32>(&public_key_hex(&keyed)) else {
            panic!("public key is 32 bytes of hex");
        };
        let sig = sign(&keyed, b"statement");
        assert_eq!(sig, sign(&keyed, b"statement"), "deterministic");
        assert!(signature_holds(&public, b"statement", &sig));
        assert!(!signature_holds(&public, b"statemenT", &sig));
        let other = unhex::<32>(&public_key_hex(&Keyed::new(b"other"))).unwrap_or_default();
        assert!(!signature_holds(&other, b"statement", &sig));
        assert!(!signature_holds(&public, b"statement", "00"));
        assert_eq!(key_fingerprint(&public).len(), 19);
    }
}
