//! Members of an input zip, read straight from the archive's bytes (APPNOTE 4.3: the end of
//! central directory record, Zip64 included, the central directory, the local headers).
//!
//! Limits ([`crate::limits`]): at most [`MAX_MEMBERS`] entries; each entry at most
//! [`MAX_MEMBER_SIZE`] bytes once inflated, the most one file may hold, whatever its
//! compression ratio (a sparse segmentation compresses 500 times and is read like the same
//! file on disk); [`MAX_TOTAL`] inflated bytes in all. Sizes are checked while inflating: the
//! decoder never gives more than the entry declares plus one byte, so a bomb (or an entry that
//! lies about its size) stops at its declared size, itself within the cap.
//!
//! Memory: the reader keeps the archive's bytes and one offset (8 bytes) per entry; an entry's
//! name, sizes and method are read from its central directory record when needed. A zip of a
//! million tiny entries costs its own size plus 8 MB here.
//!
//! Names are only used as source paths in the log: `..`, absolute and non-UTF-8 names are
//! normalised, never used to write files. Only stored and deflated entries are read; encrypted
//! ones are refused. A zip inside the zip is not opened: it is logged as such (see
//! [`crate::framing::detect`]).

use std::io::Read;

use snafu::Snafu;

use crate::limits::MAX_FILE_BYTES;

/// Maximum entries read from one zip.
pub const MAX_MEMBERS: usize = 1_000_000;
/// Maximum uncompressed size of one entry (the most one file may hold).
pub const MAX_MEMBER_SIZE: u64 = MAX_FILE_BYTES;
/// Maximum uncompressed total of one zip.
pub const MAX_TOTAL: u64 = 64 << 30;

/// Why a zip (or one member) cannot be read.
#[derive(Debug, Clone, Snafu, PartialEq, Eq)]
pub enum ArchiveError {
    /// Not a readable zip.
    #[snafu(display("not a readable zip: {detail}"))]
    Open {
        /// cause
        detail: String,
    },
    /// Too many entries.
    #[snafu(display("zip has more than {MAX_MEMBERS} entries"))]
    TooMany,
    /// An entry that cannot be read, is too large or looks like a zip bomb.
    #[snafu(display("zip entry {name:?} rejected: {detail}"))]
    Member {
        /// entry name (normalised)
        name: String,
        /// cause
        detail: String,
    },
}

fn open_err(detail: impl Into<String>) -> ArchiveError {
    ArchiveError::Open {
        detail: detail.into(),
    }
}

/// A zip held in memory, read member by member.
#[derive(Debug)]
pub struct ZipInput {
    bytes: Vec<u8>,
    /// Offset of each entry's central directory record, in directory order.
    records: Vec<u64>,
    /// Uncompressed bytes handed out so far (bounded by [`MAX_TOTAL`]).
    total: u64,
}

/// One entry of an input zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// Index in the archive.
    pub index: usize,
    /// Normalised name (forward slashes, no `..`, no leading `/`).
    pub name: String,
    /// Declared uncompressed size.
    pub size: u64,
}

/// Normalises an entry name for use as a source path in logs.
pub fn normalise_name(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw).replace('\\', "/");
    s.split('/')
        .filter(|c| !c.is_empty() && *c != "." && *c != "..")
        .map(|c| {
            c.chars()
                .map(|ch| if ch.is_control() { '_' } else { ch })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]) as u64)
}

fn le32(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes([
        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
    ]))
}

fn at(v: u64) -> Option<usize> {
    usize::try_from(v).ok()
}

/// The central directory: (entries, offset, size), from the end record (Zip64 when its
/// fields are saturated).
fn central_directory(b: &[u8]) -> Result<(u64, u64, u64), ArchiveError> {
    let from = b.len().saturating_sub(22 + 0xFFFF);
    let eocd = b
        .get(from..)
        .and_then(|t| t.windows(4).rposition(|w| w == b"PK\x05\x06"))
        .map(|p| from + p)
        .filter(|p| p + 22 <= b.len())
        .ok_or_else(|| open_err("no end of central directory record (not a zip, or cut short)"))?;
    let field = |o: usize, w: usize| {
        if w == 2 {
            le16(b, eocd + o)
        } else {
            le32(b, eocd + o)
        }
    };
    let (n, size, offset) = match (field(10, 2), field(12, 4), field(16, 4)) {
        (Some(n), Some(s), Some(o)) => (n, s, o),
        _ => return Err(open_err("end of central directory record cut short")),
    };
    if n != 0xFFFF && size != 0xFFFF_FFFF && offset != 0xFFFF_FFFF {
        return Ok((n, offset, size));
    }
    // Zip64: the locator just before the record points to the Zip64 end record.
    let zip64 = || {
        let loc = eocd.checked_sub(20)?;
        if b.get(loc..loc + 4)? != b"PK\x06\x07" {
            return None;
        }
        let rec = at(le64(b, loc + 8)?)?;
        if b.get(rec..rec.checked_add(4)?)? != b"PK\x06\x06" {
            return None;
        }
        Some((le64(b, rec + 32)?, le64(b, rec + 48)?, le64(b, rec + 40)?))
    };
    zip64().ok_or_else(|| open_err("Zip64 end of central directory record missing or cut short"))
}

