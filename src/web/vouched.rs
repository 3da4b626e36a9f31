//! The binding of [`crate::deliver::vouched`] for the page's senders (STOW-RS and S3): a zip
//! checked against its signed run statement before anything of it is sent, read through a
//! function of the worker (`read_at(offset, length)`: a slice of the zip's Blob read
//! synchronously), so a zip of any size costs a bounded buffer, never its whole size.

use std::io::{self, Read, Seek, SeekFrom};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{fail, object, options_err};
use crate::codes::Code;
use crate::deliver::vouched::vouch_zip;
use crate::statement::signing::{hex, unhex};

/// The most asked of `read_at` at once.
const MAX_READ: u64 = 4 << 20;

/// A zip read through the worker's `read_at(offset, length)` → `Uint8Array`.
struct JsReader {
    read_at: js_sys::Function,
    size: u64,
    pos: u64,
}

impl Read for JsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = (buf.len() as u64)
            .min(self.size.saturating_sub(self.pos))
            .min(MAX_READ);
        if len == 0 {
            return Ok(0);
        }
        let got = self
            .read_at
            .call2(
                &JsValue::NULL,
                &(self.pos as f64).into(),
                &(len as f64).into(),
            )
            .map_err(|e| io::Error::other(format!("cannot read the zip: {e:?}")))?;
        let bytes: js_sys::Uint8Array = got
            .dyn_into()
            .map_err(|_| io::Error::other("read_at gave no Uint8Array"))?;
        // `len` fits in a u32 (at most MAX_READ).
        let n = bytes.length().min(len as u32);
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        bytes.subarray(0, n).copy_to(&mut buf[..n as usize]);
        self.pos += u64::from(n);
        Ok(n as usize)
    }
}

impl Seek for JsReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| io::Error::other("seek before the zip's start"))?;
        Ok(self.pos)
    }
}

/// The zip of `size` bytes, read through `read_at(offset, length)`, checked against its signed
/// statement (`public_key`: the project's key file text, or undefined: the statement's own):
/// `{ok: true, instances: {path: sha256}, entries, keyFingerprint, keyGiven, bytes}` (the
/// instance entries its manifest vouches for, the only ones that may be sent), or `{ok: false,
/// problems, message}` (`dicom-deid verify`'s lines; the zip is refused as a whole). Throws
/// `bad_zip` when it cannot be read as a zip, `bad_options` for a public key that is not one.
#[wasm_bindgen]
pub fn vouch_zip_at(
    size: f64,
    read_at: js_sys::Function,
    public_key: Option<String>,
) -> Result<JsValue, JsValue> {
    let key = match public_key {
        Some(text) => Some(
            unhex::<32>(text.lines().next().unwrap_or("").trim())
                .ok_or_else(|| options_err("the public key file is not 64 hex digits"))?,
        ),
        None => None,
    };
    // A Blob's size: whole, non-negative, far below 2^53.
    let reader = JsReader {
        read_at,
        size: size.max(0.0) as u64,
        pos: 0,
    };
    let read = io::BufReader::with_capacity(256 << 10, reader);
    let verdict = vouch_zip(read, key).map_err(|e| fail(Code::BadZip, e))?;
    Ok(match verdict {
        Ok(v) => {
            let instances = js_sys::Object::new();
            for name in v.names() {
                let sum = v.sha256_of(name).map(|s| hex(s)).unwrap_or_default();
                let _ = js_sys::Reflect::set(&instances, &name.into(), &sum.into());
            }
            object(vec![
                ("ok", true.into()),
                ("instances", instances.into()),
                ("entries", (v.verified.entries as f64).into()),
                ("keyFingerprint", v.verified.key_fingerprint.into()),
                ("keyGiven", v.verified.key_given.into()),
            ])
        }
        Err(refused) => {
            let problems: js_sys::Array = refused.lines().into_iter().map(JsValue::from).collect();
            object(vec![
                ("ok", false.into()),
                ("problems", problems.into()),
                ("message", refused.to_string().into()),
            ])
        }
    })
}

/// The project's public key (64 hex digits) for a secret: the key a run with that secret signs
/// its statement with, so that a delivery can insist on it (a zip re-signed with another key
/// is refused) — `dicom-deid send` does the same with the project's secret.
#[wasm_bindgen]
pub fn project_public_key(secret: &[u8]) -> String {
    crate::statement::signing::public_key_hex(&crate::uid::Keyed::new(secret))
}
