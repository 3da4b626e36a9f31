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
        .map(|c| c.chars().map(|ch| if ch.is_control() { '_' } else { ch }).collect::<String>())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether bytes start like a zip archive.
pub fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && (bytes[0..4] == *b"PK\x03\x04" || bytes[0..4] == *b"PK\x05\x06")
}

impl ZipInput {
    /// Opens a zip from memory.
    pub fn open(bytes: Vec<u8>) -> Result<Self, ArchiveError> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Open { detail: e.to_string() })?;
        if archive.len() > MAX_MEMBERS {
            return Err(ArchiveError::TooMany);
        }
        Ok(ZipInput { archive })
    }

    /// The file entries (directories left out), in archive order.
    pub fn members(&mut self) -> Vec<MemberInfo> {
        let mut out = Vec::new();
        for i in 0..self.archive.len() {
            if let Ok(f) = self.archive.by_index_raw(i) {
                if f.is_dir() {
                    continue;
                }
                let mut name = normalise_name(f.name_raw());
                if name.is_empty() {
                    name = format!("entry{i}");
                }
                out.push(MemberInfo { index: i, name, size: f.size() });
            }
        }
        out
    }

    /// Reads one entry, enforcing the size and ratio limits while inflating.
    pub fn read(&mut self, m: &MemberInfo) -> Result<Vec<u8>, ArchiveError> {
        let err = |detail: String| ArchiveError::Member { name: m.name.clone(), detail };
        let f = self.archive.by_index(m.index).map_err(|e| err(e.to_string()))?;
        let declared = f.size();
        let compressed = f.compressed_size().max(1);
        if declared > MAX_MEMBER_SIZE {
            return Err(err(format!("declares {declared} bytes, more than the limit")));
        }
        if declared > (1 << 20) && declared / compressed > MAX_RATIO {
            return Err(err(format!("compression ratio {} suggests a zip bomb", declared / compressed)));
        }
        let mut buf = Vec::with_capacity(declared.min(1 << 28) as usize);
        let mut limited = f.take(MAX_MEMBER_SIZE + 1);
        limited.read_to_end(&mut buf).map_err(|e| err(e.to_string()))?;
        if buf.len() as u64 > MAX_MEMBER_SIZE || buf.len() as u64 != declared {
            return Err(err("size differs from the declared size".into()));
        }
        Ok(buf)
    }
}
