//! What the integration test modules share: the project secret of the tests, the corpus and
//! the one directory walker (`walk`), the dciodvfy oracle (`dciodvfy`), running the CLI and reading its zip, key and log
//! (`harness`), running a job in process (`job_run`), a real archive (`orthanc`) and the proxy
//! that injects faults before it (`fault_proxy`), the TCP proxy before its DICOM port that drops
//! a connection and counts them (`dropping_proxy`), the independent PHI checker (`phi`, `phi_check`), the OCR oracle (`ocr`) and the encoded-pixels
//! cases (`encoded_pixels`).
#![allow(dead_code)]

pub mod dciodvfy;
pub mod dropping_proxy;
pub mod encoded_pixels;
pub mod fault_proxy;
pub mod harness;
pub mod job_run;
pub mod ocr;
pub mod orthanc;
pub mod phi_check;
pub mod walk;

pub use phi_check::phi;

/// The fixed project secret of the tests (the CLI reads it from a file, the engine as bytes).
pub const SECRET: &str = "integration-test-secret-9f2c1e";
