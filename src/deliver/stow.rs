//! STOW-RS requests (PS3.18 10.5): instances in batches bounded by bytes and count, each batch
//! one `multipart/related; type="application/dicom"` body whose boundary occurs in none of its
//! parts. The body is made of three kinds of pieces ([`part_head`], the instance's bytes,
//! [`closing`]) so that a shell can stream it without copying the instances into one buffer;
//! [`body`] joins them for those that cannot.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use snafu::Snafu;

/// Default largest body: under nginx's default `client_max_body_size` (1 MiB) with room for
/// the part headers. An instance larger than the limit goes alone in its batch.
pub const DEFAULT_MAX_BYTES: u64 = 1_000_000;
/// Default largest number of instances in one request.
pub const DEFAULT_MAX_COUNT: usize = 100;
/// How many boundaries are tried before giving up (each one 32 hex digits of SHA-256: a
/// part holding them all is not a thing that happens by chance).
const BOUNDARY_TRIES: u32 = 16;

/// Why a request cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
pub enum StowError {
    /// A batch limit of zero.
    #[snafu(display(
        "a STOW-RS batch limit must be at least 1 (max count {count}, max bytes {bytes})"
    ))]
    ZeroLimit {
        /// the count limit given
        count: usize,
        /// the byte limit given
        bytes: u64,
    },
    /// Every boundary tried occurs in a part.
    #[snafu(display("no multipart boundary found that occurs in none of the {parts} parts"))]
    NoBoundary {
        /// parts in the batch
        parts: usize,
    },
}

impl StowError {
    /// The code shells see.
    pub fn code(&self) -> crate::codes::Code {
        crate::codes::Code::BadStowRequest
    }
}

/// The bounds of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchLimits {
    /// Largest sum of the instances' sizes in one request (bytes).
    pub max_bytes: u64,
    /// Largest number of instances in one request.
    pub max_count: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_count: DEFAULT_MAX_COUNT,
        }
    }
}

/// The instances, by their sizes in order, cut into consecutive batches: `(first, count)`
/// each, within both limits (an instance above `max_bytes` alone).
pub fn batches(sizes: &[u64], limits: BatchLimits) -> Result<Vec<(usize, usize)>, StowError> {
    if limits.max_count == 0 || limits.max_bytes == 0 {
        return ZeroLimitSnafu {
            count: limits.max_count,
            bytes: limits.max_bytes,
        }
        .fail();
    }
    let mut out = Vec::new();
    let (mut first, mut count, mut bytes) = (0usize, 0usize, 0u64);
    for (i, &size) in sizes.iter().enumerate() {
        if count > 0 && (count == limits.max_count || bytes.saturating_add(size) > limits.max_bytes)
        {
            out.push((first, count));
            (first, count, bytes) = (i, 0, 0);
        }
        count += 1;
        bytes = bytes.saturating_add(size);
    }
    if count > 0 {
        out.push((first, count));
    }
    Ok(out)
}

/// A boundary that occurs in none of the parts: `dicom-deid-` and 32 hex digits of the
/// SHA-256 of the parts' lengths and a counter (the same parts give the same boundary, so
/// native and wasm bodies are the same bytes).
pub fn boundary(parts: &[&[u8]]) -> Result<String, StowError> {
    let mut seed = Sha256::new();
    for p in parts {
        seed.update((p.len() as u64).to_le_bytes());
    }
    for n in 0..BOUNDARY_TRIES {
        let mut h = seed.clone();
        h.update(n.to_le_bytes());
        let digest = h.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let candidate = format!("dicom-deid-{hex}");
        let finder = memchr::memmem::Finder::new(candidate.as_bytes());
        if parts.iter().all(|p| finder.find(p).is_none()) {
            return Ok(candidate);
        }
    }
    NoBoundarySnafu { parts: parts.len() }.fail()
}

