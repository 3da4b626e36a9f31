//! The archive oracle of the delivery tests: Orthanc, as the tests start it, stores an output
//! of this project as it is and gives back the same bytes (so "the set Orthanc holds equals the
//! zip's, byte for byte" means something), and counts each instance once.
use crate::support::harness::{data, run};
use crate::support::orthanc::Orthanc;
use std::process::Command;

#[test]
fn orthanc_gives_back_the_bytes_it_was_sent_and_stores_an_instance_once() {
    let inputs = vec![data()];
    let run = run("orthanc-oracle", &[], &inputs);
    let written = run.written();
    let first = written
        .first()
        .expect("tests/data gives at least one written file");
    let file = run.save_entry(&first.out_path, "sent.dcm");
    let orthanc = Orthanc::start("oracle");
    for _ in 0..2 {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--data-binary"])
            .arg(format!("@{}", file.display()))
            .arg(format!("{}/instances", orthanc.url()))
            .output()
            .expect("curl");
        assert!(out.status.success(), "POST /instances: {}", orthanc.log());
    }
    let sent = std::fs::read(&file).expect("read the sent file");
    assert_eq!(orthanc.stored_files(), vec![sent]);
    assert_eq!(orthanc.stored_count(), 1);
}
