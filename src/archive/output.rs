//! The output zip, written as a stream of stored entries (DICOM pixel data rarely compresses and
//! storing is fastest), every timestamp 1980-01-01 00:00, permissions 0644, Zip64 (APPNOTE 6.3.10
//! §4.3.9, §4.4.8, §4.5.3) for entries of 4 GiB or more, offsets past 4 GiB and more than 65,534
//! entries. Same entries in the same order → the same bytes, on any machine.
//!
//! The layout ([`ZipLayout`]) is separate from the bytes: given an entry's name, size and CRC-32
//! it returns the local header, and at the end the central directory. So the size and CRC of an
//! entry are known before its header is written (no data descriptor), and a shell can write the
//! entry's bytes itself, from wherever they are: the CLI from its read buffer, the browser's
//! sink worker straight from the buffers the engine workers transferred (the bytes never pass
//! through the sink's wasm memory). The CRC is computed where the bytes already are
//! ([`crc32_of`]), on the engine's threads. (The `zip` crate, used to read input zips, writes
//! only through its own writer, which hashes and copies every byte.)

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// Errors writing the zip.
#[derive(Debug, snafu::Snafu)]
#[snafu(display("cannot write the output zip: {detail}"))]
pub struct SinkError {
    /// cause
    pub detail: String,
}

fn sink_err(e: impl std::fmt::Display) -> SinkError {
    SinkError {
        detail: e.to_string(),
    }
}

/// CRC-32 (ISO-HDLC, as zip uses) of parts written one after the other: zlib-rs's (already
/// here for deflate), which folds with PCLMULQDQ on x86_64 and runs zlib's braided tables
/// elsewhere (in wasm with SIMD: 1.28 GB/s against 1.03 for crc32fast's slice-by-16).
pub fn crc32_of(parts: &[&[u8]]) -> u32 {
    parts.iter().fold(0, |crc, p| zlib_rs::crc32::crc32(crc, p))
}

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
/// 16-bit and 32-bit field maxima: a value that does not fit is written as all ones and given
/// in the Zip64 extra field or record instead.
const MAX16: u64 = 0xFFFF;
const MAX32: u64 = 0xFFFF_FFFF;
/// Version needed to extract: 2.0 (stored), 4.5 (Zip64).
const V20: u16 = 20;
const V45: u16 = 45;
/// Version made by: UNIX (3), so that the external attributes carry permissions.
const MADE_BY_UNIX: u16 = 3 << 8;
/// MS-DOS date of 1980-01-01 (time 00:00:00 is 0).
const DOS_DATE_1980: u16 = (1 << 5) | 1;
/// Regular file, rw-r--r--.
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;
/// General purpose flag bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}
/// A 32-bit field, or all ones when the value goes to the Zip64 extra field.
fn field32(x: u64) -> u32 {
    if x >= MAX32 {
        MAX32 as u32
    } else {
        x as u32
    }
}

/// Where each entry goes in a stored zip: local headers as entries come, the central directory
/// at the end. Holds only the central directory (about 100 bytes per entry).
#[derive(Debug, Default)]
pub struct ZipLayout {
    /// Bytes of the zip so far (headers and entry data).
    offset: u64,
    central: Vec<u8>,
    entries: u64,
}

impl ZipLayout {
    /// An empty zip.
    pub fn new() -> ZipLayout {
        ZipLayout::default()
    }

    /// Number of entries so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Bytes of the zip so far.
    pub fn len(&self) -> u64 {
        self.offset
    }

