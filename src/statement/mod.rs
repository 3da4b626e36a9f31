//! The run statement: what was done, with which software and settings, to exactly which files.
//! Every zip ends with four entries made here, from the job's facts and the run's time given by
//! the shell (the engine has no clock), so the page and the CLI write the same bytes:
//!
//! - `run-statement.html`: the statement for reading (covered by the manifest);
//! - `manifest-sha256.txt`: SHA-256 of every entry before it ([`manifest`]);
//! - `run-statement.json`: the statement, with the SHA-256 of the manifest and the public key;
//! - `run-statement.sig`: the Ed25519 signature of `run-statement.json` ([`signing`]).
//!
//! So one signature covers every byte of the zip: the signature the statement, the statement the
//! manifest, the manifest every other entry. [`check`] verifies a received zip. Nothing in the
//! statement comes from the input files (no path, ID, name, date or UID): counts, options, the
//! engine's version, fingerprints and hashes of the outputs.

pub mod check;
pub mod html;
pub mod manifest;
pub mod received;
pub mod record;
pub mod signing;

pub use record::{
    sha256, sha256_of, BUILD, FORMAT, HTML_NAME, MANIFEST_NAME, SIGNATURE_NAME, STATEMENT_NAME,
};
use record::{EngineInfo, ManifestInfo, SelfCheck, SignatureInfo, Statement};

use std::collections::BTreeMap;

use snafu::{ResultExt, Snafu};

use crate::config::Config;
use crate::report::{LogRow, Outcome};
use crate::uid::Keyed;

/// Why a statement cannot be made.
#[derive(Debug, Snafu)]
pub enum StatementError {
    /// The run's time given by the shell is not an RFC 3339 date and time.
    #[snafu(display("the run's time {given:?} is not an RFC 3339 date and time (2026-12-06T10:00:00Z): {source}"))]
    RunTime {
        /// the text given
        given: String,
        /// cause
        source: time::error::Parse,
    },
    /// The run's time cannot be written (a year beyond 9999).
    #[snafu(display("the run's time {given:?} cannot be written"))]
    RunTimeFormat {
        /// the text given
        given: String,
    },
    /// The statement cannot be serialised.
    #[snafu(display("the run statement cannot be written: {source}"))]
    Json {
        /// cause
        source: serde_json::Error,
    },
}

/// The run's time as the statement records it: UTC, whole seconds (`2026-12-06T10:00:00Z`), from
/// any RFC 3339 text (a browser's `Date.toISOString()`, a CLI option).
pub fn run_time(given: &str) -> Result<String, StatementError> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(given.trim(), &Rfc3339)
        .context(RunTimeSnafu { given })?
        .to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt)
        .ok()
        .filter(|s| s.len() == 20)
        .ok_or_else(|| StatementError::RunTimeFormat {
            given: given.to_string(),
        })
}

/// What the job knows when its zip closes: the facts of the statement.
#[derive(Debug)]
pub struct Facts<'a> {
    /// The options of the run.
    pub config: &'a Config,
    /// The project secret (for its fingerprint and the signing key).
    pub keyed: &'a Keyed,
    /// The log's rows (counts by outcome and reason are taken from them).
    pub rows: &'a [LogRow],
    /// The run's time, from [`run_time`].
    pub run_time: &'a str,
}

/// The log's reason codes that record a decision about pixels, and the statement's name of each.
const PIXEL_REASONS: [(&str, &str); 8] = [
    ("pixels_passed", "passed_by_gate_or_rule"),
    ("no_text_detected", "passed_no_text_detected"),
    ("pixels_cleaned", "cleaned"),
    ("jpeg_text_removed", "codestream_text_removed"),
    ("pixels_kept", "kept_as_accepted_risk"),
    ("pixel_excluded", "excluded"),
    ("pixel_review_needed", "held_for_review"),
    ("pixel_cannot_clean", "held_cannot_clean"),
];

/// Counts by outcome (every outcome of the log, zeros included), by reason code, and of the
/// pixel decisions.
type Tally = (
    BTreeMap<&'static str, u64>,
    BTreeMap<String, u64>,
    BTreeMap<&'static str, u64>,
);

