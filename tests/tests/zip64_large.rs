//! The output zip past 4 GiB (Zip64 sizes, offsets and end records), end to end: an entry of
//! 4.25 GiB and entries after it, written by `ZipSink` to a file, then tested by two independent
//! readers, Info-ZIP's `unzip -t` and Python's `zipfile` (every CRC checked). It writes about
//! 4.6 GB to the temporary directory, so it is ignored by default:
//! `cargo test --release --test tests zip64_large -- --ignored`.

use std::io::{BufWriter, Write};
use std::process::Command;

use dicom_deid::archive::output::{crc32_of, ZipSink};

/// A writer that gives the same 1 MiB block again and again (no 4 GiB buffer in memory).
fn block(i: usize) -> Vec<u8> {
    (0..1 << 20)
        .map(|j| ((j * 31 + i * 7) % 251) as u8)
        .collect()
}

#[test]
#[ignore = "writes 4.6 GB; run by hand"]
fn a_zip_past_4_gib_reads_back_with_unzip_and_python() {
    let dir = std::env::temp_dir().join(format!("dicom-deid-zip64-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.zip");
    let blocks: Vec<Vec<u8>> = (0..4).map(block).collect();
    let mib = 4352; // 4.25 GiB
    let parts: Vec<&[u8]> = (0..mib).map(|i| &blocks[i % 4][..]).collect();
    let crc = crc32_of(&parts);
    {
        let f = std::fs::File::create(&path).expect("create");
        let mut sink = ZipSink::new(BufWriter::with_capacity(1 << 16, f));
        sink.add("first.dcm", b"small entry before").expect("add");
        sink.add_parts_crc("huge.dcm", crc, &parts)
            .expect("add huge");
        sink.add("after/offset-past-4GiB.dcm", &blocks[1])
            .expect("add");
        sink.add("manifest.csv", b"path\n").expect("add");
        sink.finish().expect("finish");
    }
    let unzip = Command::new("unzip").arg("-tq").arg(&path).output();
    let py = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\n\
             assert z.testzip() is None\n\
             print([(i.filename, i.file_size, i.header_offset) for i in z.infolist()])",
        )
        .arg(&path)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let unzip = unzip.expect("unzip runs");
    assert!(
        unzip.status.success(),
        "unzip -t: {}{}",
        String::from_utf8_lossy(&unzip.stdout),
        String::from_utf8_lossy(&unzip.stderr)
    );
    let py = py.expect("python3 runs");
    let listing = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success(),
        "python zipfile: {listing}{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert!(
        listing.contains(&format!("('huge.dcm', {}", mib << 20)),
        "{listing}"
    );
    std::io::stdout().write_all(listing.as_bytes()).ok();
}
