//! The import report of a recipe converted from another tool (CTP script, deid recipe): one row
//! per construct of the source, saying what it became or why it is not supported. A recipe
//! whose report has an unsupported row is refused unless the user accepts the report
//! (`--accept-import-report`): nothing is weakened silently. An element whose row is not
//! supported is decided by the profile (PS3.15 Table E.1-1) as if the row were not there.

use serde::Serialize;

/// What became of one construct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Imported with the same effect.
    Imported,
    /// Imported; the effect differs in a way the detail says (never keeping more than the
    /// source would).
    Approximated,
    /// Not imported: the profile decides instead; the detail says why.
    Unsupported,
    /// Disabled in the source (`en="F"`, `#set.`), or with no effect: nothing to import.
    Ignored,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    /// Where in the source (`<e t="00100020" n="PatientID">`, `%header line 12`).
    pub source: String,
    /// The construct as written.
    pub construct: String,
    /// What became of it.
    pub status: RowStatus,
    /// Imported as what, or why not.
    pub detail: String,
}

/// The report of one import.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImportReport {
    /// The source format (`CTP DicomAnonymizer script (xml)`, `pydicom deid recipe`).
    pub format: String,
    /// One row per construct, in source order.
    pub rows: Vec<ReportRow>,
    /// The recipe uses CTP's unkeyed MD5 functions (reversible by dictionary attack).
    pub unkeyed_md5: bool,
}

/// Counts of a report's rows by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// [`RowStatus::Imported`]
    pub imported: usize,
    /// [`RowStatus::Approximated`]
    pub approximated: usize,
    /// [`RowStatus::Unsupported`]
    pub unsupported: usize,
    /// [`RowStatus::Ignored`]
    pub ignored: usize,
}

/// The warning given when a recipe uses CTP's unkeyed hashes.
pub const UNKEYED_MD5_WARNING: &str = "this recipe uses CTP's unkeyed MD5 pseudonyms (@hash, \
@hashuid, @hashdate, @hashname, @hashptid): anyone who can guess an original value (an MRN, a \
name, a UID) can recompute its pseudonym and so reverse it by dictionary attack (PS3.15 E.1.1). \
Use them only to stay linkable with earlier CTP batches; the keyed form is the default";

impl ImportReport {
    /// A new empty report.
    pub fn new(format: impl Into<String>) -> Self {
        ImportReport {
            format: format.into(),
            ..Default::default()
        }
    }

    /// Adds a row.
    pub fn push(
        &mut self,
        source: String,
        construct: &str,
        status: RowStatus,
        detail: impl Into<String>,
    ) {
        self.rows.push(ReportRow {
            source,
            construct: construct.to_string(),
            status,
            detail: detail.into(),
        });
    }

    /// Counts by status.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.rows {
            match r.status {
                RowStatus::Imported => c.imported += 1,
                RowStatus::Approximated => c.approximated += 1,
                RowStatus::Unsupported => c.unsupported += 1,
                RowStatus::Ignored => c.ignored += 1,
            }
        }
        c
    }

    /// Whether some row is not supported (the recipe then needs the user's acceptance).
    pub fn has_unsupported(&self) -> bool {
        self.rows.iter().any(|r| r.status == RowStatus::Unsupported)
    }

    /// The report as text: a summary line, the MD5 warning when it applies, then the rows that
    /// are not plainly imported (all rows when `all`).
    pub fn to_text(&self, all: bool) -> String {
        let c = self.counts();
        let mut out = format!(
            "import report ({}): {} imported, {} approximated, {} not supported, {} ignored\n",
            self.format, c.imported, c.approximated, c.unsupported, c.ignored
        );
        if self.unkeyed_md5 {
            out.push_str("WARNING: ");
            out.push_str(UNKEYED_MD5_WARNING);
            out.push('\n');
        }
        for r in self
            .rows
            .iter()
            .filter(|r| all || r.status != RowStatus::Imported)
        {
            let status = match r.status {
                RowStatus::Imported => "imported",
                RowStatus::Approximated => "approximated",
                RowStatus::Unsupported => "NOT SUPPORTED",
                RowStatus::Ignored => "ignored",
            };
            out.push_str(&format!(
                "  {status}: {} {} — {}\n",
                r.source, r.construct, r.detail
            ));
        }
        out
    }
}