/// What a central directory record says of its entry.
struct Record<'a> {
    raw_name: &'a [u8],
    flags: u64,
    method: u64,
    crc: u64,
    compressed: u64,
    size: u64,
    local: u64,
}

/// Reads the central directory record at `pos`; `None` when it is not one or is cut short.
fn record(b: &[u8], pos: usize) -> Option<Record<'_>> {
    if b.get(pos..pos.checked_add(4)?)? != b"PK\x01\x02" {
        return None;
    }
    let name_len = at(le16(b, pos + 28)?)?;
    let extra_len = at(le16(b, pos + 30)?)?;
    let name_at = pos + 46;
    let raw_name = b.get(name_at..name_at + name_len)?;
    let extra = b.get(name_at + name_len..name_at + name_len + extra_len)?;
    let mut r = Record {
        raw_name,
        flags: le16(b, pos + 8)?,
        method: le16(b, pos + 10)?,
        crc: le32(b, pos + 16)?,
        compressed: le32(b, pos + 20)?,
        size: le32(b, pos + 24)?,
        local: le32(b, pos + 42)?,
    };
    zip64_extra(extra, &mut r)?;
    Some(r)
}

/// Applies the Zip64 extended information field (id 1): its values replace, in order, the
/// size, compressed size and local header offset that are saturated (0xFFFFFFFF).
fn zip64_extra(mut extra: &[u8], r: &mut Record) -> Option<()> {
    while extra.len() >= 4 {
        let id = le16(extra, 0)?;
        let len = at(le16(extra, 2)?)?;
        let data = extra.get(4..4 + len)?;
        if id == 1 {
            let mut k = 0;
            for v in [&mut r.size, &mut r.compressed, &mut r.local] {
                if *v == 0xFFFF_FFFF {
                    *v = le64(data, k)?;
                    k += 8;
                }
            }
        }
        extra = &extra[4 + len..];
    }
    Some(())
}

/// Whether bytes start like a zip archive.
pub fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && (bytes[0..4] == *b"PK\x03\x04" || bytes[0..4] == *b"PK\x05\x06")
}

impl ZipInput {
    /// Opens a zip from memory. A zip whose central directory lists two entries under one name
    /// is refused as a whole: which one a tool extracts differs from tool to tool.
    pub fn open(bytes: Vec<u8>) -> Result<Self, ArchiveError> {
        let (n, offset, size) = central_directory(&bytes)?;
        if n > MAX_MEMBERS as u64 {
            return Err(ArchiveError::TooMany);
        }
        let end = offset
            .checked_add(size)
            .filter(|e| *e <= bytes.len() as u64)
            .and_then(at)
            .ok_or_else(|| open_err("the central directory lies past the end of the zip"))?;
        // Each record takes at least 46 bytes: the count cannot make us allocate beyond them.
        let mut records = Vec::with_capacity((n as usize).min(size as usize / 46));
        let mut pos = at(offset).unwrap_or(usize::MAX);
        for i in 0..n {
            let r = record(&bytes, pos)
                .filter(|_| pos < end)
                .ok_or_else(|| open_err(format!("central directory record {i} is damaged")))?;
            let next = pos + 46 + r.raw_name.len();
            records.push(pos as u64);
            let extra = le16(&bytes, pos + 30).unwrap_or(0) as usize;
            let comment = le16(&bytes, pos + 32).unwrap_or(0) as usize;
            pos = next + extra + comment;
        }
        let zip = ZipInput {
            bytes,
            records,
            total: 0,
        };
        let same = zip.same_names();
        if same > 0 {
            return Err(open_err(format!(
                "{same} entries have the same name as another entry (ambiguous archive)"
            )));
        }
        Ok(zip)
    }

    fn raw_name(&self, i: usize) -> &[u8] {
        self.records
            .get(i)
            .and_then(|p| record(&self.bytes, *p as usize))
            .map_or(&[][..], |r| r.raw_name)
    }