    /// Whether nothing has been laid out yet.
    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }

    /// The local header of the next entry, whose `size` bytes (CRC-32 `crc`) the caller writes
    /// right after it; records the entry for the central directory.
    pub fn entry(&mut self, name: &str, size: u64, crc: u32) -> Result<Vec<u8>, SinkError> {
        let name_bytes = name.as_bytes();
        if name.is_empty() || name_bytes.len() as u64 > MAX16 {
            return Err(sink_err(format!(
                "entry name of {} bytes (1 to 65,535 allowed)",
                name_bytes.len()
            )));
        }
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let large = size >= MAX32;
        let at = self.offset;

        // Local file header (§4.3.7); a large entry gives both sizes in its Zip64 field.
        let mut local = Vec::with_capacity(30 + name_bytes.len() + 20);
        put32(&mut local, LOCAL_SIG);
        put16(&mut local, if large { V45 } else { V20 });
        put16(&mut local, flags);
        put16(&mut local, 0); // stored
        put16(&mut local, 0); // time 00:00:00
        put16(&mut local, DOS_DATE_1980);
        put32(&mut local, crc);
        put32(&mut local, field32(size));
        put32(&mut local, field32(size));
        put16(&mut local, name_bytes.len() as u16);
        put16(&mut local, if large { 20 } else { 0 });
        local.extend_from_slice(name_bytes);
        if large {
            put16(&mut local, ZIP64_EXTRA);
            put16(&mut local, 16);
            put64(&mut local, size);
            put64(&mut local, size);
        }

        // Central directory header (§4.3.12); its Zip64 field has only the values that overflow,
        // in the order uncompressed size, compressed size, offset (§4.5.3).
        let mut extra = Vec::new();
        if large {
            put64(&mut extra, size);
            put64(&mut extra, size);
        }
        if at >= MAX32 {
            put64(&mut extra, at);
        }
        let zip64 = !extra.is_empty();
        let version = if zip64 { V45 } else { V20 };
        let c = &mut self.central;
        put32(c, CENTRAL_SIG);
        put16(c, MADE_BY_UNIX | version);
        put16(c, version);
        put16(c, flags);
        put16(c, 0);
        put16(c, 0);
        put16(c, DOS_DATE_1980);
        put32(c, crc);
        put32(c, field32(size));
        put32(c, field32(size));
        put16(c, name_bytes.len() as u16);
        put16(c, if zip64 { 4 + extra.len() as u16 } else { 0 });
        put16(c, 0); // comment
        put16(c, 0); // disk
        put16(c, 0); // internal attributes
        put32(c, EXTERNAL_ATTRS);
        put32(c, field32(at));
        c.extend_from_slice(name_bytes);
        if zip64 {
            put16(c, ZIP64_EXTRA);
            put16(c, extra.len() as u16);
            c.extend_from_slice(&extra);
        }

        self.offset = at + local.len() as u64 + size;
        self.entries += 1;
        Ok(local)
    }

    /// The central directory and the end records (Zip64 ones when a count, size or offset
    /// overflows its field).
    pub fn finish(self) -> Vec<u8> {
        let cd_at = self.offset;
        let cd_size = self.central.len() as u64;
        let mut out = self.central;
        let zip64 = self.entries >= MAX16 || cd_size >= MAX32 || cd_at >= MAX32;
        if zip64 {
            let record_at = cd_at + cd_size;
            // Zip64 end of central directory record (§4.3.14).
            put32(&mut out, ZIP64_EOCD_SIG);
            put64(&mut out, 44);
            put16(&mut out, MADE_BY_UNIX | V45);
            put16(&mut out, V45);
            put32(&mut out, 0);
            put32(&mut out, 0);
            put64(&mut out, self.entries);
            put64(&mut out, self.entries);
            put64(&mut out, cd_size);
            put64(&mut out, cd_at);
            // Zip64 end of central directory locator (§4.3.15).
            put32(&mut out, ZIP64_LOCATOR_SIG);
            put32(&mut out, 0);
            put64(&mut out, record_at);
            put32(&mut out, 1);
        }
        // End of central directory record (§4.3.16).
        let count = self.entries.min(MAX16) as u16;
        put32(&mut out, EOCD_SIG);
        put16(&mut out, 0);
        put16(&mut out, 0);
        put16(&mut out, count);
        put16(&mut out, count);
        put32(&mut out, field32(cd_size));
        put32(&mut out, field32(cd_at));
        put16(&mut out, 0);
        out
    }
}

/// A zip written to any `Write`.
pub struct ZipSink<W: Write> {
    out: W,
    layout: ZipLayout,
}

impl<W: Write> ZipSink<W> {
    /// Starts a zip on `out`.
    pub fn new(out: W) -> Self {
        ZipSink {
            out,
            layout: ZipLayout::new(),
        }
    }