fn tally(rows: &[LogRow]) -> Tally {
    let mut outcomes: BTreeMap<&'static str, u64> =
        Outcome::ALL.iter().map(|o| (o.as_str(), 0)).collect();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut pixels: BTreeMap<&'static str, u64> =
        PIXEL_REASONS.iter().map(|(_, name)| (*name, 0)).collect();
    for r in rows {
        *outcomes.entry(r.outcome.as_str()).or_default() += 1;
        if r.reason_code.is_empty() {
            continue;
        }
        *reasons.entry(r.reason_code.clone()).or_default() += 1;
        if let Some((_, name)) = PIXEL_REASONS.iter().find(|(c, _)| *c == r.reason_code) {
            *pixels.entry(name).or_default() += 1;
        }
    }
    (outcomes, reasons, pixels)
}

/// The fingerprint of the project secret as the page shows it: the first 4 bytes of the
/// SHA-256 of the (trimmed) secret, in hex. It names the secret; it does not reveal it.
pub fn secret_fingerprint(keyed: &Keyed) -> String {
    keyed.fingerprint()
}

/// The four closing entries of a zip (readable statement, manifest, statement, signature), in
/// that order, after the `covered` entries (every entry written before, with its SHA-256).
pub fn closing_entries(
    facts: &Facts,
    mut covered: Vec<(String, [u8; 32])>,
) -> Result<Vec<(String, Vec<u8>)>, StatementError> {
    let (outcomes, reasons, pixels) = tally(facts.rows);
    let written = outcomes.get("written").copied().unwrap_or(0);
    let failed = reasons.get("self_check").copied().unwrap_or(0);
    let public_key = signing::public_key_hex(facts.keyed);
    let key_bytes = signing::unhex::<32>(&public_key).unwrap_or([0; 32]);
    let mut statement = Statement {
        format: FORMAT,
        engine: EngineInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            build: BUILD,
        },
        run_time: facts.run_time,
        options: facts.config,
        // The recipe's text as the options hold it (the plan file's hash is the same).
        recipe_sha256: facts
            .config
            .recipe
            .as_deref()
            .map(|t| signing::sha256_hex(t.as_bytes())),
        outcomes,
        reasons,
        pixels,
        self_check: SelfCheck {
            enabled: facts.config.verify,
            files_checked: if facts.config.verify {
                written + failed
            } else {
                0
            },
            files_failed: failed,
        },
        secret_fingerprint: secret_fingerprint(facts.keyed),
        signature: SignatureInfo {
            algorithm: "Ed25519",
            file: SIGNATURE_NAME,
            public_key_fingerprint: signing::key_fingerprint(&key_bytes),
            public_key,
        },
        manifest: ManifestInfo {
            file: MANIFEST_NAME,
            layout: "BagIt payload manifest (RFC 8493 2.1.3), paths relative to the zip's root",
            entries: 0,
            sha256: String::new(),
        },
    };
    let html = html::render(&statement).into_bytes();
    covered.push((HTML_NAME.to_string(), sha256(&html)));
    let manifest_text = manifest::write(&covered).into_bytes();
    statement.manifest.entries = covered.len();
    statement.manifest.sha256 = signing::sha256_hex(&manifest_text);
    let mut json = serde_json::to_vec_pretty(&statement).context(JsonSnafu)?;
    json.push(b'\n');
    let sig = signing::sign(facts.keyed, &json).into_bytes();
    Ok(vec![
        (HTML_NAME.to_string(), html),
        (MANIFEST_NAME.to_string(), manifest_text),
        (STATEMENT_NAME.to_string(), json),
        (SIGNATURE_NAME.to_string(), sig),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_times_are_utc_whole_seconds() {
        let t = |s: &str| run_time(s).ok();
        assert_eq!(
            t("2026-12-06T10:00:00Z").as_deref(),
            Some("2026-12-06T10:00:00Z")
        );
        assert_eq!(
            t("2026-12-06T10:00:00.987Z").as_deref(),
            Some("2026-12-06T10:00:00Z")
        );
        assert_eq!(
            t("2026-12-06T19:30:05+09:00").as_deref(),
            Some("2026-12-06T10:30:05Z")
        );
        assert_eq!(t("2026-12-06"), None);
        assert_eq!(t("yesterday"), None);
    }
}
