//! The ledger: the record of what a destination has stored, kept beside the output (CLI:
//! `<zip>.sent.csv`) or in IndexedDB (page), so that a second send sends nothing and a
//! resumed send sends only the rest. A CSV text, appended to after each request:
//!
//! ```text
//! sop_instance_uid,sha256,destination,status,detail
//! 2.25.1234…,9f86d0…,http://pacs.example/dicom-web,stored,
//! ```
//!
//! `status` is `stored`, `warning` (stored with a warning) or `failed`; a later row of the
//! same instance and destination overrides an earlier one. An instance counts as sent when its
//! last row for the destination says stored or warning *with the same SHA-256* (another run's
//! bytes under the same UID are sent again). The destination is the URL without credentials,
//! query or fragment ([`destination_label`]); no header is ever written.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use snafu::Snafu;

/// The header line.
pub const HEADER: &str = "sop_instance_uid,sha256,destination,status,detail\n";

/// An instance's recorded status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// Stored.
    Stored,
    /// Stored with a warning.
    Warning,
    /// Not stored (sent again next time).
    Failed,
}

impl LedgerStatus {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerStatus::Stored => "stored",
            LedgerStatus::Warning => "warning",
            LedgerStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<LedgerStatus> {
        match s {
            "stored" => Some(LedgerStatus::Stored),
            "warning" => Some(LedgerStatus::Warning),
            "failed" => Some(LedgerStatus::Failed),
            _ => None,
        }
    }

    /// Whether the archive holds the instance.
    pub fn is_stored(self) -> bool {
        self != LedgerStatus::Failed
    }
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// SOP Instance UID.
    pub sop_instance_uid: String,
    /// SHA-256 of the instance's bytes, 64 lower-case hex digits.
    pub sha256: String,
    /// Where ([`destination_label`]).
    pub destination: String,
    /// What became of it.
    pub status: LedgerStatus,
    /// The failure or warning reason, if any.
    pub detail: String,
}

/// Why a ledger cannot be read.
#[derive(Debug, Snafu)]
pub enum LedgerError {
    /// A row that is not the format above.
    #[snafu(display("ledger line {line}: {detail}"))]
    BadRow {
        /// line number (1 is the header)
        line: u64,
        /// what is wrong
        detail: String,
    },
}

impl LedgerError {
    /// The code shells see.
    pub fn code(&self) -> crate::codes::Code {
        crate::codes::Code::BadLedger
    }
}

/// A ledger read: the last row of each (instance, destination).
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    last: HashMap<(String, String), LedgerRow>,
}

impl Ledger {
    /// Reads a ledger's text (empty text: an empty ledger). A last line cut short (a send
    /// killed while appending) is ignored; any other bad row is an error.
    pub fn parse(text: &str) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger::default();
        let complete = match text.rfind('\n') {
            Some(i) => &text[..=i],
            None => "",
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(complete.as_bytes());
        let header_ok = reader
            .headers()
            .map(|h| h.iter().collect::<Vec<_>>().join(",") + "\n" == HEADER)
            .unwrap_or(false);
        if !complete.is_empty() && !header_ok {
            return BadRowSnafu {
                line: 1u64,
                detail: format!("the header is not {}", HEADER.trim_end()),
            }
            .fail();
        }
        for (i, rec) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| LedgerError::BadRow {
                line,
                detail: e.to_string(),
            })?;
            let row = row_of(&rec).ok_or_else(|| LedgerError::BadRow {
                line,
                detail: "expected 5 fields with a status of stored, warning or failed".into(),
            })?;
            ledger.record(row);
        }
        Ok(ledger)
    }

    /// Adds a row (as appending it to the text would).
    pub fn record(&mut self, row: LedgerRow) {
        let key = (row.sop_instance_uid.clone(), row.destination.clone());
        self.last.insert(key, row);
    }

    /// The last row of an instance for a destination.
    pub fn get(&self, sop_instance_uid: &str, destination: &str) -> Option<&LedgerRow> {
        self.last
            .get(&(sop_instance_uid.to_string(), destination.to_string()))
    }

    /// Whether these bytes of this instance are stored at this destination.
    pub fn is_stored(&self, sop_instance_uid: &str, sha256: &str, destination: &str) -> bool {
        self.get(sop_instance_uid, destination)
            .is_some_and(|r| r.status.is_stored() && r.sha256 == sha256)
    }

    /// Of the candidates (SOP Instance UID, SHA-256), the indices of those still to send to
    /// the destination, in order.
    pub fn still_to_send(&self, candidates: &[(&str, &str)], destination: &str) -> Vec<usize> {
        candidates
            .iter()
            .enumerate()
            .filter(|(_, (uid, sha))| !self.is_stored(uid, sha, destination))
            .map(|(i, _)| i)
            .collect()
    }

    /// Rows held (one per instance and destination).
    pub fn len(&self) -> usize {
        self.last.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

fn row_of(rec: &csv::StringRecord) -> Option<LedgerRow> {
    if rec.len() != 5 {
        return None;
    }
    Some(LedgerRow {
        sop_instance_uid: rec.get(0)?.to_string(),
        sha256: rec.get(1)?.to_string(),
        destination: rec.get(2)?.to_string(),
        status: LedgerStatus::parse(rec.get(3)?)?,
        detail: rec.get(4)?.to_string(),
    })
}

/// A row as a CSV line (to append; [`HEADER`] first when the file is new).
pub fn row_line(row: &LedgerRow) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; an error would leave the line empty.
    let _ = w.write_record([
        row.sop_instance_uid.as_str(),
        row.sha256.as_str(),
        row.destination.as_str(),
        row.status.as_str(),
        row.detail.as_str(),
    ]);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A destination URL as the ledger and logs record it: without user and password, query and
/// fragment (where tokens hide), and without a trailing slash.
pub fn destination_label(url: &str) -> String {
    let url = url.trim();
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..cut];
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}{host}{}", &rest[authority_end..])
        .trim_end_matches('/')
        .to_string()
}

