//! Bounded memory: no input makes the engine allocate more than a small multiple of
//! its size. A counting global allocator tracks the peak of live heap bytes while one file is
//! scanned, planned and rewritten through the public `Job`/`Engine` API; the peak above what was
//! live before must stay within 64 MiB + 4 × the file's size, for every file of `tests/data`
//! and `tests/fuzz-regressions` and for hostile files made here (a 440-byte UN sequence that
//! made dicom-rs allocate 1.5 GB when read in the file's own syntax, and its variants).

use std::path::Path;

use dicom_deid::config::Config;
use dicom_deid::job::Job;

mod counting_alloc;
#[path = "../support/walk.rs"]
mod walk;
use counting_alloc::{peak_since, start_peak};
use dicom_deid::report::Outcome;

#[global_allocator]
static A: counting_alloc::Counting = counting_alloc::Counting;

/// The peak is process-wide: the tests of this file measure one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak live bytes above the start while the engine scans, plans and rewrites `bytes`.
fn peak_of(name: &str, bytes: &[u8]) -> usize {
    let mut config = Config::preset("basic").expect("preset");
    config.unreviewed_pixels = dicom_deid::pixels::rules::Unreviewed::Keep;
    let base = start_peak();
    {
        let mut job = Job::new(&config, b"alloc-cap-secret", None, None).expect("job");
        job.scan(name, bytes);
        let engine = job.plan().expect("plan");
        let _ = engine.process(name, bytes);
    }
    peak_since(base)
}

fn explicit_meta() -> Vec<u8> {
    let el = |g: u16, e: u16, vr: &[u8; 2], v: &[u8]| {
        let mut o = Vec::new();
        o.extend(g.to_le_bytes());
        o.extend(e.to_le_bytes());
        o.extend(vr);
        o.extend((v.len() as u16).to_le_bytes());
        o.extend(v);
        o
    };
    let mut body = Vec::new();
    body.extend(el(2, 2, b"UI", b"1.2.840.10008.5.1.4.1.1.2\0"));
    body.extend(el(2, 3, b"UI", b"1.2.3.4\0"));
    body.extend(el(2, 0x10, b"UI", b"1.2.840.10008.1.2.1\0"));
    let mut f = vec![0u8; 128];
    f.extend(b"DICM");
    f.extend(el(2, 0, b"UL", &(body.len() as u32).to_le_bytes()));
    f.extend(body);
    for (g, e, vr, v) in [
        (8u16, 0x16u16, b"UI", &b"1.2.840.10008.5.1.4.1.1.2\0"[..]),
        (8, 0x18, b"UI", b"1.2.3.4\0"),
        (8, 0x60, b"CS", b"CT"),
        (0x10, 0x10, b"PN", b"DOE^JOHN"),
        (0x10, 0x20, b"LO", b"MRN12345"),
        (0x20, 0x0d, b"UI", b"1.2.3.5\0"),
        (0x20, 0x0e, b"UI", b"1.2.3.6\0"),
        (0x29, 0x10, b"LO", b"ACME 1.0"),
    ] {
        f.extend(el(g, e, vr, v));
    }
    f
}

fn implicit(g: u16, e: u16, v: &[u8]) -> Vec<u8> {
    let mut o = Vec::new();
    o.extend(g.to_le_bytes());
    o.extend(e.to_le_bytes());
    o.extend((v.len() as u32).to_le_bytes());
    o.extend(v);
    o
}

