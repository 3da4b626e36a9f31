//! De-identifying data that was already de-identified (a second pass with another secret, as
//! when a collaborator re-shares): every file is written again, nothing is taken for a leak just
//! because research IDs or dummy values of the first pass reappear.

use std::fs;

use crate::support::harness::*;

#[test]
fn second_pass_over_own_output_writes_every_file() {
    for preset in ["basic", "research"] {
        let first = run(
            &format!("rerun-first-{preset}"),
            &["--preset", preset],
            &corpus(),
        );
        let written_first = first.with_outcome("written").len();
        assert!(
            written_first > 20,
            "first pass wrote only {written_first} files"
        );

        // Unpack the first zip into a folder and run again with a different secret.
        let unpacked = TempDir::new(&format!("rerun-unpacked-{preset}"));
        for (name, bytes) in &first.entries {
            let p = unpacked.join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
        }
        let dir = TempDir::new(&format!("rerun-second-{preset}"));
        let secret = dir.join("other-secret");
        fs::write(&secret, "a different project secret").unwrap();
        let second = run_in(
            dir,
            &[
                "--preset",
                preset,
                "--secret-file",
                secret.to_str().unwrap(),
            ],
            &[unpacked.path().to_path_buf()],
        );
        let rejected: Vec<String> = second
            .with_outcome("rejected")
            .iter()
            .map(|r| format!("{}: {}", r["source_path"], r["reason"]))
            .collect();
        assert!(
            rejected.is_empty(),
            "{preset}: second pass rejected {rejected:#?}"
        );
        assert_eq!(
            second.with_outcome("written").len(),
            written_first,
            "{preset}: every DICOM file written again"
        );
        // Only manifest.csv, the run statement's entries (and notes, if any) are skipped as not
        // DICOM.
        for r in second.with_outcome("skipped") {
            let p = &r["source_path"];
            assert!(
                [".csv", ".txt", ".html", ".json", ".sig"]
                    .iter()
                    .any(|e| p.ends_with(e)),
                "{:?}",
                r
            );
        }
        // (The independent checker is not run here: on this input the "identifiers" it collects
        // are the first pass's own dummies and research IDs, which the second pass writes again.)
    }
}
