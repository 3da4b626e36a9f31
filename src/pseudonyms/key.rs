//! The key CSV (PHI; never inside the zip): one row per patient and study.
//!
//! Columns, always in this order: `research_id, mrn, original_accession, new_accession,
//! ct_date, surgery_date, anchor_date, date_shift_days, n_files, study_instance_uid`.
//! A key from an earlier batch can be given back so that patients keep their research IDs,
//! date shifts and study numbers.

use snafu::Snafu;

use super::read_csv_rows;

/// The key's header, in order.
pub const KEY_COLUMNS: [&str; 10] = [
    "research_id",
    "mrn",
    "original_accession",
    "new_accession",
    "ct_date",
    "surgery_date",
    "anchor_date",
    "date_shift_days",
    "n_files",
    "study_instance_uid",
];

/// One row of a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRow {
    /// Research ID.
    pub research_id: String,
    /// Original PatientID.
    pub mrn: String,
    /// Original AccessionNumber.
    pub original_accession: String,
    /// New AccessionNumber (`<research ID>_<N>`).
    pub new_accession: String,
    /// CT date (original), `YYYY-MM-DD`.
    pub ct_date: String,
    /// Surgery date from the mapping, `YYYY-MM-DD`.
    pub surgery_date: String,
    /// Anchor date, `YYYY-MM-DD`.
    pub anchor_date: String,
    /// Days added to every date of this patient.
    pub date_shift_days: i64,
    /// Files written for this study in this run.
    pub n_files: u64,
    /// Original StudyInstanceUID (joins batches).
    pub study_instance_uid: String,
}

/// Why a key CSV cannot be used.
#[derive(Debug, Snafu)]
pub enum KeyError {
    /// CSV syntax.
    #[snafu(display("key CSV cannot be read: {source}"))]
    Csv {
        /// cause
        source: csv::Error,
    },
    /// Missing column.
    #[snafu(display("key CSV lacks the column {column:?} (is it a key written by dicom-deid?)"))]
    MissingColumn {
        /// which
        column: &'static str,
    },
    /// Bad number.
    #[snafu(display("key CSV line {line}: date_shift_days {value:?} is not a number"))]
    BadShift {
        /// line
        line: usize,
        /// value
        value: String,
    },
}

/// Parses a key CSV written by this tool (columns found by header name).
pub fn parse_key(text: &str) -> Result<Vec<KeyRow>, KeyError> {
    let rows = read_csv_rows(text).map_err(|source| KeyError::Csv { source })?;
    let Some(header) = rows.first() else {
        return Ok(Vec::new());
    };
    let idx = |c: &'static str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(c))
            .ok_or(KeyError::MissingColumn { column: c })
    };
    let (rid, mrn, oacc, nacc) = (
        idx("research_id")?,
        idx("mrn")?,
        idx("original_accession")?,
        idx("new_accession")?,
    );
    let shift = idx("date_shift_days")?;
    let opt = |c: &'static str| header.iter().position(|h| h.eq_ignore_ascii_case(c));
    let (ct, sur, anc, nf, suid) = (
        opt("ct_date"),
        opt("surgery_date"),
        opt("anchor_date"),
        opt("n_files"),
        opt("study_instance_uid"),
    );
    let get =
        |r: &Vec<String>, i: Option<usize>| i.and_then(|i| r.get(i)).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        let s = get(r, Some(shift));
        let date_shift_days = if s.is_empty() {
            0
        } else {
            s.parse().map_err(|_| KeyError::BadShift {
                line: i + 1,
                value: s.clone(),
            })?
        };
        out.push(KeyRow {
            research_id: get(r, Some(rid)),
            mrn: get(r, Some(mrn)),
            original_accession: get(r, Some(oacc)),
            new_accession: get(r, Some(nacc)),
            ct_date: get(r, ct),
            surgery_date: get(r, sur),
            anchor_date: get(r, anc),
            date_shift_days,
            n_files: get(r, nf).parse().unwrap_or(0),
            study_instance_uid: get(r, suid),
        });
    }
    Ok(out)
}

/// Writes key rows as CSV text.
pub fn write_key(rows: &[KeyRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(KEY_COLUMNS);
    for r in rows {
        let _ = w.write_record([
            r.research_id.as_str(),
            &r.mrn,
            &r.original_accession,
            &r.new_accession,
            &r.ct_date,
            &r.surgery_date,
            &r.anchor_date,
            &r.date_shift_days.to_string(),
            &r.n_files.to_string(),
            &r.study_instance_uid,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
