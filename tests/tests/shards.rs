//! The real corpus: plan once (`--plan-out`), run 3 shards side by side (GNU
//! parallel when installed, else threads), merge (`--merge`), and get the single run's zip, key
//! and log byte for byte; a file added after planning is reported, never guessed; a plan is
//! refused with another secret or other options.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::harness::*;

const BIN: &str = env!("CARGO_BIN_EXE_dicom-deid");

/// Runs the CLI and panics unless it succeeds.
fn ok(args: Vec<OsString>) -> String {
    let out = cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "dicom-deid failed: {stderr}");
    stderr
}

fn os(v: &[&str]) -> Vec<OsString> {
    v.iter().map(OsString::from).collect()
}

fn paths(v: &[PathBuf]) -> Vec<OsString> {
    v.iter().map(|p| p.clone().into_os_string()).collect()
}

/// The arguments of shard `k` of `n` (outputs `part-k.zip`, `key-k.csv`, `log-k.csv` in `dir`).
fn shard_args(dir: &Path, options: &[&str], k: &str, n: usize, inputs: &[PathBuf]) -> Vec<String> {
    let p = |name: String| dir.join(name).to_string_lossy().into_owned();
    let mut a: Vec<String> = vec![
        "--plan".into(),
        p("plan.json".into()),
        "--shard".into(),
        format!("{k}/{n}"),
        "--out".into(),
        p(format!("part-{k}.zip")),
        "--key".into(),
        p(format!("key-{k}.csv")),
        "--log".into(),
        p(format!("log-{k}.csv")),
        "--secret-file".into(),
        p("secret".into()),
        "-q".into(),
    ];
    a.extend(options.iter().map(|s| s.to_string()));
    a.extend(inputs.iter().map(|i| i.to_string_lossy().into_owned()));
    a
}

fn have_parallel() -> bool {
    Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("GNU parallel"))
}

/// Runs the `n` shards side by side: with GNU parallel (required in CI; not moreutils'
/// `parallel`), else in threads.
fn run_shards(dir: &Path, options: &[&str], n: usize, inputs: &[PathBuf]) {
    if have_parallel() {
        // `parallel --quote BIN ARGS... ::: 1 2 3`, {} standing for K.
        let out = Command::new("parallel")
            .env("SOURCE_DATE_EPOCH", RUN_EPOCH)
            .args(["--will-cite", "--quote", "--halt", "now,fail=1", BIN])
            .args(shard_args(dir, options, "{}", n, inputs))
            .arg(":::")
            .args((1..=n).map(|k| k.to_string()))
            .output()
            .expect("GNU parallel runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "parallel: {err}");
        return;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "GNU parallel is missing (scripts/setup.sh installs it)"
    );
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..=n)
            .map(|k| {
                s.spawn(move || {
                    ok(shard_args(dir, options, &k.to_string(), n, inputs)
                        .into_iter()
                        .map(OsString::from)
                        .collect())
                })
            })
            .collect();
        for h in handles {
            h.join().expect("shard thread");
        }
    });
}

/// The single run, the plan, 3 shards and the merge with `options`; returns the folder.
fn single_and_sharded(label: &str, options: &[&str], inputs: &[PathBuf]) -> TempDir {
    let dir = TempDir::new(label);
    fs::write(dir.join("secret"), SECRET).unwrap();
    let common = |rest: &[&str]| {
        let mut a = os(rest);
        a.extend(os(&[
            "--secret-file",
            dir.join("secret").to_str().unwrap(),
            "-q",
        ]));
        a.extend(os(options));
        a.extend(paths(inputs));
        a
    };
    let d = |n: &str| dir.join(n).to_string_lossy().into_owned();
    ok(common(&[
        "--out",
        &d("single.zip"),
        "--key",
        &d("single-key.csv"),
        "--log",
        &d("single-log.csv"),
    ]));
    ok(common(&["--plan-out", &d("plan.json")]));
    run_shards(dir.path(), options, 3, inputs);
    let mut merge = os(&[
        "--merge",
        "--out",
        &d("all.zip"),
        "--key",
        &d("all-key.csv"),
        "--log",
        &d("all-log.csv"),
        "--secret-file",
        &d("secret"),
        "-q",
    ]);
    for k in 1..=3 {
        for f in [
            format!("part-{k}.zip"),
            format!("key-{k}.csv"),
            format!("log-{k}.csv"),
        ] {
            merge.push(dir.join(&f).into_os_string());
        }
    }
    ok(merge);
    dir
}

fn dicom_entries(zip: &Path) -> Vec<(String, Vec<u8>)> {
    read_zip(zip)
        .into_iter()
        .filter(|(n, _)| n.ends_with(".dcm"))
        .collect()
}

