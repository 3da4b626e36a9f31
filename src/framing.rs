//! How an input file is framed: preamble + `DICM` + meta group, `DICM` without preamble, or a
//! bare data set whose transfer syntax is recognised from its first element (PS3.10 7.1; bare
//! data sets as PACS exports write them). A leaf module: the structural walk, the UN
//! normaliser and the reader all depend on it, it on none of them.

use crate::error::Rejection;

/// How the input was framed (recorded in the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// 128-byte preamble + `DICM` + meta group.
    Standard,
    /// `DICM` + meta group, no preamble.
    NoPreamble,
    /// A bare data set (no meta group); the transfer syntax was guessed.
    RawDataSet(&'static str),
}

const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";

/// Finds how the bytes are framed, or says why they are not DICOM.
pub fn detect(bytes: &[u8]) -> Result<Framing, Rejection> {
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        return Ok(Framing::Standard);
    }
    if bytes.len() >= 4 && &bytes[0..4] == b"DICM" {
        return Ok(Framing::NoPreamble);
    }
    // A bare data set starts with a low even group (0008 is typical): little endian (implicit
    // or explicit VR) or explicit VR big endian (implicit VR big endian does not exist).
    if bytes.len() >= 8 {
        let low_group = |g: u16| matches!(g, 0x0008 | 0x0010 | 0x0018 | 0x0020);
        let vr = &bytes[4..6];
        let explicit = vr[0].is_ascii_uppercase() && vr[1].is_ascii_uppercase();
        let group = u16::from_le_bytes([bytes[0], bytes[1]]);
        let elem = u16::from_le_bytes([bytes[2], bytes[3]]);
        if low_group(group) && elem < 0x2000 {
            return Ok(Framing::RawDataSet(if explicit {
                EXPLICIT_LE
            } else {
                IMPLICIT_LE
            }));
        }
        let group = u16::from_be_bytes([bytes[0], bytes[1]]);
        let elem = u16::from_be_bytes([bytes[2], bytes[3]]);
        if low_group(group) && elem < 0x2000 && explicit {
            return Ok(Framing::RawDataSet(EXPLICIT_BE));
        }
    }
    Err(Rejection::NotDicom {
        detail: if bytes.is_empty() {
            "empty file".into()
        } else if crate::archive::input::looks_like_zip(bytes) {
            "a zip file inside the input, not opened: only zips given as inputs are read (one \
             level); unzip it and give its files or the inner zip as an input"
                .into()
        } else {
            "no DICM marker and no recognisable data set".into()
        },
    })
}