/// SHA-256 of an instance's bytes in the ledger's form (64 lower-case hex digits).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(uid: &str, sha: &str, status: LedgerStatus) -> LedgerRow {
        LedgerRow {
            sop_instance_uid: uid.into(),
            sha256: sha.into(),
            destination: "http://pacs/dicom-web".into(),
            status,
            detail: String::new(),
        }
    }

    #[test]
    fn rows_written_are_read_back_and_the_last_row_wins() {
        let mut text = HEADER.to_string();
        text += &row_line(&row("1.1", "aa", LedgerStatus::Failed));
        text += &row_line(&row("1.2", "bb", LedgerStatus::Stored));
        text += &row_line(&LedgerRow {
            detail: "Warning Reason 0xB000, \"coerced\"".into(),
            ..row("1.3", "cc", LedgerStatus::Warning)
        });
        text += &row_line(&row("1.1", "aa", LedgerStatus::Stored));
        text += &row_line(&row("1.4", "dd", LedgerStatus::Stored));
        text += &row_line(&row("1.4", "dd", LedgerStatus::Failed));
        let ledger = Ledger::parse(&text).expect("ledger");
        assert_eq!(ledger.len(), 4);
        let dest = "http://pacs/dicom-web";
        let candidates = [
            ("1.1", "aa"),
            ("1.2", "bb"),
            ("1.2", "other bytes"),
            ("1.3", "cc"),
            ("1.4", "dd"),
            ("1.5", "ee"),
        ];
        assert_eq!(ledger.still_to_send(&candidates, dest), vec![2, 4, 5]);
        assert_eq!(
            ledger.still_to_send(&candidates, "http://other"),
            vec![0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            ledger.get("1.3", dest).map(|r| r.detail.as_str()),
            Some("Warning Reason 0xB000, \"coerced\"")
        );
    }

    #[test]
    fn a_line_cut_short_is_ignored_and_a_bad_row_is_an_error() {
        let mut text = HEADER.to_string() + &row_line(&row("1.1", "aa", LedgerStatus::Stored));
        text += "1.2,bb,http://pacs/dicom-web,sto";
        assert_eq!(Ledger::parse(&text).expect("ledger").len(), 1);
        assert!(Ledger::parse("").expect("empty").is_empty());
        let bad = HEADER.to_string() + "1.2,bb,http://pacs,maybe,\n";
        assert!(matches!(
            Ledger::parse(&bad),
            Err(LedgerError::BadRow { line: 2, .. })
        ));
        assert!(Ledger::parse("uid,status\n").is_err());
    }

    #[test]
    fn destinations_lose_credentials_queries_and_fragments() {
        assert_eq!(
            destination_label("https://user:secret@pacs.example:8443/dicom-web/?token=abc#x"),
            "https://pacs.example:8443/dicom-web"
        );
        assert_eq!(
            destination_label("http://127.0.0.1:8042/dicom-web"),
            "http://127.0.0.1:8042/dicom-web"
        );
        assert_eq!(sha256_hex(b"abc").len(), 64);
        assert!(sha256_hex(b"abc").starts_with("ba7816bf"));
    }
}
