//! The ETag an S3 store gives an object, so that a shell can check what it uploaded: for one
//! PUT (and for each part of a multipart upload) the MD5 of the bytes, in hex; for a multipart
//! upload the MD5 of the parts' MD5 digests (the 16 bytes of each, in part order), then `-` and
//! the number of parts. The shells hash each part as they read it ([`PartHasher`]) and compare
//! the ETag the store returns ([`etag_matches`]).

use md5::{Digest, Md5};
use snafu::{ensure, Snafu};

/// The most parts an S3 multipart upload may have.
pub const MAX_PARTS: usize = 10_000;

/// An MD5 digest.
pub type Md5Digest = [u8; 16];

/// A value that cannot make an ETag.
#[derive(Debug, Snafu, PartialEq, Eq)]
pub enum EtagError {
    /// A multipart upload without parts.
    #[snafu(display("a multipart upload has at least one part"))]
    NoParts,
    /// More parts than S3 takes.
    #[snafu(display("{count} parts: a multipart upload has at most {MAX_PARTS}"))]
    TooManyParts {
        /// the parts given
        count: usize,
    },
    /// A part's digest that is not 32 hexadecimal digits.
    #[snafu(display("part {part}: {text:?} is not an MD5 digest (32 hexadecimal digits)"))]
    BadDigest {
        /// the part's number (from 1)
        part: usize,
        /// what was given
        text: String,
    },
}

/// The MD5 of an upload's bytes, fed piece by piece as they are read.
#[derive(Clone, Default)]
pub struct PartHasher(Md5);

impl PartHasher {
    /// A hasher of no bytes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hashes the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of every byte given.
    pub fn finish(self) -> Md5Digest {
        self.0.finalize().into()
    }
}

/// A digest in lower-case hex: the ETag of one PUT or one part.
pub fn hex(digest: &Md5Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A digest from its 32 hex digits (either case); `part` names it in the error.
pub fn parse_hex(text: &str, part: usize) -> Result<Md5Digest, EtagError> {
    let bad = || EtagError::BadDigest {
        part,
        text: text.chars().take(40).collect(),
    };
    let bytes = text.as_bytes();
    if bytes.len() != 32 {
        return Err(bad());
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let s = std::str::from_utf8(pair).map_err(|_| bad())?;
        *o = u8::from_str_radix(s, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// The ETag of a multipart upload of parts with these digests, in part order:
/// `hex(MD5(d1 ‖ d2 ‖ … ‖ dN))-N`.
pub fn multipart_etag(parts: &[Md5Digest]) -> Result<String, EtagError> {
    ensure!(!parts.is_empty(), NoPartsSnafu);
    ensure!(
        parts.len() <= MAX_PARTS,
        TooManyPartsSnafu { count: parts.len() }
    );
    let mut md5 = Md5::new();
    for d in parts {
        md5.update(d);
    }
    Ok(format!("{}-{}", hex(&md5.finalize().into()), parts.len()))
}

/// Whether an ETag header a store returned names the expected ETag: the header's quotes and a
/// weak validator's `W/` are not part of it, hex digits compare in either case.
pub fn etag_matches(returned: &str, expected: &str) -> bool {
    let v = returned.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    let v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    !v.is_empty() && v.eq_ignore_ascii_case(expected.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5_of(bytes: &[u8]) -> Md5Digest {
        let mut h = PartHasher::new();
        // Fed in uneven pieces, as a shell reads a part.
        for piece in bytes.chunks(7) {
            h.update(piece);
        }
        h.finish()
    }

    #[test]
    fn a_single_put_is_the_md5_of_its_bytes() {
        // RFC 1321's test suite.
        assert_eq!(hex(&md5_of(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            hex(&md5_of(b"message digest")),
            "f96b697d7cb7938d525a2f31aaf161d0"
        );
    }

    #[test]
    fn a_multipart_etag_is_the_md5_of_the_digests_and_the_count() {
        // What moto_server 5.2.1 returned for CompleteMultipartUpload of these two parts.
        let parts = [md5_of(&vec![b'a'; 5 * 1024 * 1024]), md5_of(b"bc")];
        assert_eq!(hex(&parts[0]), "79b281060d337b9b2b84ccf390adcf74");
        assert_eq!(hex(&parts[1]), "5360af35bde9ebd8f01f492dc059593c");
        assert_eq!(
            multipart_etag(&parts).as_deref(),
            Ok("6b489a9b12d79ba2928d2a23cb61503b-2")
        );
        assert_eq!(multipart_etag(&[]), Err(EtagError::NoParts));
        let many = vec![parts[1]; MAX_PARTS + 1];
        assert!(matches!(
            multipart_etag(&many),
            Err(EtagError::TooManyParts { .. })
        ));
    }

    #[test]
    fn digests_parse_from_hex_only() {
        let d = md5_of(b"x");
        assert_eq!(parse_hex(&hex(&d).to_uppercase(), 1), Ok(d));
        for bad in ["", "abc", &"g".repeat(32), &"é".repeat(16)] {
            assert!(matches!(
                parse_hex(bad, 3),
                Err(EtagError::BadDigest { part: 3, .. })
            ));
        }
    }

    #[test]
    fn returned_etags_match_with_quotes_and_either_case() {
        let e = "6b489a9b12d79ba2928d2a23cb61503b-2";
        assert!(etag_matches("\"6B489A9B12D79BA2928D2A23CB61503B-2\"", e));
        assert!(etag_matches("W/\"6b489a9b12d79ba2928d2a23cb61503b-2\"", e));
        assert!(etag_matches(e, e));
        assert!(!etag_matches("\"6b489a9b12d79ba2928d2a23cb61503c-2\"", e));
        assert!(!etag_matches("\"6b489a9b12d79ba2928d2a23cb61503b-3\"", e));
        assert!(!etag_matches("\"\"", ""));
    }
}