#[test]
fn three_shards_merge_into_the_single_run_byte_for_byte() {
    let mapping = data().join("mapping.csv");
    let with_mapping = [
        "--unreviewed",
        "keep",
        "--preset",
        "research",
        "--mapping",
        mapping.to_str().unwrap(),
    ];
    for options in [&["--unreviewed", "keep"][..], &with_mapping[..]] {
        let dir = single_and_sharded("shards", options, &corpus());
        for (single, merged) in [
            ("single.zip", "all.zip"),
            ("single-key.csv", "all-key.csv"),
            ("single-log.csv", "all-log.csv"),
        ] {
            let (a, b) = (
                fs::read(dir.join(single)).unwrap(),
                fs::read(dir.join(merged)).unwrap(),
            );
            assert!(
                a == b,
                "{options:?}: {merged} differs from {single} ({} vs {} bytes)",
                b.len(),
                a.len()
            );
        }
        // The parts hold the single run's files, each once, and a patient in one part only.
        let single = dicom_entries(&dir.join("single.zip"));
        let mut union = Vec::new();
        let mut patients_seen = BTreeSet::new();
        for k in 1..=3 {
            let part = dicom_entries(&dir.join(&format!("part-{k}.zip")));
            assert!(!part.is_empty(), "{options:?}: shard {k} got no file");
            let patients: BTreeSet<String> = part
                .iter()
                .map(|(n, _)| n.split('/').next().unwrap().to_string())
                .collect();
            for p in patients {
                assert!(patients_seen.insert(p.clone()), "{p} in two shards");
            }
            union.extend(part);
        }
        union.sort();
        let mut want = single.clone();
        want.sort();
        assert!(
            union == want,
            "{options:?}: the parts' entries are not the single run's"
        );
        // The plan holds decisions, never the secret.
        let plan = fs::read_to_string(dir.join("plan.json")).unwrap();
        assert!(!plan.contains(SECRET));
        assert!(
            single.len() > 10,
            "{options:?}: only {} files written",
            single.len()
        );
    }
}

#[test]
fn a_file_added_after_planning_is_reported_and_other_secrets_or_options_are_refused() {
    let dir = TempDir::new("shards-late");
    let inputs = dir.join("in");
    fs::create_dir_all(&inputs).unwrap();
    // Three DICOM files of the corpus (copied under new names: some share one).
    let all = files_under(&data());
    let dcm: Vec<&PathBuf> = all
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .filter(|p| !p.to_string_lossy().contains("fuzz-regressions"))
        .take(3)
        .collect();
    assert_eq!(dcm.len(), 3);
    for (i, p) in dcm[..2].iter().enumerate() {
        fs::copy(p, inputs.join(format!("{i}.dcm"))).unwrap();
    }
    fs::write(dir.join("secret"), SECRET).unwrap();
    let plan = dir.join("plan.json");
    let sec = dir.join("secret");
    let mut a = os(&[
        "--plan-out",
        plan.to_str().unwrap(),
        "--secret-file",
        sec.to_str().unwrap(),
        "-q",
    ]);
    a.push(inputs.clone().into_os_string());
    ok(a);
    let late = "late.dcm";
    fs::copy(dcm[2], inputs.join(late)).unwrap();
    let input_list = vec![inputs.clone()];
    run_shards(dir.path(), &[], 2, &input_list);
    let mut reported = Vec::new();
    for k in 1..=2 {
        let log = read_csv(&dir.join(&format!("log-{k}.csv")));
        for r in log.rows.iter().filter(|r| r["source_path"].ends_with(late)) {
            reported.push((k, r["outcome"].clone(), r["reason_code"].clone()));
        }
        // At most the two files, manifest.csv and the run statement's four entries.
        assert!(read_zip(&dir.join(&format!("part-{k}.zip"))).len() <= 3 + 4);
    }
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(reported[0].2, "not_planned", "{reported:?}");
    assert_ne!(reported[0].1, "written");
    // Another secret, other options: refused with a clear error, nothing written.
    let other = dir.join("other-secret");
    fs::write(&other, "another secret").unwrap();
    let refusals: [(&[&str], &str); 2] = [
        (
            &["--secret-file", other.to_str().unwrap()],
            "another project secret",
        ),
        (
            &[
                "--preset",
                "research",
                "--secret-file",
                sec.to_str().unwrap(),
            ],
            "other options",
        ),
    ];
    for (extra, want) in refusals {
        let mut a = os(&["--plan", plan.to_str().unwrap(), "--shard", "1/2", "--out"]);
        a.push(dir.join("refused.zip").into_os_string());
        a.extend(os(extra));
        a.push(inputs.clone().into_os_string());
        let out = cli(a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(want), "{want}: {err}");
        assert!(!dir.join("refused.zip").exists());
    }
}
