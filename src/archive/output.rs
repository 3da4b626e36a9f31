//! The output zip, written as a stream: stored entries (DICOM pixel data rarely compresses and
//! storing is fastest), every timestamp 1980-01-01 00:00, permissions 0644, Zip64 for entries
//! of 4 GiB or more and for more than 65,535 entries. Same entries in the same order → the same
//! bytes, on any machine.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// A zip writer over any `Write`.
pub struct ZipSink<W: Write> {
    writer: ZipWriter<zip::write::StreamWriter<W>>,
    entries: u64,
}

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

impl<W: Write> ZipSink<W> {
    /// Starts a zip on `inner`.
    pub fn new(inner: W) -> Self {
        ZipSink {
            writer: ZipWriter::new_stream(inner).set_auto_large_file(),
            entries: 0,
        }
    }

    /// Adds one entry.
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), SinkError> {
        self.add_parts(path, &[bytes])
    }

    /// Adds one entry whose bytes are the parts one after the other (a rewritten header and
    /// the input's pixel data), without joining them.
    pub fn add_parts(&mut self, path: &str, parts: &[&[u8]]) -> Result<(), SinkError> {
        let size: u64 = parts.iter().map(|p| p.len() as u64).sum();
        let opts = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644)
            .large_file(size >= 0xFFFF_FFFF);
        self.writer.start_file(path, opts).map_err(sink_err)?;
        for p in parts {
            self.writer.write_all(p).map_err(sink_err)?;
        }
        self.entries += 1;
        Ok(())
    }

    /// Number of entries written.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Writes the central directory and returns the inner writer.
    pub fn finish(self) -> Result<(), SinkError> {
        self.writer.finish().map_err(sink_err)?;
        Ok(())
    }
}

/// A growable buffer shared between the zip writer and whoever drains it (the browser shell
/// takes the bytes after each entry and streams them to disk).
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
