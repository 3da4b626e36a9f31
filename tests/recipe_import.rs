//! Importing other tools' recipes: every CTP anonymizer script CTP ships
//! (`tests/recipes/ctp/`, PROVENANCE.md there) imports with a report that accounts for every
//! row, the counts of two of them as checked by hand, the `.properties` form gives the same
//! recipe as the XML form, and pydicom deid's shipped `deid.dicom` imports with its report.

use std::path::PathBuf;

use dicom_deid::recipe::ctp;
use dicom_deid::recipe::import_report::{Counts, RowStatus};
use dicom_deid::recipe::model::Action;

fn dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/recipes")
        .join(sub)
}

fn read(sub: &str, name: &str) -> String {
    std::fs::read_to_string(dir(sub).join(name)).expect("recipe file")
}

/// Rows of a CTP XML script counted from its text: `<p>`, `<e>`, `<k>`, `<r>` elements.
fn rows_in_text(text: &str) -> usize {
    ["<p ", "<e ", "<k ", "<r "]
        .iter()
        .map(|t| text.matches(t).count())
        .sum()
}

#[test]
fn every_shipped_ctp_script_imports_with_a_row_per_construct() {
    let mut names: Vec<_> = std::fs::read_dir(dir("ctp"))
        .expect("tests/recipes/ctp")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".script"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 14, "{names:?}");
    for name in &names {
        let text = read("ctp", name);
        let imported = ctp::import(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = &imported.report;
        // one row per construct of the file, plus the note on the elements no row names
        // when unspecifiedelements is off
        let extra = report
            .rows
            .iter()
            .filter(|r| r.source == "(elements no row names)")
            .count();
        assert_eq!(report.rows.len(), rows_in_text(&text) + extra, "{name}");
        let c = report.counts();
        assert_eq!(
            c.imported + c.approximated + c.unsupported + c.ignored,
            report.rows.len()
        );
        // every enabled row that is imported gives at least one rule or filter
        let enabled_imported = report
            .rows
            .iter()
            .filter(|r| {
                r.source.starts_with("<e")
                    && matches!(r.status, RowStatus::Imported | RowStatus::Approximated)
            })
            .count();
        let made = imported.recipe.rules.len() + imported.recipe.filters.len();
        assert!(
            made >= enabled_imported,
            "{name}: {made} rules for {enabled_imported} rows"
        );
        // the recipe the importer gives is one the recipe language reads back unchanged
        let json = serde_json::to_string(&imported.recipe).expect("serialise");
        let again = dicom_deid::recipe::load(json.as_bytes()).expect("reads back");
        assert_eq!(again, imported.recipe, "{name}");
    }
}

#[test]
fn retain_longitudinal_modified_dates_report_counted_by_hand() {
    let i = ctp::import(&read(
        "ctp",
        "DICOM-PS3.15-RetainLongitudinalModifiedDates.script",
    ))
    .unwrap();
    // 25 <e> rows: 12 @incrementdate, 10 @keep, 1 @remove imported; LongitudinalTemporal-
    // InformationModified (@always()MODIFIED) and the code sequence row approximated (the
    // engine writes both); the DATEINC <p> is used (its value is a prompt: asked for); the
    // note on unnamed elements is approximated.
    assert_eq!(
        i.report.counts(),
        Counts {
            imported: 24,
            approximated: 3,
            unsupported: 0,
            ignored: 0
        }
    );
    let increments = i
        .recipe
        .rules
        .iter()
        .filter(|r| matches!(&r.action, Action::IncrementDate { days } if days == "{DATEINC}"))
        .count();
    assert_eq!(increments, 12);
    assert_eq!(
        i.recipe.params["DATEINC"].default, None,
        "the script's value is a prompt"
    );
    assert!(!i.report.unkeyed_md5);
}

#[test]
fn tcia_basic_additions_report_counted_by_hand() {
    let i = ctp::import(&read("ctp", "TCIA-BasicAdditions.script")).unwrap();
    // 16 <e> rows: 11 @incrementdate, 2 @process, 1 @remove imported; the two @select rows
    // (keep top-level Study/Series Instance UIDs, hash them in items) not supported.
    assert_eq!(
        i.report.counts(),
        Counts {
            imported: 14,
            approximated: 1,
            unsupported: 2,
            ignored: 0
        }
    );
    let unsupported: Vec<_> = i
        .report
        .rows
        .iter()
        .filter(|r| r.status == RowStatus::Unsupported)
        .collect();
    assert!(unsupported
        .iter()
        .all(|r| r.construct.starts_with("@select")));
    assert!(i.report.has_unsupported());
}

#[test]
fn basic_profile_uses_unkeyed_md5_and_says_so() {
    let i = ctp::import(&read("ctp", "DICOM-PS3.15-Basic.script")).unwrap();
    assert!(i.report.unkeyed_md5);
    assert!(i.report.to_text(false).contains("dictionary attack"));
    assert_eq!(i.recipe.uid_root.as_deref(), Some("{UIDROOT}"));
    assert_eq!(
        i.recipe.params["UIDROOT"].default.as_deref(),
        Some("1.3.6.1.4.1.14519.5.2.1.9999.9999")
    );
    // private groups, curves and overlays removed; @date() asks for the run's date
    assert!(i.recipe.params.contains_key("RUN_DATE"));
    let first: Vec<String> = i
        .recipe
        .rules
        .iter()
        .take(2)
        .map(|r| r.select.to_string())
        .collect();
    assert_eq!(first, ["(50xx,xxxx)", "(60xx,xxxx)"]);
}

#[test]
fn properties_form_gives_the_same_recipe_as_the_xml_form() {
    let xml = read("ctp", "DicomServiceAnonymizer.script");
    let parsed = ctp::script::parse(&xml).unwrap();
    // write the rows in the .properties form as CTP's DAScript does
    let mut props = String::new();
    for row in &parsed.rows {
        use ctp::script::ScriptRow::*;
        let line = match row {
            Param { name, value } => format!("param.{name}={value}"),
            Element {
                enabled,
                tag,
                name,
                script,
            } => format!(
                "{}set.[{},{}]{name}={}",
                if *enabled { "" } else { "#" },
                &tag[..4],
                &tag[4..],
                script.replace('\\', "\\\\")
            ),
            Keep { enabled, target } => {
                format!("{}keep.group{target}=", if *enabled { "" } else { "#" })
            }
            Remove { enabled, target } => {
                format!("{}remove.{target}=", if *enabled { "" } else { "#" })
            }
        };
        props.push_str(&line);
        props.push('\n');
    }
    let a = ctp::import(&xml).unwrap();
    let b = ctp::import(&props).unwrap();
    assert_eq!(a.recipe, b.recipe);
    assert_eq!(a.report.counts(), b.report.counts());
    assert!(b.report.format.contains("properties"));
}
