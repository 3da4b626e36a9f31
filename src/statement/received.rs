//! A received zip read for [`crate::statement::check`]: every entry's name and SHA-256 (read in
//! chunks, so an entry of any size costs a fixed buffer) and the bytes of the statement, the
//! manifest and the signature. Generic over the reader: the CLI gives a file, the page the
//! dropped zip's bytes; both then check with the same code ([`check_zip`]).

use std::io::{Read, Seek};

use sha2::Digest;
use snafu::{ResultExt, Snafu};

use crate::statement::check::{check, Problem, Received, Verified};
use crate::statement::record::{MANIFEST_NAME, SIGNATURE_NAME, STATEMENT_NAME};

/// The largest statement, manifest or signature kept (a manifest line is about 100 bytes).
const MAX_TEXT_ENTRY: u64 = 512 << 20;

/// Why a zip cannot be read for the check.
#[derive(Debug, Snafu)]
pub enum ReadError {
    /// Not a zip, or its directory cannot be read.
    #[snafu(display("not a readable zip: {source}"))]
    Open {
        /// cause
        source: zip::result::ZipError,
    },
    /// An entry cannot be found or opened.
    #[snafu(display("entry {index} cannot be opened: {source}"))]
    Entry {
        /// its index
        index: usize,
        /// cause
        source: zip::result::ZipError,
    },
    /// An entry's bytes cannot be read (cut short, a bad CRC, a compression error).
    #[snafu(display("{name}: cannot be read: {source}"))]
    EntryRead {
        /// entry name
        name: String,
        /// cause
        source: std::io::Error,
    },
}

/// A zip as read: its entries' names and SHA-256, in order, and the three texts of the
/// statement (`[run-statement.json, manifest-sha256.txt, run-statement.sig]`).
#[derive(Debug, Default)]
pub struct ReadZip {
    /// Every entry: name and SHA-256.
    pub entries: Vec<(String, [u8; 32])>,
    /// The statement, the manifest and the signature, when present.
    pub texts: [Option<Vec<u8>>; 3],
    /// The bytes of every entry, summed (what was hashed).
    pub bytes: u64,
}

/// Reads every entry of a zip, hashing it.
pub fn read_zip<R: Read + Seek>(reader: R) -> Result<ReadZip, ReadError> {
    let mut zip = zip::ZipArchive::new(reader).context(OpenSnafu)?;
    let names = [STATEMENT_NAME, MANIFEST_NAME, SIGNATURE_NAME];
    let mut out = ReadZip {
        entries: Vec::with_capacity(zip.len()),
        ..ReadZip::default()
    };
    let mut buf = vec![0u8; 1 << 20];
    for index in 0..zip.len() {
        let mut e = zip.by_index(index).context(EntrySnafu { index })?;
        let name = e.name().to_string();
        let slot = names.iter().position(|n| *n == name);
        let mut text = Vec::new();
        let mut h = sha2::Sha256::new();
        loop {
            let n = e.read(&mut buf).context(EntryReadSnafu { name: &name })?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            out.bytes += n as u64;
            if slot.is_some() && (text.len() as u64) < MAX_TEXT_ENTRY {
                text.extend_from_slice(&buf[..n]);
            }
        }
        if let Some(s) = slot.and_then(|s| out.texts.get_mut(s)) {
            *s = Some(text);
        }
        out.entries.push((name, h.finalize().into()));
    }
    Ok(out)
}

/// Reads a zip and checks it against its statement ([`check`]); `public_key` is the
/// reviewer's copy of the project's key.
pub fn check_zip<R: Read + Seek>(
    reader: R,
    public_key: Option<[u8; 32]>,
) -> Result<Result<Verified, Vec<Problem>>, ReadError> {
    Ok(check_read(&read_zip(reader)?, public_key))
}

/// Checks a zip already read ([`read_zip`]) against its statement.
pub fn check_read(zip: &ReadZip, public_key: Option<[u8; 32]>) -> Result<Verified, Vec<Problem>> {
    let [statement, manifest, signature] = &zip.texts;
    let received = Received {
        entries: &zip.entries,
        statement: statement.as_deref(),
        manifest: manifest.as_deref(),
        signature: signature.as_deref(),
    };
    check(&received, public_key)
}
