//! What a zip may deliver: only the instances its signed run statement and manifest vouch for.
//!
//! A zip is first checked as a whole, exactly as `dicom-deid verify` and the page's "Check a
//! received zip" check it ([`crate::statement::check`]: the signature, by the statement's key
//! and by the given key when there is one; the manifest's SHA-256; every entry's SHA-256, none
//! missing or added). A zip that fails is refused as a whole, with the check's lines, and
//! nothing of it is sent. A zip that holds gives [`Vouched`]: the instance entries the manifest
//! lists with their SHA-256; then each instance's bytes, as read again to be sent, are admitted
//! only when they are listed and hash to the listed SHA-256 ([`Vouched::admit`]), so a zip
//! changed between the check and the send sends nothing that was changed.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use snafu::Snafu;

use crate::deliver::is_instance_entry;
use crate::statement::check::{Problem, Verified};
use crate::statement::manifest;
use crate::statement::received::{self, ReadError, ReadZip};
use crate::statement::record::sha256;

/// The instances a zip that holds may deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vouched {
    /// The instance entries the manifest lists, by name, with their SHA-256.
    sums: BTreeMap<String, [u8; 32]>,
    /// What the check found.
    pub verified: Verified,
}

/// Why an instance's bytes are not sent.
#[derive(Debug, Snafu, PartialEq, Eq)]
pub enum Unvouched {
    /// The entry is in no manifest (or is not an instance entry).
    #[snafu(display("{name}: not in the manifest, never sent"))]
    NotListed {
        /// entry name
        name: String,
    },
    /// The bytes read are not those the manifest lists.
    #[snafu(display(
        "{name}: differs from the manifest (its SHA-256 is not the one recorded), not sent"
    ))]
    Changed {
        /// entry name
        name: String,
    },
}

/// A zip refused as a whole: the check's problems, each naming its file (the lines of
/// `dicom-deid verify`).
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    /// What does not hold.
    pub problems: Vec<Problem>,
}

impl Refused {
    /// One line per problem, as `dicom-deid verify` prints them.
    pub fn lines(&self) -> Vec<String> {
        self.problems.iter().map(ToString::to_string).collect()
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.problems.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(
            f,
            "the zip does not hold against its signed run statement ({n} problem{plural}); nothing of it is sent:"
        )?;
        for line in self.lines() {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

/// The decision on a zip already read ([`received::read_zip`]); `public_key` is the project's
/// key when the caller has it (else the statement's own key is used, as `verify` does).
pub fn vouch(zip: &ReadZip, public_key: Option<[u8; 32]>) -> Result<Vouched, Refused> {
    let verified =
        received::check_read(zip, public_key).map_err(|problems| Refused { problems })?;
    // The check parsed this manifest already; a zip that holds has one.
    let text = zip.texts[1].as_deref().unwrap_or_default();
    let listed = manifest::parse(&String::from_utf8_lossy(text)).map_err(|e| Refused {
        problems: vec![Problem::BadManifest { source: e }],
    })?;
    let sums = listed
        .into_iter()
        .filter(|(name, _)| is_instance_entry(name))
        .collect();
    Ok(Vouched { sums, verified })
}

/// Reads a zip (every entry hashed in chunks: a fixed buffer, whatever its size) and decides.
pub fn vouch_zip<R: Read + Seek>(
    reader: R,
    public_key: Option<[u8; 32]>,
) -> Result<Result<Vouched, Refused>, ReadError> {
    Ok(vouch(&received::read_zip(reader)?, public_key))
}

impl Vouched {
    /// The instance entries the manifest lists, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sums.keys().map(String::as_str)
    }

    /// How many instance entries the manifest lists.
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    /// Whether the manifest lists no instance.
    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// The listed SHA-256 of an instance entry.
    pub fn sha256_of(&self, name: &str) -> Option<&[u8; 32]> {
        self.sums.get(name)
    }

    /// Entry `name`'s bytes as read to be sent: their SHA-256 when the manifest lists the entry
    /// with exactly that SHA-256, else why they are not sent.
    pub fn admit(&self, name: &str, bytes: &[u8]) -> Result<[u8; 32], Unvouched> {
        let listed = self.sums.get(name).ok_or_else(|| Unvouched::NotListed {
            name: name.to_string(),
        })?;
        let got = sha256(bytes);
        if got != *listed {
            return ChangedSnafu { name }.fail();
        }
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::check::Verified;

    fn vouched(entries: &[(&str, &[u8])]) -> Vouched {
        Vouched {
            sums: entries
                .iter()
                .map(|(n, b)| (n.to_string(), sha256(b)))
                .collect(),
            verified: Verified {
                key_fingerprint: String::new(),
                key_given: false,
                entries: entries.len(),
                run_time: String::new(),
            },
        }
    }

    #[test]
    fn only_listed_bytes_are_admitted() {
        let v = vouched(&[("A/A_1/1_CT/1.dcm", b"one"), ("A/A_1/1_CT/2.dcm", b"two")]);
        assert_eq!(v.admit("A/A_1/1_CT/1.dcm", b"one"), Ok(sha256(b"one")));
        assert_eq!(
            v.admit("A/A_1/1_CT/1.dcm", b"onE"),
            Err(Unvouched::Changed {
                name: "A/A_1/1_CT/1.dcm".into()
            })
        );
        // the bytes of another listed entry under this name
        assert!(v.admit("A/A_1/1_CT/2.dcm", b"one").is_err());
        assert_eq!(
            v.admit("A/A_1/1_CT/3.dcm", b"one"),
            Err(Unvouched::NotListed {
                name: "A/A_1/1_CT/3.dcm".into()
            })
        );
        assert_eq!(v.names().collect::<Vec<_>>().len(), 2);
    }
}
