//! Headers-only scan, and the preview (element dump, thumbnail) the page shows before a job.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rec = dicom_deid::scan::scan("fuzz.dcm", data);
    assert_eq!(rec.size, data.len() as u64);
    if let Err(r) = &rec.result {
        assert!(!r.to_string().is_empty());
    }
    let _ = dicom_deid::inspect::dump(data);
    let _ = dicom_deid::inspect::thumbnail(data, 64);
});