/// Hostile files made here: (name, bytes).
fn hostile() -> Vec<(String, Vec<u8>)> {
    let un_head = |f: &mut Vec<u8>| {
        f.extend([
            0x29, 0, 0x10, 0x10, b'U', b'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        f.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    };
    let mut out = Vec::new();
    // A well-formed UN sequence: read as explicit VR, "DOE^" is a length of 1.5 GB.
    let mut f = explicit_meta();
    un_head(&mut f);
    f.extend(implicit(0x10, 0x10, b"DOE^JOHN"));
    f.extend(implicit(0x29, 0x1001, b"abcd"));
    f.extend([
        0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0,
    ]);
    out.push(("un_sequence.dcm".to_string(), f.clone()));
    // Truncated at every byte of the UN part.
    let start = explicit_meta().len();
    for cut in (start..f.len()).step_by(3) {
        out.push((format!("un_sequence_cut{cut}.dcm"), f[..cut].to_vec()));
    }
    // Inner lengths that declare gigabytes.
    let mut g = explicit_meta();
    un_head(&mut g);
    g.extend([0x10, 0, 0x10, 0, 0, 0, 0, 0xF0, b'a', b'b']);
    out.push(("un_inner_huge.dcm".to_string(), g));
    // An unknown VR: dicom-rs reads a 4-byte length after it, not 2.
    let mut h = explicit_meta();
    h.extend([
        0x29, 0, 0x11, 0x10, b'Z', b'Z', 4, 0, 0xFF, 0xFF, 0xFF, 0x7F,
    ]);
    out.push(("unknown_vr.dcm".to_string(), h));
    out
}

#[test]
fn peak_allocation_is_bounded_by_the_input_size() {
    let _serial = serial();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in [
        "tests/data",
        "tests/fuzz-regressions",
        "tests/real-archive",
        "tests/cjk-names",
    ] {
        let files = walk::files_under(&root.join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
        all.extend(files);
    }
    let mut inputs: Vec<(String, Vec<u8>)> = all
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).unwrap()))
        .collect();
    inputs.extend(hostile());
    assert!(inputs.len() > 60, "{}", inputs.len());
    let mut worst = (0.0f64, String::new());
    let mut over = Vec::new();
    for (name, bytes) in &inputs {
        let peak = peak_of(name, bytes);
        let cap = counting_alloc::cap_for(bytes.len());
        if peak > cap {
            over.push(format!("{name}: {peak} bytes at peak, cap {cap}"));
        }
        let ratio = peak as f64 / bytes.len().max(1) as f64;
        if ratio > worst.0 && bytes.len() > 4096 {
            worst = (ratio, format!("{name}: {peak} bytes for {}", bytes.len()));
        }
    }
    eprintln!(
        "largest peak/size ratio (files > 4 KiB): {:.1} ({})",
        worst.0, worst.1
    );
    assert!(over.is_empty(), "over the cap:\n{}", over.join("\n"));
}

/// An explicit VR little endian file whose Derivation Code Sequence (kept by the profile)
/// holds `items` items of `per_item` (at most 4) short code elements each (8 + 10 × `per_item`
/// bytes per item).
fn many_items(items: usize, per_item: usize) -> Vec<u8> {
    let meta = explicit_meta();
    // Appended after the last element, (0029,0010): the sequence (0029,1010) is private, so
    // the standard Derivation Code Sequence goes before Patient's Name, in tag order.
    let at = meta
        .windows(4)
        .rposition(|w| w == [0x10, 0, 0x10, 0])
        .expect("patient name");
    let mut f = meta[..at].to_vec();
    f.extend([
        0x08, 0, 0x15, 0x92, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let codes: [&[u8]; 4] = [
        &[0x08, 0, 0x00, 0x01, b'S', b'H', 2, 0, b'1', b'2'],
        &[0x08, 0, 0x02, 0x01, b'S', b'H', 2, 0, b'D', b'C'],
        &[0x08, 0, 0x03, 0x01, b'S', b'H', 2, 0, b'0', b'1'],
        &[0x08, 0, 0x04, 0x01, b'L', b'O', 2, 0, b'A', b'B'],
    ];
    let item: Vec<u8> = codes[..per_item.min(4)].concat();
    f.reserve(items * (8 + item.len()) + 64);
    for _ in 0..items {
        f.extend([0xFE, 0xFF, 0x00, 0xE0]);
        f.extend((item.len() as u32).to_le_bytes());
        f.extend(&item);
    }
    f.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    f.extend(&meta[at..]);
    f
}

/// An explicit VR little endian file with `n` private elements of 2 bytes each at the top level
/// (odd groups from 0x0031, elements 0x1000 up; 10 bytes each).
fn many_elements(n: usize) -> Vec<u8> {
    let mut f = explicit_meta();
    f.reserve(n * 10);
    for i in 0..n {
        let g = 0x0031 + 2 * (i / 0xE000) as u16;
        let e = 0x1000 + (i % 0xE000) as u16;
        f.extend(g.to_le_bytes());
        f.extend(e.to_le_bytes());
        f.extend([b'L', b'O', 2, 0, b'A', b'B']);
    }
    f
}

/// Scans, plans and rewrites one file; returns the peak above the start, the log row's
/// outcome and its reason.
fn run_one(name: &str, bytes: &[u8]) -> (usize, Outcome, String) {
    let mut config = Config::preset("basic").expect("preset");
    config.unreviewed_pixels = dicom_deid::pixels::rules::Unreviewed::Keep;
    let base = start_peak();
    let row = {
        let mut job = Job::new(&config, b"alloc-cap-secret", None, None).expect("job");
        job.scan(name, bytes);
        let engine = job.plan().expect("plan");
        for path in job.paths_to_process() {
            let (_, outcome) = engine.process(&path, bytes);
            job.record(outcome);
        }
        job.log_rows().into_iter().next().expect("a log row")
    };
    (peak_since(base), row.outcome, row.reason)
}

/// A file of 1,000,000 sequence items (18 MB: an item of one short element each) would take
/// about 2.7 GB as dicom-rs objects; the structural walk counts its items before anything is
/// parsed and it is refused, naming the memory budget, within 64 MiB + 4 × its size.
#[test]
fn a_million_items_are_refused_before_parsing_within_the_cap() {
    let _serial = serial();
    let f = many_items(1_000_000, 1);
    let (peak, outcome, reason) = run_one("items.dcm", &f);
    eprintln!("1,000,000 items, {} bytes: peak {peak}", f.len());
    assert!(peak <= counting_alloc::cap_for(f.len()), "peak {peak}");
    assert_eq!(outcome, Outcome::Rejected, "{reason}");
    assert!(
        reason.contains("1000000 items") && reason.contains("memory budget"),
        "{reason}"
    );
}

/// The other side of the item bound: 15,000 items of one element (270 kB; about 40 MB in
/// memory) and 10,000 items of four (about 30 MB) are written, within the cap.
#[test]
fn many_items_within_the_budget_are_written_within_the_cap() {
    let _serial = serial();
    for (items, per_item) in [(15_000, 1), (10_000, 4)] {
        let f = many_items(items, per_item);
        let (peak, outcome, reason) = run_one("items.dcm", &f);
        eprintln!(
            "{items} items of {per_item}, {} bytes: peak {peak}",
            f.len()
        );
        assert_eq!(outcome, Outcome::Written, "{items} x {per_item}: {reason}");
        assert!(peak <= counting_alloc::cap_for(f.len()), "peak {peak}");
    }
}

/// 150,000 private elements at the top level (1.5 MB) are written (the profile removes them)
/// within the cap; 3,000,000 (30 MB, about 700 MB in memory) are refused within it.
#[test]
fn many_elements_either_fit_the_budget_or_are_refused_within_the_cap() {
    let _serial = serial();
    for (n, expected) in [(150_000, Outcome::Written), (3_000_000, Outcome::Rejected)] {
        let f = many_elements(n);
        let (peak, outcome, reason) = run_one("elements.dcm", &f);
        eprintln!("{n} elements, {} bytes: peak {peak}", f.len());
        assert_eq!(outcome, expected, "{n}: {reason}");
        assert!(peak <= counting_alloc::cap_for(f.len()), "{n}: peak {peak}");
    }
}

/// A stored zip of `n` tiny entries (`d/0000000.txt`, 9 bytes each, not DICOM) and two DICOM
/// files of `tests/data`, made with the engine's own zip writer.
fn zip_of_many(n: usize) -> Vec<u8> {
    use dicom_deid::archive::output::{SharedBuffer, ZipSink};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let buffer = SharedBuffer::default();
    let mut sink = ZipSink::new(buffer.clone());
    for rel in [
        "dicom3tools/0051.dcm",
        "derived/DICOMDIR_SET/IMAGES/BRAIN002",
    ] {
        let b = std::fs::read(root.join(rel)).expect("test file");
        sink.add(&format!("dicom/{}", rel.replace('/', "_")), &b)
            .expect("add");
    }
    for i in 0..n {
        sink.add(&format!("d/{i:07}.txt"), b"not dicom")
            .expect("add");
    }
    sink.finish().expect("finish");
    buffer.take()
}

/// Opens, lists, reads, scans, plans and rewrites every entry of a zip, and logs it, as the
/// shells do; returns the peak above the start and the log's rows.
fn run_zip(zip: Vec<u8>) -> (usize, Vec<dicom_deid::report::LogRow>) {
    use dicom_deid::archive::input::ZipInput;
    let config = Config::preset("basic").expect("preset");
    let base = start_peak();
    let rows = {
        let mut z = ZipInput::open(zip).expect("zip opens");
        let members = z.members();
        let mut job = Job::new(&config, b"alloc-cap-secret", None, None).expect("job");
        for m in &members {
            let bytes = z.read(m).expect("entry reads");
            job.scan(&format!("in.zip/{}", m.name), &bytes);
        }
        let engine = job.plan().expect("plan");
        for path in job.paths_to_process() {
            let m = members
                .iter()
                .find(|m| format!("in.zip/{}", m.name) == path)
                .expect("planned entry");
            let bytes = z.read(m).expect("entry reads");
            let (_, outcome) = engine.process(&path, &bytes);
            job.record(outcome);
        }
        job.log_rows()
    };
    (peak_since(base), rows)
}

/// Opens a zip, lists it and reads every entry (the zip reader alone); returns the peak
/// above the start and the entries read.
fn read_zip(zip: Vec<u8>) -> (usize, usize) {
    use dicom_deid::archive::input::ZipInput;
    let base = start_peak();
    let n = {
        let mut z = ZipInput::open(zip).expect("zip opens");
        let members = z.members();
        let mut n = 0;
        for m in &members {
            n += z
                .read(m)
                .map(|b| usize::from(!b.is_empty()))
                .expect("entry reads");
        }
        n
    };
    (peak_since(base), n)
}

/// Entries of the zips below: 999,998 tiny ones and two DICOM files, the most a zip may have.
const MANY_ENTRIES: usize = 999_998;

/// The zip reader keeps the archive and 8 bytes per entry: a zip of 1,000,000 entries (112 MB)
/// is opened, listed and read entry by entry within 64 MiB + 4 × its size (65 MB measured,
/// nearly all of it the listing's names; the `zip` crate's records took about 2 KB per entry).
/// About 2 s in release mode.
#[test]
fn a_zip_of_a_million_entries_is_read_within_the_cap() {
    let _serial = serial();
    let z = zip_of_many(MANY_ENTRIES);
    let len = z.len();
    let (peak, read) = read_zip(z);
    eprintln!("1,000,000 entries, {len} bytes: the reader's peak {peak}");
    assert_eq!(read, MANY_ENTRIES + 2);
    assert!(peak <= counting_alloc::cap_for(len), "peak {peak}");
}

/// The whole job over the same zip (scan, plan, rewrite of the two DICOM files, the log of
/// 1,000,000 rows) within 64 MiB + 4 × the zip (488 MB measured against 513 MB; 710 MB while
/// the plan held its file plans inline and a copy of every "not DICOM" text, and the log was
/// sorted with a map of every file's size). A folder of as many files costs the same. About 5 s.
#[test]
fn a_zip_of_a_million_entries_is_logged_within_the_cap() {
    let _serial = serial();
    let z = zip_of_many(MANY_ENTRIES);
    let len = z.len();
    let (peak, rows) = run_zip(z);
    eprintln!(
        "1,000,000 entries, {len} bytes: the job's peak {peak} (64 MiB + 4 x the zip: {})",
        counting_alloc::cap_for(len)
    );
    assert_eq!(rows.len(), MANY_ENTRIES + 2);
    let written = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Written)
        .count();
    assert_eq!(written, 2, "the two DICOM entries are written");
    assert!(peak <= counting_alloc::cap_for(len), "peak {peak}");
}