    /// Adds one entry.
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), SinkError> {
        self.add_parts(path, &[bytes])
    }

    /// Adds one entry whose bytes are the parts one after the other (a rewritten header and
    /// the input's pixel data), without joining them.
    pub fn add_parts(&mut self, path: &str, parts: &[&[u8]]) -> Result<(), SinkError> {
        self.add_parts_crc(path, crc32_of(parts), parts)
    }

    /// Like [`ZipSink::add_parts`], with the CRC-32 of the parts already computed
    /// ([`crc32_of`], e.g. on a worker thread).
    pub fn add_parts_crc(
        &mut self,
        path: &str,
        crc: u32,
        parts: &[&[u8]],
    ) -> Result<(), SinkError> {
        let size = parts.iter().map(|p| p.len() as u64).sum();
        let header = self.layout.entry(path, size, crc)?;
        self.out.write_all(&header).map_err(sink_err)?;
        for p in parts {
            self.out.write_all(p).map_err(sink_err)?;
        }
        Ok(())
    }

    /// Number of entries written.
    pub fn entries(&self) -> u64 {
        self.layout.entries()
    }

    /// Writes the central directory and flushes.
    pub fn finish(mut self) -> Result<(), SinkError> {
        let tail = self.layout.finish();
        self.out.write_all(&tail).map_err(sink_err)?;
        self.out.flush().map_err(sink_err)
    }
}

/// A growable buffer shared between the zip writer and whoever drains it.
#[derive(Clone, Default)]
pub struct SharedBuffer(pub Rc<RefCell<Vec<u8>>>);

