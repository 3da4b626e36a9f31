//! Checks a received zip against its statement: the signature of `run-statement.json` (by the
//! key it names, and by the reviewer's key when given), the manifest's SHA-256 recorded in the
//! statement, and every entry's SHA-256 in the manifest; every entry of the zip must be listed
//! (or be the manifest, the statement or the signature). Pure: the shell reads the zip.

use std::collections::{BTreeMap, BTreeSet};

use snafu::Snafu;

use crate::statement::manifest;
use crate::statement::record::{sha256, FORMAT, MANIFEST_NAME, SIGNATURE_NAME, STATEMENT_NAME};
use crate::statement::signing;

/// One thing that does not hold, naming the file.
#[derive(Debug, Snafu, PartialEq, Eq)]
pub enum Problem {
    /// A file the zip must hold is not there.
    #[snafu(display("{name}: missing from the zip"))]
    Missing {
        /// entry name
        name: String,
    },
    /// An entry's bytes are not those the manifest (or the statement) records.
    #[snafu(display("{name}: differs (its SHA-256 is not the one recorded)"))]
    Differs {
        /// entry name
        name: String,
    },
    /// An entry is in no manifest: added after the statement was made.
    #[snafu(display("{name}: added (not in the manifest)"))]
    Added {
        /// entry name
        name: String,
    },
    /// Two entries of one name.
    #[snafu(display("{name}: in the zip more than once"))]
    Duplicate {
        /// entry name
        name: String,
    },
    /// The statement cannot be read.
    #[snafu(display("{STATEMENT_NAME}: cannot be read ({detail})"))]
    Unreadable {
        /// what is wrong
        detail: String,
    },
    /// The manifest cannot be read.
    #[snafu(display("{source}"))]
    BadManifest {
        /// cause
        source: manifest::ManifestError,
    },
    /// The signature does not hold: the statement was edited, or signed by another key.
    #[snafu(display("{STATEMENT_NAME}: the signature in {SIGNATURE_NAME} does not hold (the statement was edited, or the signature replaced)"))]
    BadSignature,
    /// The statement is signed by another key than the reviewer's.
    #[snafu(display(
        "{STATEMENT_NAME}: signed by key {found}, not by the given public key {expected}"
    ))]
    OtherKey {
        /// fingerprint of the given key
        expected: String,
        /// fingerprint of the statement's key
        found: String,
    },
}

/// A zip as the shell read it: every entry's name and SHA-256 (in the zip's order), and the
/// bytes of the statement, the manifest and the signature when present.
#[derive(Debug)]
pub struct Received<'a> {
    /// Every entry: name and SHA-256.
    pub entries: &'a [(String, [u8; 32])],
    /// `run-statement.json`.
    pub statement: Option<&'a [u8]>,
    /// `manifest-sha256.txt`.
    pub manifest: Option<&'a [u8]>,
    /// `run-statement.sig`.
    pub signature: Option<&'a [u8]>,
}

/// What a zip that holds was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signing key's fingerprint.
    pub key_fingerprint: String,
    /// Whether the key was the reviewer's (else only the statement's own).
    pub key_given: bool,
    /// Entries checked against the manifest.
    pub entries: usize,
    /// The run's time recorded.
    pub run_time: String,
}

fn missing(name: &str) -> Problem {
    Problem::Missing {
        name: name.to_string(),
    }
}

/// The statement's public key, manifest hash and run time.
fn statement_fields(bytes: &[u8]) -> Result<([u8; 32], [u8; 32], String), Problem> {
    let unreadable = |detail: &str| Problem::Unreadable {
        detail: detail.to_string(),
    };
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| unreadable(&e.to_string()))?;
    let text = |ptr: &str| v.pointer(ptr).and_then(|x| x.as_str()).unwrap_or("");
    if text("/format") != FORMAT {
        return Err(unreadable("not a dicom-deid run statement"));
    }
    let key = signing::unhex::<32>(text("/signature/public_key"))
        .ok_or_else(|| unreadable("no public key"))?;
    let sum = signing::unhex::<32>(text("/manifest/sha256"))
        .ok_or_else(|| unreadable("no manifest SHA-256"))?;
    Ok((key, sum, text("/run_time").to_string()))
}

/// Checks a received zip; `public_key` is the reviewer's copy of the project's key. Every
/// problem is listed (a changed entry, a missing one, an added one, an edited statement).
pub fn check(zip: &Received, public_key: Option<[u8; 32]>) -> Result<Verified, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut sums: BTreeMap<&str, &[u8; 32]> = BTreeMap::new();
    for (name, sum) in zip.entries {
        if sums.insert(name.as_str(), sum).is_some() {
            problems.push(Problem::Duplicate { name: name.clone() });
        }
    }
    let (Some(statement), Some(manifest_bytes), Some(signature)) =
        (zip.statement, zip.manifest, zip.signature)
    else {
        for (name, got) in [
            (STATEMENT_NAME, zip.statement),
            (MANIFEST_NAME, zip.manifest),
            (SIGNATURE_NAME, zip.signature),
        ] {
            if got.is_none() {
                problems.push(missing(name));
            }
        }
        return Err(problems);
    };
    let (key, manifest_sum, run_time) = match statement_fields(statement) {
        Ok(f) => f,
        Err(p) => {
            problems.push(p);
            return Err(problems);
        }
    };
    let sig_text = String::from_utf8_lossy(signature);
    if !signing::signature_holds(&key, statement, &sig_text) {
        problems.push(Problem::BadSignature);
    }
    if let Some(given) = public_key.filter(|g| *g != key) {
        problems.push(Problem::OtherKey {
            expected: signing::key_fingerprint(&given),
            found: signing::key_fingerprint(&key),
        });
    }
    if sha256(manifest_bytes) != manifest_sum {
        problems.push(Problem::Differs {
            name: MANIFEST_NAME.to_string(),
        });
    }
    let listed = match manifest::parse(&String::from_utf8_lossy(manifest_bytes)) {
        Ok(l) => l,
        Err(source) => {
            problems.push(Problem::BadManifest { source });
            Vec::new()
        }
    };
    let mut seen: BTreeSet<&str> = [STATEMENT_NAME, MANIFEST_NAME, SIGNATURE_NAME].into();
    for (name, sum) in &listed {
        seen.insert(name.as_str());
        match sums.get(name.as_str()) {
            None => problems.push(missing(name)),
            Some(got) if *got != sum => problems.push(Problem::Differs { name: name.clone() }),
            Some(_) => {}
        }
    }
    for name in sums.keys().filter(|n| !seen.contains(*n)) {
        problems.push(Problem::Added {
            name: name.to_string(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Verified {
        key_fingerprint: signing::key_fingerprint(&key),
        key_given: public_key.is_some(),
        entries: listed.len(),
        run_time,
    })
}