/// The request's `Content-Type`.
pub fn content_type(boundary: &str) -> String {
    format!("multipart/related; type=\"application/dicom\"; boundary={boundary}")
}

/// The `Accept` header asking for the DICOM JSON response.
pub const ACCEPT: &str = "application/dicom+json";

/// What goes before each instance's bytes.
pub fn part_head(boundary: &str) -> Vec<u8> {
    format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").into_bytes()
}

/// What goes after each instance's bytes but the last: the line break before the next
/// delimiter is part of it (RFC 2046 5.1.1); [`closing`] ends the body.
pub const PART_END: &[u8] = b"\r\n";

/// The closing delimiter (after the last part's [`PART_END`]).
pub fn closing(boundary: &str) -> Vec<u8> {
    format!("--{boundary}--\r\n").into_bytes()
}

/// The length of the whole body for parts of these sizes (for `Content-Length`).
pub fn body_len(boundary: &str, sizes: &[u64]) -> u64 {
    let per_part = (part_head(boundary).len() + PART_END.len()) as u64;
    sizes.iter().fold(closing(boundary).len() as u64, |acc, s| {
        acc.saturating_add(per_part).saturating_add(*s)
    })
}

/// One body in one buffer: `(content type, bytes)`.
pub fn body(parts: &[&[u8]]) -> Result<(String, Vec<u8>), StowError> {
    let b = boundary(parts)?;
    let sizes: Vec<u64> = parts.iter().map(|p| p.len() as u64).collect();
    let mut out = Vec::with_capacity(usize::try_from(body_len(&b, &sizes)).unwrap_or(0));
    let head = part_head(&b);
    for p in parts {
        out.extend_from_slice(&head);
        out.extend_from_slice(p);
        out.extend_from_slice(PART_END);
    }
    out.extend_from_slice(&closing(&b));
    Ok((content_type(&b), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: u64, max_count: usize) -> BatchLimits {
        BatchLimits {
            max_bytes,
            max_count,
        }
    }

    #[test]
    fn batches_keep_both_limits_and_every_instance_once() {
        let sizes = [400, 400, 300, 1500, 10, 10, 10, 10];
        let got = batches(&sizes, limits(1000, 3)).expect("limits");
        assert_eq!(got, vec![(0, 2), (2, 1), (3, 1), (4, 3), (7, 1)]);
        assert_eq!(batches(&[], limits(1, 1)).expect("limits"), vec![]);
        assert!(batches(&sizes, limits(0, 3)).is_err());
        assert!(batches(&sizes, limits(10, 0)).is_err());
    }

    #[test]
    fn the_body_is_multipart_related_and_its_length_is_announced() {
        let parts: [&[u8]; 2] = [b"DICM one", b"DICM two two"];
        let (ct, bytes) = body(&parts).expect("body");
        let b = ct.rsplit("boundary=").next().expect("boundary");
        assert!(ct.starts_with("multipart/related; type=\"application/dicom\"; boundary="));
        let text = String::from_utf8(bytes.clone()).expect("ascii");
        assert_eq!(
            text,
            format!(
                "--{b}\r\nContent-Type: application/dicom\r\n\r\nDICM one\r\n--{b}\r\nContent-Type: application/dicom\r\n\r\nDICM two two\r\n--{b}--\r\n"
            )
        );
        assert_eq!(body_len(b, &[8, 12]), bytes.len() as u64);
    }

    #[test]
    fn a_boundary_found_in_a_part_is_not_used() {
        // The seed is the parts' lengths: a part of the same length that holds the first
        // candidate must make the function choose another.
        let first = boundary(&[&[0u8; 60]]).expect("boundary");
        let mut part = format!("ab{first}");
        part.extend(std::iter::repeat_n('z', 60 - part.len()));
        assert_eq!(part.len(), 60);
        let chosen = boundary(&[part.as_bytes()]).expect("boundary");
        assert_ne!(chosen, first);
        assert!(!part.contains(&chosen));
    }
}
