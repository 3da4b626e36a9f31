//! The whole per-file path of a job: scan → plan → Engine::process (rewrite, self-check), with
//! the basic and the research presets. A file is either written (and then re-reads) or
//! rejected with a reason. The counting allocator of tests/alloc_cap/main.rs asserts bounded
//! memory: the peak of live heap bytes while one input goes through the job stays within
//! 64 MiB + 4 × its size (issue 12).
#![no_main]

#[path = "../../tests/alloc_cap/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static A: counting_alloc::Counting = counting_alloc::Counting;

use libfuzzer_sys::fuzz_target;

use dicom_deid::config::Config;
use dicom_deid::job::Job;

fn one(config: &Config, data: &[u8]) {
    let Ok(mut job) = Job::new(config, b"fuzzing secret", None, None) else { return };
    job.scan("in/fuzz.dcm", data);
    let Ok(engine) = job.plan() else { return };
    let (bytes, outcome) = engine.process("in/fuzz.dcm", data);
    match (&bytes, &outcome.result) {
        (Some(out), Ok(_)) => {
            // What was written must parse again (the self-check already re-read it).
            assert!(dicom_deid::read::parse_whole(out).is_ok(), "written output does not re-read");
        }
        (None, Err(r)) => assert!(!r.to_string().is_empty()),
        _ => panic!("bytes and outcome disagree"),
    }
    job.record(outcome);
    let _ = job.log_csv();
    let _ = job.key_csv();
    let _ = job.final_entries();
}

fuzz_target!(|data: &[u8]| {
    for preset in ["basic", "research"] {
        if let Ok(c) = Config::preset(preset) {
            let base = counting_alloc::start_peak();
            one(&c, data);
            let peak = counting_alloc::peak_since(base);
            let cap = counting_alloc::cap_for(data.len());
            assert!(peak <= cap, "{peak} bytes at peak for a {}-byte input (cap {cap})", data.len());
        }
    }
});
