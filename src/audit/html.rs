//! `audit-summary.html`: the audit's summary for a reader (no PHI, no script).

use crate::audit::summary::{AttributeAction, Summary};
use crate::html_text::escape;

fn table(head: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut s = String::from("<table>\n<tr>");
    for h in head {
        s.push_str(&format!("<th scope=\"col\">{}</th>", escape(h)));
    }
    s.push_str("</tr>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{}</td>", escape(&c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

fn counts<'a, K: AsRef<str> + 'a>(m: impl Iterator<Item = (K, &'a u64)>) -> String {
    table(
        &["", "files"],
        m.map(|(k, v)| vec![k.as_ref().to_string(), v.to_string()]),
    )
}

/// A table of attributes with their actions and rules.
fn attributes(rows: &[AttributeAction]) -> String {
    table(
        &["tag", "keyword", "files", "action", "rule"],
        rows.iter().map(|a| {
            vec![
                a.tag.clone(),
                a.keyword.clone(),
                a.files.to_string(),
                a.action.to_string(),
                a.rule.clone(),
            ]
        }),
    )
}

/// The page.
pub fn render(s: &Summary) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>De-identification audit</title>\n</head>\n<body>\n\
         <h1>De-identification audit (before the run)</h1>\n",
    );
    h.push_str(&format!(
        "<p>{} files: {} patients, {} studies, {} series; {} research IDs to assign.</p>\n",
        s.files, s.patients, s.studies, s.series, s.research_ids
    ));
    h.push_str("<h2>What the run will do with the files</h2>\n");
    h.push_str(&counts(s.outcomes.iter()));
    h.push_str(&counts(s.reasons.iter()));
    h.push_str(&format!(
        "<p>{} of the files to be written are images that may show burned-in text: a pixel \
         rule, the review or the run's text detector decides whether each is written or held.</p>\n",
        s.pixel_review_pending
    ));
    h.push_str("<h2>Re-identification risk of what is kept</h2>\n");
    let r = &s.risk;
    h.push_str(&format!(
        "<p>Quasi-identifiers kept: {}. {} patients in {} classes; k = {}; {} patients unique.</p>\n",
        if r.quasi_identifiers.is_empty() {
            "none".to_string()
        } else {
            escape(&r.quasi_identifiers.join(", "))
        },
        r.patients,
        r.classes,
        r.k,
        r.unique_patients
    ));
    h.push_str(&table(
        &["made unique by", "patients"],
        r.unique_by
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()]),
    ));
    h.push_str("<h2>Modalities, SOP classes, transfer syntaxes</h2>\n");
    h.push_str(&counts(s.modalities.iter()));
    h.push_str(&counts(s.sop_classes.iter()));
    h.push_str(&counts(s.transfer_syntaxes.iter()));
    h.push_str("<h2>Attributes</h2>\n");
    h.push_str(&attributes(&s.attributes));
    h.push_str("<h2>Attributes in sequences</h2>\n");
    h.push_str(&attributes(&s.nested_attributes));
    h.push_str("<h2>Private creators</h2>\n");
    h.push_str(&table(
        &["group", "creator", "files", "elements", "action"],
        s.private_creators.iter().map(|c| {
            vec![
                c.group.clone(),
                c.creator.clone(),
                c.files.to_string(),
                c.elements.to_string(),
                c.action.to_string(),
            ]
        }),
    ));
    if let Some((lo, hi)) = s.date_shift_days {
        h.push_str(&format!(
            "<h2>Date shifts</h2>\n<p>From {lo} to {hi} days.</p>\n"
        ));
    }
    h.push_str("</body>\n</html>\n");
    h
}