    /// How many entries repeat the raw name of another (sorting 4-byte indexes by name: no
    /// copy of the names).
    fn same_names(&self) -> usize {
        let mut order: Vec<u32> = (0..self.records.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.raw_name(*a as usize).cmp(self.raw_name(*b as usize)));
        order
            .windows(2)
            .filter(|w| self.raw_name(w[0] as usize) == self.raw_name(w[1] as usize))
            .count()
    }

    /// The file entries (directories left out), in archive order. Names are unique: a name
    /// seen before (one that normalises to an earlier name) gets a `~N` suffix (N = its
    /// index), so that no entry is silently dropped or confused.
    pub fn members(&mut self) -> Vec<MemberInfo> {
        let mut out = Vec::with_capacity(self.records.len());
        for (i, p) in self.records.iter().enumerate() {
            let Some(r) = record(&self.bytes, *p as usize) else {
                continue;
            };
            if matches!(r.raw_name.last(), Some(b'/' | b'\\')) {
                continue;
            }
            let mut name = normalise_name(r.raw_name);
            if name.is_empty() {
                name = format!("entry{i}");
            }
            out.push(MemberInfo {
                index: i,
                name,
                size: r.size,
            });
        }
        unique_names(&mut out);
        out
    }

    /// Reads one entry, enforcing the size limits while inflating and checking its CRC-32.
    pub fn read(&mut self, m: &MemberInfo) -> Result<Vec<u8>, ArchiveError> {
        let err = |detail: String| ArchiveError::Member {
            name: m.name.clone(),
            detail,
        };
        let r = self
            .records
            .get(m.index)
            .and_then(|p| record(&self.bytes, *p as usize))
            .ok_or_else(|| err("no such entry".into()))?;
        let declared = r.size;
        if declared > MAX_MEMBER_SIZE {
            return Err(err(format!(
                "declares {declared} bytes, more than {MAX_MEMBER_SIZE}, the most one file may \
                 hold (zip bomb?)"
            )));
        }
        if r.flags & 1 != 0 {
            return Err(err("encrypted entry".into()));
        }
        let data = entry_data(&self.bytes, &r).ok_or_else(|| {
            err("its local header or data lie past the end of the zip (damaged)".into())
        })?;
        let buf = inflate(data, r.method, declared).map_err(err)?;
        if buf.len() as u64 != declared {
            return Err(err(format!(
                "size differs from the declared size ({declared} bytes)"
            )));
        }
        if zlib_rs::crc32::crc32(0, &buf) as u64 != r.crc {
            return Err(err("CRC-32 differs from the declared one (damaged)".into()));
        }
        self.total += buf.len() as u64;
        if self.total > MAX_TOTAL {
            return Err(err(format!(
                "the zip inflates to more than {MAX_TOTAL} bytes in all"
            )));
        }
        Ok(buf)
    }
}

/// The compressed bytes of an entry (after its local header).
fn entry_data<'a>(b: &'a [u8], r: &Record) -> Option<&'a [u8]> {
    let local = at(r.local)?;
    if b.get(local..local.checked_add(4)?)? != b"PK\x03\x04" {
        return None;
    }
    let start = local + 30 + at(le16(b, local + 26)?)? + at(le16(b, local + 28)?)?;
    b.get(start..start.checked_add(at(r.compressed)?)?)
}

/// Inflates (or copies) an entry's data: never more than `declared` + 1 bytes.
fn inflate(data: &[u8], method: u64, declared: u64) -> Result<Vec<u8>, String> {
    let limit = at(declared).unwrap_or(usize::MAX);
    let capacity = limit.min(1 << 28);
    match method {
        0 => Ok(data[..data.len().min(limit.saturating_add(1))].to_vec()),
        8 => {
            let mut buf = Vec::with_capacity(capacity);
            flate2::read::DeflateDecoder::new(data)
                .take(declared + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot be inflated: {e}"))?;
            Ok(buf)
        }
        other => Err(format!(
            "compression method {other} is not supported (only stored and deflated)"
        )),
    }
}

/// Gives every name that repeats an earlier one a `~N` suffix, in archive order. The usual
/// archive has no repeats: they are found by sorting indexes, and only then is a set of the
/// names built.
fn unique_names(out: &mut [MemberInfo]) {
    let mut order: Vec<u32> = (0..out.len() as u32).collect();
    order.sort_unstable_by(|a, b| out[*a as usize].name.cmp(&out[*b as usize].name));
    if order
        .windows(2)
        .all(|w| out[w[0] as usize].name != out[w[1] as usize].name)
    {
        return;
    }
    drop(order);
    let mut seen = std::collections::HashSet::new();
    for m in out.iter_mut() {
        while seen.contains(&m.name) {
            m.name = format!("{}~{}", m.name, m.index);
        }
        seen.insert(m.name.clone());
    }
}
