//! Byte-level builders for broken inputs: element encoders, locating elements in real files,
//! and hand-made zips (raw names, lying sizes).

#![allow(dead_code)]

use std::io::Write;

/// Tag of Pixel Data.
pub const PIXEL: (u16, u16) = (0x7FE0, 0x0010);
/// A standard SQ tag (Content Sequence) used for nesting.
pub const SEQ: (u16, u16) = (0x0040, 0xA730);

fn tag_le(t: (u16, u16)) -> [u8; 4] {
    let g = t.0.to_le_bytes();
    let e = t.1.to_le_bytes();
    [g[0], g[1], e[0], e[1]]
}

fn is_long_vr(vr: &[u8]) -> bool {
    matches!(
        vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

/// An explicit VR little endian element header.
pub fn header_explicit(t: (u16, u16), vr: &[u8; 2], len: u32) -> Vec<u8> {
    let mut v = tag_le(t).to_vec();
    v.extend_from_slice(vr);
    if is_long_vr(vr) {
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&len.to_le_bytes());
    } else {
        v.extend_from_slice(&(len as u16).to_le_bytes());
    }
    v
}

/// An implicit VR little endian element header (also items and delimiters).
pub fn header_implicit(t: (u16, u16), len: u32) -> Vec<u8> {
    let mut v = tag_le(t).to_vec();
    v.extend_from_slice(&len.to_le_bytes());
    v
}

/// An explicit VR little endian element.
pub fn elem_explicit(t: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut v = header_explicit(t, vr, value.len() as u32);
    v.extend_from_slice(value);
    v
}

/// Item start with a length.
pub fn item(len: u32) -> Vec<u8> {
    header_implicit((0xFFFE, 0xE000), len)
}
/// Item delimiter.
pub fn item_end() -> Vec<u8> {
    header_implicit((0xFFFE, 0xE00D), 0)
}
/// Sequence delimiter.
pub fn seq_end() -> Vec<u8> {
    header_implicit((0xFFFE, 0xE0DD), 0)
}

/// `depth` sequences nested in one another (each with one item), undefined lengths.
pub fn nested_undefined(depth: usize, explicit: bool) -> Vec<u8> {
    let mut v = Vec::with_capacity(depth * 40);
    for _ in 0..depth {
        if explicit {
            v.extend(header_explicit(SEQ, b"SQ", u32::MAX));
        } else {
            v.extend(header_implicit(SEQ, u32::MAX));
        }
        v.extend(item(u32::MAX));
    }
    for _ in 0..depth {
        v.extend(item_end());
        v.extend(seq_end());
    }
    v
}

/// `depth` sequences nested in one another (each with one item), defined lengths.
pub fn nested_defined(depth: usize, explicit: bool) -> Vec<u8> {
    let seq_header = if explicit { 12 } else { 8 };
    let per_level = seq_header + 8;
    let mut v = Vec::with_capacity(depth * per_level);
    for level in 0..depth {
        let inner = ((depth - level - 1) * per_level) as u32;
        if explicit {
            v.extend(header_explicit(SEQ, b"SQ", inner + 8));
        } else {
            v.extend(header_implicit(SEQ, inner + 8));
        }
        v.extend(item(inner));
    }
    v
}

/// Offset of the first top-level Pixel Data element header of a little endian file (explicit:
/// followed by OB/OW; implicit: its length runs to the end or is undefined).
pub fn pixel_offset(b: &[u8]) -> usize {
    find_pixel(b).unwrap_or_else(|| panic!("no pixel data element found"))
}

/// [`pixel_offset`], or None.
pub fn find_pixel(b: &[u8]) -> Option<usize> {
    let pat = tag_le(PIXEL);
    let mut i = 0;
    while i + 8 <= b.len() {
        if b[i..i + 4] == pat {
            let vr = &b[i + 4..i + 6];
            if vr == b"OB" || vr == b"OW" {
                return Some(i);
            }
            let len = u32::from_le_bytes([b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
            if len == u32::MAX || i + 8 + len as usize == b.len() {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Offset of the first explicit VR LE element with this tag and VR (after the preamble).
pub fn find_explicit(b: &[u8], t: (u16, u16), vr: &[u8; 2]) -> usize {
    let mut pat = tag_le(t).to_vec();
    pat.extend_from_slice(vr);
    b.windows(6)
        .skip(128)
        .position(|w| w == pat.as_slice())
        .map(|p| p + 128)
        .unwrap_or_else(|| panic!("element {t:04X?} {vr:?} not found"))
}

/// Offset of the first implicit VR LE element with this tag (after offset `from`).
pub fn find_implicit(b: &[u8], t: (u16, u16), from: usize) -> usize {
    b.windows(4)
        .skip(from)
        .position(|w| w == tag_le(t))
        .map(|p| p + from)
        .unwrap_or_else(|| panic!("element {t:04X?} not found"))
}

/// Sets the length field of the explicit VR LE element at `at`.
pub fn set_len_explicit(b: &mut [u8], at: usize, len: u32) {
    let vr = [b[at + 4], b[at + 5]];
    if is_long_vr(&vr) {
        b[at + 8..at + 12].copy_from_slice(&len.to_le_bytes());
    } else {
        b[at + 6..at + 8].copy_from_slice(&(len as u16).to_le_bytes());
    }
}

/// Length of the explicit VR LE element at `at`.
pub fn len_explicit(b: &[u8], at: usize) -> u32 {
    let vr = [b[at + 4], b[at + 5]];
    if is_long_vr(&vr) {
        u32::from_le_bytes([b[at + 8], b[at + 9], b[at + 10], b[at + 11]])
    } else {
        u16::from_le_bytes([b[at + 6], b[at + 7]]) as u32
    }
}

/// Inserts bytes at an offset.
pub fn insert(b: &[u8], at: usize, extra: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(b.len() + extra.len());
    v.extend_from_slice(&b[..at]);
    v.extend_from_slice(extra);
    v.extend_from_slice(&b[at..]);
    v
}

/// End of the file meta group of a file with a preamble (offset of the first data set byte).
pub fn meta_end(b: &[u8]) -> usize {
    assert_eq!(&b[128..132], b"DICM");
    let mut pos = 132;
    while pos + 8 <= b.len() && u16::from_le_bytes([b[pos], b[pos + 1]]) == 0x0002 {
        pos += if is_long_vr(&b[pos + 4..pos + 6]) {
            12
        } else {
            8
        } + len_explicit(b, pos) as usize;
    }
    pos
}

/// Deterministic pseudo-random bytes (xorshift).
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A member of a hand-made zip.
pub struct RawMember {
    /// Raw name bytes (need not be UTF-8).
    pub name: Vec<u8>,
    /// Compressed data as stored.
    pub data: Vec<u8>,
    /// 0 = stored, 8 = deflate.
    pub method: u16,
    /// CRC-32 written in the headers.
    pub crc: u32,
    /// Uncompressed size written in the headers (may lie).
    pub declared: u32,
}

impl RawMember {
    /// A stored member with true sizes.
    pub fn stored(name: &[u8], content: &[u8]) -> RawMember {
        let mut crc = flate2::Crc::new();
        crc.update(content);
        RawMember {
            name: name.to_vec(),
            data: content.to_vec(),
            method: 0,
            crc: crc.sum(),
            declared: content.len() as u32,
        }
    }
}

/// Writes a zip by hand (local headers, central directory, end record), so that names and
/// sizes can be anything.
pub fn raw_zip(members: &[RawMember]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for m in members {
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&m.method.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            v.extend_from_slice(&m.crc.to_le_bytes());
            v.extend_from_slice(&(m.data.len() as u32).to_le_bytes());
            v.extend_from_slice(&m.declared.to_le_bytes());
            v.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra length
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(&m.name);
        out.extend_from_slice(&m.data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&[0u8; 6]); // comment length, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&m.name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A raw deflate stream of `mib` MiB of zeros, built from one sync-flushed 1 MiB block
/// repeated (the back-references of each copy only see zeros), so it costs almost nothing to
/// make. Returns (stream, CRC-32 of the inflated data is not computed: callers lie anyway).
pub fn deflate_zeros(mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(8192);
    let _ = c.compress_vec(&zeros, &mut block, FlushCompress::Sync);
    let mut out = Vec::with_capacity(block.len() * mib + 16);
    for _ in 0..mib {
        out.extend_from_slice(&block);
    }
    // An empty final stored block ends the stream.
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0xFF, 0xFF]);
    out
}

/// A raw deflate stream of `content`.
pub fn deflate(content: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(content);
    e.finish().unwrap_or_default()
}

/// A zip of one deflated entry whose Zip64 extended information declares `declared` bytes
/// (past what a plain zip can say), with `data` as its compressed bytes.
pub fn raw_zip64_declaring(name: &[u8], data: &[u8], declared: u64) -> Vec<u8> {
    let mut extra = Vec::new();
    extra.extend_from_slice(&1u16.to_le_bytes());
    extra.extend_from_slice(&8u16.to_le_bytes());
    extra.extend_from_slice(&declared.to_le_bytes());
    let common = |v: &mut Vec<u8>| {
        v.extend_from_slice(&45u16.to_le_bytes()); // version needed (Zip64)
        v.extend_from_slice(&0u16.to_le_bytes()); // flags
        v.extend_from_slice(&8u16.to_le_bytes()); // deflate
        v.extend_from_slice(&0u16.to_le_bytes()); // time
        v.extend_from_slice(&0x21u16.to_le_bytes()); // date
        v.extend_from_slice(&0u32.to_le_bytes()); // crc
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(&u32::MAX.to_le_bytes()); // size: in the Zip64 field
        v.extend_from_slice(&(name.len() as u16).to_le_bytes());
        v.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    };
    let mut out = b"PK\x03\x04".to_vec();
    common(&mut out);
    out.extend_from_slice(name);
    out.extend_from_slice(&extra);
    out.extend_from_slice(data);
    let cd_offset = out.len() as u32;
    let mut central = b"PK\x01\x02".to_vec();
    central.extend_from_slice(&45u16.to_le_bytes());
    common(&mut central);
    central.extend_from_slice(&[0u8; 10]); // comment length, disk, attributes
    central.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    central.extend_from_slice(name);
    central.extend_from_slice(&extra);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
