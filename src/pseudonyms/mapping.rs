//! The mapping CSV: `MRN, Accession, New_Patient_ID, Surgery_Date, [Anchor_Date], [Notes]`
//! (positional; header names are free). A value of five or more underscores means "not given".

use snafu::Snafu;

use super::{parse_loose_date, read_csv_rows};

/// One row of the mapping CSV.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MappingRow {
    /// 1-based line number in the CSV (header is line 1).
    pub line: usize,
    /// MRN (PatientID).
    pub mrn: Option<String>,
    /// Accession number.
    pub accession: Option<String>,
    /// Research ID to use.
    pub new_patient_id: Option<String>,
    /// Surgery date, `YYYYMMDD`.
    pub surgery_date: Option<String>,
    /// Anchor date, `YYYYMMDD`.
    pub anchor_date: Option<String>,
    /// Free-text notes (go to PatientComments and notes.txt).
    pub notes: Option<String>,
}

/// A parsed mapping CSV.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Mapping {
    /// Rows in file order.
    pub rows: Vec<MappingRow>,
}

/// Why a mapping CSV cannot be used.
#[derive(Debug, Snafu)]
pub enum MappingError {
    /// CSV syntax.
    #[snafu(display("mapping CSV cannot be read: {source}"))]
    Csv {
        /// cause
        source: csv::Error,
    },
    /// No data rows.
    #[snafu(display("mapping CSV has no data rows (expected a header, then MRN, Accession, New_Patient_ID, Surgery_Date, [Anchor_Date], [Notes])"))]
    Empty,
    /// Too few columns.
    #[snafu(display("mapping CSV line {line}: expected at least 3 columns (MRN, Accession, New_Patient_ID), found {found}"))]
    Columns {
        /// line number
        line: usize,
        /// columns found
        found: usize,
    },
    /// A date that cannot be understood.
    #[snafu(display(
        "mapping CSV line {line}: {column} {value:?} is not a date (use YYYY-MM-DD)"
    ))]
    BadDate {
        /// line number
        line: usize,
        /// column name
        column: &'static str,
        /// the value
        value: String,
    },
    /// A row without MRN and accession.
    #[snafu(display("mapping CSV line {line}: neither MRN nor Accession is given"))]
    NoKey {
        /// line number
        line: usize,
    },
    /// An unusable research ID.
    #[snafu(display("mapping CSV line {line}: New_Patient_ID {value:?} must be 1-16 characters without \\ / or control characters"))]
    BadId {
        /// line number
        line: usize,
        /// the value
        value: String,
    },
}

/// `_____` (five or more underscores) or blank → None.
fn given(v: Option<&String>) -> Option<String> {
    let v = v?.trim();
    if v.is_empty() || (v.len() >= 5 && v.chars().all(|c| c == '_')) {
        None
    } else {
        Some(v.to_string())
    }
}

/// Compares identifiers as a spreadsheet may have mangled them: trimmed, case-insensitive,
/// leading zeros ignored.
pub fn same_id(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim().to_ascii_uppercase();
        let t = s.trim_start_matches('0');
        if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        }
    };
    norm(a) == norm(b)
}

impl Mapping {
    /// Parses the CSV text (BOM, `,`/`;`/tab separators, quoted fields, Excel dates).
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        let rows = read_csv_rows(text).map_err(|source| MappingError::Csv { source })?;
        if rows.len() < 2 {
            return EmptySnafu.fail();
        }
        let mut out = Vec::new();
        for (i, r) in rows.iter().enumerate().skip(1) {
            let line = i + 1;
            if r.len() < 3 {
                return ColumnsSnafu {
                    line,
                    found: r.len(),
                }
                .fail();
            }
            let date = |idx: usize, column: &'static str| -> Result<Option<String>, MappingError> {
                match given(r.get(idx)) {
                    None => Ok(None),
                    Some(v) => parse_loose_date(&v).map(Some).ok_or(MappingError::BadDate {
                        line,
                        column,
                        value: v,
                    }),
                }
            };
            let row = MappingRow {
                line,
                mrn: given(r.first()),
                accession: given(r.get(1)),
                new_patient_id: given(r.get(2)),
                surgery_date: date(3, "Surgery_Date")?,
                anchor_date: date(4, "Anchor_Date")?,
                notes: given(r.get(5)),
            };
            if row.mrn.is_none() && row.accession.is_none() {
                return NoKeySnafu { line }.fail();
            }
            if let Some(id) = &row.new_patient_id {
                if id.len() > 16 || id.chars().any(|c| c == '\\' || c == '/' || c.is_control()) {
                    return BadIdSnafu {
                        line,
                        value: id.clone(),
                    }
                    .fail();
                }
            }
            out.push(row);
        }
        Ok(Mapping { rows: out })
    }

    /// Finds the row for a file: PatientID in the MRN column; else AccessionNumber in the
    /// Accession column; else the PatientID in the Accession column; else the accession in the
    /// MRN column (swapped columns). Among several MRN matches, the one whose accession also
    /// matches wins.
    pub fn lookup(&self, patient_id: Option<&str>, accession: Option<&str>) -> Option<&MappingRow> {
        let col = |f: fn(&MappingRow) -> Option<&String>, v: Option<&str>| -> Vec<&MappingRow> {
            match v {
                Some(v) if !v.trim().is_empty() => self
                    .rows
                    .iter()
                    .filter(|r| f(r).is_some_and(|x| same_id(x, v)))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let by_mrn = col(|r| r.mrn.as_ref(), patient_id);
        if !by_mrn.is_empty() {
            let acc_match = by_mrn
                .iter()
                .find(|r| match (r.accession.as_deref(), accession) {
                    (Some(a), Some(b)) => same_id(a, b),
                    _ => false,
                });
            return Some(acc_match.copied().unwrap_or(by_mrn[0]));
        }
        col(|r| r.accession.as_ref(), accession)
            .first()
            .copied()
            .or_else(|| col(|r| r.accession.as_ref(), patient_id).first().copied())
            .or_else(|| col(|r| r.mrn.as_ref(), accession).first().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_lookup() {
        let csv = "\u{feff}MRN;Acc;New_Patient_ID;Surgery_Date;Anchor_Date;Notes\n\
                   00123;A1;P001;2024-03-01;;\"left, side\"\n\
                   _____;A2;P002;_____;;\n\
                   A3;999;P003;3/1/2024;2024-06-01;\n";
        let m = Mapping::parse(csv).unwrap();
        assert_eq!(m.rows.len(), 3);
        assert_eq!(m.rows[0].notes.as_deref(), Some("left, side"));
        assert_eq!(
            m.lookup(Some("123"), None)
                .unwrap()
                .new_patient_id
                .as_deref(),
            Some("P001")
        );
        assert_eq!(
            m.lookup(Some("x"), Some("A2"))
                .unwrap()
                .new_patient_id
                .as_deref(),
            Some("P002")
        );
        assert_eq!(
            m.lookup(Some("999"), None)
                .unwrap()
                .new_patient_id
                .as_deref(),
            Some("P003")
        );
        assert_eq!(
            m.lookup(None, Some("A3"))
                .unwrap()
                .new_patient_id
                .as_deref(),
            Some("P003")
        );
        assert!(m.lookup(Some("nobody"), Some("none")).is_none());
        assert!(matches!(
            Mapping::parse("a,b,c\n1,2,3,tomorrow\n"),
            Err(MappingError::BadDate { .. })
        ));
    }
}
