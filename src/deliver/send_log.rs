//! The send log: one row per instance of the zip with its outcome at the destination (CLI:
//! `<zip>.send-log.csv`; the page shows the same rows). Unlike the ledger it covers one send
//! and every instance, the ones not sent included. It holds no PHI (zip paths and new UIDs)
//! and no credential.

use serde::{Deserialize, Serialize};

/// The header line.
pub const HEADER: &str = "path,sop_instance_uid,outcome,reason,destination\n";

/// What became of one instance in this send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendOutcome {
    /// Stored by the destination.
    Stored,
    /// Stored with a warning.
    Warning,
    /// Not stored (the reason says why).
    Failed,
    /// No archive can store it ([`super::storable`]); not sent.
    NotStorable,
    /// The ledger says the destination holds these bytes already; not sent.
    AlreadyStored,
}

impl SendOutcome {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            SendOutcome::Stored => "stored",
            SendOutcome::Warning => "warning",
            SendOutcome::Failed => "failed",
            SendOutcome::NotStorable => "not_storable",
            SendOutcome::AlreadyStored => "already_stored",
        }
    }

    /// Whether the destination holds the instance after this send.
    pub fn is_held(self) -> bool {
        matches!(
            self,
            SendOutcome::Stored | SendOutcome::Warning | SendOutcome::AlreadyStored
        )
    }
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRow {
    /// The instance's path in the zip.
    pub path: String,
    /// Its SOP Instance UID (empty when not storable for want of one).
    pub sop_instance_uid: String,
    /// What became of it.
    pub outcome: SendOutcome,
    /// Why (a failure, warning or not-storable reason), or empty.
    pub reason: String,
    /// Where ([`super::ledger::destination_label`]).
    pub destination: String,
}

/// A row as a CSV line.
pub fn row_line(row: &SendRow) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; an error would leave the line empty.
    let _ = w.write_record([
        row.path.as_str(),
        row.sop_instance_uid.as_str(),
        row.outcome.as_str(),
        row.reason.as_str(),
        row.destination.as_str(),
    ]);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Counts by outcome, in the order of [`SendOutcome`]'s variants, as a `# summary:` line.
pub fn summary_line(rows: &[SendRow]) -> String {
    let all = [
        SendOutcome::Stored,
        SendOutcome::Warning,
        SendOutcome::Failed,
        SendOutcome::NotStorable,
        SendOutcome::AlreadyStored,
    ];
    let parts: Vec<String> = all
        .iter()
        .map(|o| {
            format!(
                "{}={}",
                o.as_str(),
                rows.iter().filter(|r| r.outcome == *o).count()
            )
        })
        .collect();
    format!("# summary: {}\n", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_csv_and_the_summary_counts_them() {
        let rows = vec![
            SendRow {
                path: "S1/S1_1/1_CT/1.dcm".into(),
                sop_instance_uid: "2.25.1".into(),
                outcome: SendOutcome::Failed,
                reason: "Failure Reason 0xC000, then \"gave up\"".into(),
                destination: "http://pacs/dicom-web".into(),
            },
            SendRow {
                path: "S1/S1_1/1_OT/2.dcm".into(),
                sop_instance_uid: String::new(),
                outcome: SendOutcome::NotStorable,
                reason: "not storable: no StudyInstanceUID".into(),
                destination: "http://pacs/dicom-web".into(),
            },
        ];
        assert_eq!(
            row_line(&rows[0]),
            "S1/S1_1/1_CT/1.dcm,2.25.1,failed,\"Failure Reason 0xC000, then \"\"gave up\"\"\",http://pacs/dicom-web\n"
        );
        assert_eq!(
            summary_line(&rows),
            "# summary: stored=0 warning=0 failed=1 not_storable=1 already_stored=0\n"
        );
        assert!(!SendOutcome::Failed.is_held());
        assert!(SendOutcome::AlreadyStored.is_held());
    }
}
