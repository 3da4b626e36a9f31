//! The importer of pydicom deid recipes (`FORMAT dicom`; `%header` actions, `%filter` blocks,
//! `%fields` lists) into a recipe and its import report. Semantics as deid's own source says
//! (deid/dicom/parser.py, fields.py, filter.py; read, not copied): header actions take the
//! priority KEEP > ADD > REPLACE > JITTER > REMOVE > BLANK whatever their order; field
//! expanders (`contains:`, `startswith:`, `endswith:`) are case-insensitive regular
//! expressions on the element's keyword, name or tag.

mod filter;
mod header;
mod lines;

use std::collections::BTreeMap;

use snafu::Snafu;

use self::lines::{lines, Line};
use super::import_report::{ImportReport, RowStatus};
use super::model::Recipe;

/// Why a deid recipe could not be read at all.
#[derive(Debug, Snafu)]
pub enum DeidError {
    /// The recipe declares another format than `dicom`.
    #[snafu(display("a deid recipe for FORMAT {format}, not dicom"))]
    NotDicom {
        /// the declared format
        format: String,
    },
}

/// A converted deid recipe.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The recipe.
    pub recipe: Recipe,
    /// What became of every line.
    pub report: ImportReport,
}

/// Whether a text is a deid recipe: its first directive is `FORMAT`.
pub fn looks_like_deid(text: &str) -> bool {
    lines(text)
        .first()
        .is_some_and(|l| l.text.to_ascii_uppercase().starts_with("FORMAT "))
}

/// Converts a deid recipe.
pub fn import(text: &str) -> Result<Imported, DeidError> {
    let mut report = ImportReport::new("pydicom deid recipe");
    let mut sections: Vec<(String, Vec<Line>)> = Vec::new();
    for line in lines(text) {
        let upper = line.text.to_ascii_uppercase();
        if let Some(format) = upper.strip_prefix("FORMAT ") {
            if format.trim() != "DICOM" {
                return Err(DeidError::NotDicom {
                    format: format.trim().to_string(),
                });
            }
        } else if line.text.starts_with('%') {
            sections.push((line.text.clone(), Vec::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push(line);
        } else {
            let source = format!("line {}", line.number);
            report.push(
                source,
                &line.text,
                RowStatus::Unsupported,
                "outside any section",
            );
        }
    }
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (head, body) in &sections {
        if let Some(name) = head.strip_prefix("%fields") {
            fields.insert(name.trim().to_string(), header::field_list(body));
        }
    }
    let mut recipe = Recipe {
        name: "imported deid recipe".to_string(),
        ..Default::default()
    };
    let mut header_lines = Vec::new();
    for (head, body) in &sections {
        let kind = head.split_whitespace().next().unwrap_or("");
        match kind {
            "%header" => header_lines.extend(body.iter().cloned()),
            "%filter" => filter::import(head, body, &mut recipe, &mut report),
            "%fields" => {
                let detail = "a field list, used by the fields: expander";
                report.push(head.clone(), "", RowStatus::Imported, detail);
            }
            _ => {
                let detail = format!("the section {kind} is not supported");
                report.push(head.clone(), "", RowStatus::Unsupported, detail);
            }
        }
    }
    header::import(&header_lines, &fields, &mut recipe, &mut report);
    Ok(Imported { recipe, report })
}
