//! `manifest_hash_speed ZIP...`: what the run statement's manifest costs. For each zip, the
//! entries are read into memory once, then timed (best of 5): SHA-256 of every entry from
//! memory (what a run adds per written file: `statement::sha256_of`, computed on the worker
//! that made the entry), and the whole check of `dicom-deid verify` over the zip's bytes in
//! memory (`statement::received::check_zip`: the zip read, every entry inflated or copied and
//! hashed, the manifest and the signature checked). Prints MB/s (10^6 bytes per second) of
//! entry bytes. A benchmark for README's figures, not a test.
//!
//! `cargo run --release --example manifest_hash_speed -- out.zip`

use std::io::{Cursor, Read};
use std::time::Instant;

use dicom_deid::statement::received::check_zip;
use dicom_deid::statement::sha256_of;

fn best_of<F: FnMut()>(mut f: F) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes))?;
        let mut entries = Vec::with_capacity(zip.len());
        for i in 0..zip.len() {
            let mut e = zip.by_index(i)?;
            let mut data = Vec::with_capacity(e.size() as usize);
            e.read_to_end(&mut data)?;
            entries.push(data);
        }
        let total: usize = entries.iter().map(Vec::len).sum();
        let mut sink = 0u8;
        let hash = best_of(|| {
            for e in &entries {
                sink ^= sha256_of(&[e])[0];
            }
        });
        let mut held = true;
        let verify = best_of(|| {
            held &= matches!(check_zip(Cursor::new(&bytes), None), Ok(Ok(_)));
        });
        let mb = total as f64 / 1e6;
        println!(
            "{path}: {} entries, {mb:.1} MB: SHA-256 {:.0} MB/s ({:.1} ms); verify {:.0} MB/s ({:.1} ms), holds: {held} ({sink})",
            entries.len(),
            mb / hash,
            hash * 1e3,
            mb / verify,
            verify * 1e3
        );
    }
    Ok(())
}