impl SharedBuffer {
    /// Takes everything written so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let buf = SharedBuffer::default();
        let mut sink = ZipSink::new(buf.clone());
        for (name, bytes) in entries {
            // Split in two parts, as the shells write a header and a pixel tail.
            let (a, b) = bytes.split_at(bytes.len() / 3);
            sink.add_parts(name, &[a, b]).expect("add");
        }
        sink.finish().expect("finish");
        buf.take()
    }

    /// Reads every entry back with the `zip` crate (an independent reader that checks CRCs).
    fn read_back(zip: &[u8]) -> Vec<(String, Vec<u8>, u32)> {
        let mut z = zip::ZipArchive::new(Cursor::new(zip)).expect("zip crate opens it");
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).expect("entry");
                let mut v = Vec::new();
                f.read_to_end(&mut v).expect("entry reads with a good CRC");
                (f.name().to_string(), v, f.unix_mode().unwrap_or(0))
            })
            .collect()
    }

    #[test]
    fn entries_read_back_with_their_bytes_names_and_modes() {
        let entries = vec![
            (
                "a/b/00001.dcm",
                (0..100_000u32).map(|i| (i * 7) as u8).collect(),
            ),
            ("empty.txt", Vec::new()),
            ("Müller/notes.txt", b"IMPORT_NOTES: x\n".to_vec()),
        ];
        let zip = zip_of(&entries);
        let back = read_back(&zip);
        assert_eq!(back.len(), 3);
        for ((n, b), (rn, rb, mode)) in entries.iter().zip(&back) {
            assert_eq!(n, rn);
            assert_eq!(b, rb);
            assert_eq!(mode & 0o777, 0o644);
        }
        // Deterministic: the same entries give the same bytes.
        assert_eq!(zip, zip_of(&entries));
    }

    #[test]
    fn precomputed_crc_is_what_the_reader_checks() {
        let data = b"0123456789".repeat(1000);
        let buf = SharedBuffer::default();
        let mut sink = ZipSink::new(buf.clone());
        sink.add_parts_crc("x", crc32_of(&[&data]), &[&data])
            .expect("add");
        // A wrong CRC is written as given, and the reader rejects the entry.
        sink.add_parts_crc("y", crc32_of(&[&data]) ^ 1, &[&data])
            .expect("add");
        sink.finish().expect("finish");
        let zip = buf.take();
        let mut z = zip::ZipArchive::new(Cursor::new(&zip)).expect("opens");
        let mut v = Vec::new();
        z.by_index(0)
            .expect("x")
            .read_to_end(&mut v)
            .expect("good CRC");
        assert_eq!(v, data);
        let mut w = Vec::new();
        assert!(z.by_index(1).expect("y").read_to_end(&mut w).is_err());
    }

    #[test]
    fn more_than_65534_entries_use_zip64_end_records() {
        let names: Vec<String> = (0..70_000).map(|i| format!("f{i:05}")).collect();
        let buf = SharedBuffer::default();
        let mut sink = ZipSink::new(buf.clone());
        for (i, n) in names.iter().enumerate() {
            sink.add(n, &(i as u32).to_le_bytes()).expect("add");
        }
        assert_eq!(sink.entries(), 70_000);
        sink.finish().expect("finish");
        let zip = buf.take();
        let eocd = zip.len() - 22;
        assert_eq!(&zip[eocd..eocd + 4], &EOCD_SIG.to_le_bytes());
        assert_eq!(
            &zip[eocd + 8..eocd + 12],
            &[0xFF; 4],
            "counts left to Zip64"
        );
        assert_eq!(&zip[eocd - 20..eocd - 16], &ZIP64_LOCATOR_SIG.to_le_bytes());
        let mut z = zip::ZipArchive::new(Cursor::new(&zip)).expect("opens");
        assert_eq!(z.len(), 70_000);
        let mut v = Vec::new();
        z.by_name("f69999")
            .expect("last entry")
            .read_to_end(&mut v)
            .expect("reads");
        assert_eq!(v, 69_999u32.to_le_bytes());
    }

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_le_bytes([b[i], b[i + 1]])
    }
    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
    }
    fn u64_at(b: &[u8], i: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(a)
    }

    /// Sizes and offsets past 4 GiB, without writing 4 GiB: the layout alone (the writer adds
    /// nothing else). The 4 GB benchmark's zip is the end-to-end check (README).
    #[test]
    fn entries_and_offsets_past_4_gib_use_zip64_fields() {
        let mut l = ZipLayout::new();
        let big = 5u64 << 30;
        let h = l.entry("big.dcm", big, 0xDEAD_BEEF).expect("entry");
        assert_eq!(u16_at(&h, 4), V45);
        assert_eq!(u32_at(&h, 14), 0xDEAD_BEEF);
        assert_eq!(u32_at(&h, 18), 0xFFFF_FFFF);
        assert_eq!(u32_at(&h, 22), 0xFFFF_FFFF);
        let extra = 30 + "big.dcm".len();
        assert_eq!(u16_at(&h, 28), 20);
        assert_eq!(u16_at(&h, extra), ZIP64_EXTRA);
        assert_eq!(u64_at(&h, extra + 4), big);
        assert_eq!(u64_at(&h, extra + 12), big);
        // The next entry starts past 4 GiB: a small local header, a Zip64 offset in the central
        // directory.
        let h2 = l.entry("small.dcm", 10, 1).expect("entry");
        assert_eq!(u16_at(&h2, 4), V20);
        assert_eq!(u16_at(&h2, 28), 0);
        let second_at = h.len() as u64 + big;
        let end = l.finish();
        let c2 = 46 + "big.dcm".len() + 4 + 16;
        assert_eq!(u32_at(&end, c2), CENTRAL_SIG);
        assert_eq!(u32_at(&end, c2 + 42), 0xFFFF_FFFF);
        let extra2 = c2 + 46 + "small.dcm".len();
        assert_eq!(u16_at(&end, extra2), ZIP64_EXTRA);
        assert_eq!(u16_at(&end, extra2 + 2), 8);
        assert_eq!(u64_at(&end, extra2 + 4), second_at);
        // The central directory starts past 4 GiB: Zip64 end records.
        let z64 = extra2 + 12;
        assert_eq!(u32_at(&end, z64), ZIP64_EOCD_SIG);
        assert_eq!(u64_at(&end, z64 + 24), 2);
        assert_eq!(u64_at(&end, z64 + 48), second_at + 30 + 9 + 10);
        assert_eq!(end.len(), z64 + 56 + 20 + 22);
    }

    #[test]
    fn bad_names_are_refused() {
        let mut l = ZipLayout::new();
        assert!(l.entry("", 1, 0).is_err());
        assert!(l.entry(&"x".repeat(70_000), 1, 0).is_err());
        assert_eq!(l.entries(), 0);
    }
}
