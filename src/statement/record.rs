//! The run statement's record: its entry names, format and fields (as `run-statement.json`
//! holds them), and the SHA-256 helpers. A leaf of [`crate::statement`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Config;

/// The readable statement's entry name.
pub const HTML_NAME: &str = "run-statement.html";
/// The manifest's entry name.
pub const MANIFEST_NAME: &str = "manifest-sha256.txt";
/// The statement's entry name.
pub const STATEMENT_NAME: &str = "run-statement.json";
/// The signature's entry name.
pub const SIGNATURE_NAME: &str = "run-statement.sig";
/// The statement's format, first field of the JSON.
pub const FORMAT: &str = "dicom-deid run statement 1";

/// The engine's build: `git describe` of the source it was built from (set by `build.rs`), the
/// same for the native and the WebAssembly builds of one source, which give the same bytes.
pub const BUILD: &str = env!("DICOM_DEID_BUILD");

/// The engine that made the zip.
#[derive(Debug, Serialize)]
pub(crate) struct EngineInfo {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    pub(crate) build: &'static str,
}

/// The self-check: on or off, files it passed and failed.
#[derive(Debug, Serialize)]
pub(crate) struct SelfCheck {
    pub(crate) enabled: bool,
    pub(crate) files_checked: u64,
    pub(crate) files_failed: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct SignatureInfo {
    pub(crate) algorithm: &'static str,
    pub(crate) file: &'static str,
    pub(crate) public_key: String,
    pub(crate) public_key_fingerprint: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ManifestInfo {
    pub(crate) file: &'static str,
    pub(crate) layout: &'static str,
    pub(crate) entries: usize,
    pub(crate) sha256: String,
}

/// The statement as `run-statement.json` holds it (field order fixed: the same bytes each time).
#[derive(Debug, Serialize)]
pub(crate) struct Statement<'a> {
    pub(crate) format: &'static str,
    pub(crate) engine: EngineInfo,
    pub(crate) run_time: &'a str,
    pub(crate) options: &'a Config,
    pub(crate) recipe_sha256: Option<String>,
    pub(crate) outcomes: BTreeMap<&'static str, u64>,
    pub(crate) reasons: BTreeMap<String, u64>,
    pub(crate) pixels: BTreeMap<&'static str, u64>,
    pub(crate) self_check: SelfCheck,
    pub(crate) secret_fingerprint: String,
    pub(crate) signature: SignatureInfo,
    pub(crate) manifest: ManifestInfo,
}

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// SHA-256 of parts written one after the other (a rewritten header and the input's pixel data).
pub fn sha256_of(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}
