//! Zip input: open, list members, read each (size and ratio limits), scan what comes out.
#![no_main]

use libfuzzer_sys::fuzz_target;

use dicom_deid::archive::input::{looks_like_zip, ZipInput, MAX_MEMBER_SIZE};

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_zip(data);
    let Ok(mut z) = ZipInput::open(data.to_vec()) else { return };
    let members = z.members();
    let mut names = std::collections::HashSet::new();
    for m in &members {
        assert!(names.insert(m.name.clone()), "member names are not unique");
        assert!(!m.name.starts_with('/') && !m.name.split('/').any(|c| c == ".."), "unsafe name {:?}", m.name);
    }
    for m in members.iter().take(64) {
        if let Ok(bytes) = z.read(m) {
            assert!(bytes.len() as u64 <= MAX_MEMBER_SIZE);
            assert_eq!(bytes.len() as u64, m.size);
            let _ = dicom_deid::scan::scan(&m.name, &bytes);
        }
    }
});
