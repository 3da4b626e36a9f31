//! Members of an input zip. Limits: at most [`MAX_MEMBERS`] entries, [`MAX_MEMBER_SIZE`] per
//! entry and [`MAX_TOTAL`] in all (uncompressed, checked while inflating, so a zip bomb stops
//! early), compression ratio at most [`MAX_RATIO`]. Names are only used as source paths in the
//! log: `..`, absolute and non-UTF-8 names are normalised, never used to write files.

use std::io::{Cursor, Read};

use snafu::Snafu;

/// Maximum entries read from one zip.
pub const MAX_MEMBERS: usize = 1_000_000;
/// Maximum uncompressed size of one entry.
pub const MAX_MEMBER_SIZE: u64 = 4 << 30;
/// Maximum uncompressed total of one zip.
pub const MAX_TOTAL: u64 = 64 << 30;
/// Maximum compression ratio of an entry larger than 1 MiB.
pub const MAX_RATIO: u64 = 200;

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
    /// An entry looks like a zip bomb.
    #[snafu(display("zip entry {name:?} rejected: {detail}"))]
    Member {
        /// entry name (normalised)
        name: String,
        /// cause
        detail: String,
    },
}

/// A zip held in memory, read member by member.
#[derive(Debug)]
pub struct ZipInput {
    archive: zip::ZipArchive<Cursor<Vec<u8>>>,
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

/// The number of entries the end of central directory record declares (Zip64 included), if
/// the record is found.
fn central_directory_entries(b: &[u8]) -> Option<u64> {
    let from = b.len().saturating_sub(22 + 0xFFFF);
    let eocd = from
        + b.get(from..)?
            .windows(4)
            .rposition(|w| w == b"PK\x05\x06")?;
    let le16 = |at: usize| {
        b.get(at..at + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]) as u64)
    };
    let le64 = |at: usize| {
        b.get(at..at + 8)
            .map(|s| u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
    };
    let n = le16(eocd + 10)?;
    if n != 0xFFFF {
        return Some(n);
    }
    // Zip64: the locator just before the record points to the Zip64 end record.
    let loc = eocd.checked_sub(20)?;
    if b.get(loc..loc + 4)? != b"PK\x06\x07" {
        return None;
    }
    let rec = usize::try_from(le64(loc + 8)?).ok()?;
    if b.get(rec..rec.checked_add(4)?)? != b"PK\x06\x06" {
        return None;
    }
    le64(rec.checked_add(32)?)
}

/// Whether bytes start like a zip archive.
pub fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && (bytes[0..4] == *b"PK\x03\x04" || bytes[0..4] == *b"PK\x05\x06")
}

impl ZipInput {
    /// Opens a zip from memory. A zip whose central directory lists two entries under one name
    /// is refused as a whole: only one of them could be read, and which one a tool extracts
    /// differs from tool to tool.
    pub fn open(bytes: Vec<u8>) -> Result<Self, ArchiveError> {
        let listed = central_directory_entries(&bytes);
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Open {
            detail: e.to_string(),
        })?;
        if archive.len() > MAX_MEMBERS {
            return Err(ArchiveError::TooMany);
        }
        if let Some(n) = listed {
            if n > archive.len() as u64 {
                return Err(ArchiveError::Open {
                    detail: format!(
                        "{} entries have the same name as another entry (ambiguous archive)",
                        n - archive.len() as u64
                    ),
                });
            }
        }
        Ok(ZipInput { archive, total: 0 })
    }

    /// The file entries (directories left out), in archive order. Names are unique: a name
    /// seen before (a duplicate entry, or one that normalises to an earlier name) gets a
    /// `~N` suffix (N = its index), so that no entry is silently dropped or confused.
    pub fn members(&mut self) -> Vec<MemberInfo> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for i in 0..self.archive.len() {
            if let Ok(f) = self.archive.by_index_raw(i) {
                if f.is_dir() {
                    continue;
                }
                let mut name = normalise_name(f.name_raw());
                if name.is_empty() {
                    name = format!("entry{i}");
                }
                while seen.contains(&name) {
                    name = format!("{name}~{i}");
                }
                seen.insert(name.clone());
                out.push(MemberInfo {
                    index: i,
                    name,
                    size: f.size(),
                });
            }
        }
        out
    }

    /// Reads one entry, enforcing the size and ratio limits while inflating.
    pub fn read(&mut self, m: &MemberInfo) -> Result<Vec<u8>, ArchiveError> {
        let err = |detail: String| ArchiveError::Member {
            name: m.name.clone(),
            detail,
        };
        let f = self
            .archive
            .by_index(m.index)
            .map_err(|e| err(e.to_string()))?;
        let declared = f.size();
        let compressed = f.compressed_size().max(1);
        if declared > MAX_MEMBER_SIZE {
            return Err(err(format!(
                "declares {declared} bytes, more than the limit"
            )));
        }
        if declared > (1 << 20) && declared / compressed > MAX_RATIO {
            return Err(err(format!(
                "compression ratio {} suggests a zip bomb",
                declared / compressed
            )));
        }
        let mut buf = Vec::with_capacity(declared.min(1 << 28) as usize);
        // The deflate decoder does not stop at the declared size: a member that lies about its
        // size would otherwise inflate up to the limit.
        let mut limited = f.take(declared + 1);
        limited
            .read_to_end(&mut buf)
            .map_err(|e| err(e.to_string()))?;
        if buf.len() as u64 > MAX_MEMBER_SIZE || buf.len() as u64 != declared {
            return Err(err("size differs from the declared size".into()));
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
