//! The "before you start" view: every element of a file (flattened, at every depth) as rows
//! of text, and a small grey-scale thumbnail when the pixel data is native (uncompressed).

use dicom_core::dictionary::DataDictionary;
use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::{tags, StandardDataDictionary};
use dicom_object::mem::{InMemDicomObject, InMemElement};
use serde::Serialize;

use crate::error::Rejection;
use crate::padding::Unpadded as _;
use crate::read;

/// One element of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Location: `(0010,0010)`, or `(0040,A730)[1]/(0040,A160)` inside sequences.
    pub path: String,
    /// Keyword (or `Private` / `Unknown`).
    pub keyword: String,
    /// VR.
    pub vr: String,
    /// Value as text (at most 200 characters; binary values summarised).
    pub value: String,
}

fn keyword(t: dicom_core::Tag) -> String {
    if t.group() % 2 == 1 {
        return if t.element() <= 0xFF {
            "PrivateCreator".into()
        } else {
            "Private".into()
        };
    }
    StandardDataDictionary
        .by_tag(t)
        .map(|e| e.alias.to_string())
        .unwrap_or_else(|| "Unknown".into())
}

/// `(gggg,eeee)[i]/…(gggg,eeee)`: the sequences above, 1-based item numbers, then the tag.
fn path_of(at: crate::visit::At<'_>, t: Tag) -> String {
    let mut path = String::new();
    for (s, i) in at.path {
        path.push_str(&format!(
            "({:04X},{:04X})[{}]/",
            s.group(),
            s.element(),
            i + 1
        ));
    }
    path.push_str(&format!("({:04X},{:04X})", t.group(), t.element()));
    path
}

/// What the preview shows of a value: item and fragment counts, byte counts of binary values,
/// text cut at 200 characters.
fn shown(e: &InMemElement) -> String {
    match e.value() {
        Value::Sequence(seq) => format!("{} item(s)", seq.items().len()),
        Value::PixelSequence(ps) => format!("encapsulated, {} fragment(s)", ps.fragments().len()),
        Value::Primitive(p) => {
            let binary = matches!(
                e.vr(),
                VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN
            );
            if binary {
                return format!("{} bytes", p.calculate_byte_len());
            }
            let s = p.to_str();
            let s = s.unpadded();
            if s.chars().count() > 200 {
                format!("{}…", s.chars().take(200).collect::<String>())
            } else {
                s.to_string()
            }
        }
    }
}

fn rows_of(obj: &InMemDicomObject, out: &mut Vec<Row>) {
    crate::visit::visit(obj, &mut |at, e| {
        let t = e.tag();
        out.push(Row {
            path: path_of(at, t),
            keyword: keyword(t),
            vr: e.vr().to_string().to_string(),
            value: shown(e),
        });
    });
}

/// All elements of a file, in order, at every depth.
pub fn dump(bytes: &[u8]) -> Result<Vec<Row>, Rejection> {
    let (obj, _) = read::parse_whole(bytes)?;
    let mut out = Vec::new();
    let meta = obj.meta();
    out.push(Row {
        path: "(0002,0002)".into(),
        keyword: "MediaStorageSOPClassUID".into(),
        vr: "UI".into(),
        value: meta.media_storage_sop_class_uid().unpadded().into(),
    });
    out.push(Row {
        path: "(0002,0003)".into(),
        keyword: "MediaStorageSOPInstanceUID".into(),
        vr: "UI".into(),
        value: meta.media_storage_sop_instance_uid().unpadded().into(),
    });
    out.push(Row {
        path: "(0002,0010)".into(),
        keyword: "TransferSyntaxUID".into(),
        vr: "UI".into(),
        value: meta.transfer_syntax().unpadded().into(),
    });
    rows_of(&obj, &mut out);
    Ok(out)
}

/// A grey-scale thumbnail (RGBA, at most `max` pixels on its longer side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thumbnail {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGBA bytes, row by row.
    pub rgba: Vec<u8>,
}

/// Renders the first frame of native pixel data (MONOCHROME1/2, RGB; 8 or 16 bits), windowed
/// to its own min/max. `None` for encapsulated (compressed) pixel data.
pub fn thumbnail(bytes: &[u8], max: u32) -> Option<Thumbnail> {
    let (obj, _) = read::parse_whole(bytes).ok()?;
    let get = |t| obj.get(t).and_then(|e| e.to_int::<u32>().ok());
    let rows = get(tags::ROWS)?;
    let cols = get(tags::COLUMNS)?;
    let bits = get(tags::BITS_ALLOCATED)?;
    let spp = get(tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    let signed = get(tags::PIXEL_REPRESENTATION).unwrap_or(0) == 1;
    let planar = get(tags::PLANAR_CONFIGURATION).unwrap_or(0) == 1;
    let photometric =
        crate::padding::string_of(&obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();
    let pixel = obj.get(tags::PIXEL_DATA)?;
    let data = match pixel.value() {
        Value::Primitive(p) => p.to_bytes(),
        _ => return None,
    };
    if rows == 0 || cols == 0 || !(bits == 8 || bits == 16) || !(spp == 1 || spp == 3) {
        return None;
    }
    let bpp = (bits / 8) as usize;
    let n = rows as usize * cols as usize;
    if data.len() < n * bpp * spp as usize {
        return None;
    }
    let sample = |i: usize| -> f64 {
        if bpp == 1 {
            data[i] as f64
        } else {
            let v = u16::from_le_bytes([data[2 * i], data[2 * i + 1]]);
            if signed {
                v as i16 as f64
            } else {
                v as f64
            }
        }
    };
    let scale = (rows.max(cols) as f64 / max.max(1) as f64).max(1.0);
    let w = ((cols as f64) / scale).floor().max(1.0) as u32;
    let h = ((rows as f64) / scale).floor().max(1.0) as u32;
    let idx = |x: u32, y: u32| {
        ((y as f64 * scale) as usize).min(rows as usize - 1) * cols as usize
            + ((x as f64 * scale) as usize).min(cols as usize - 1)
    };
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    if spp == 1 {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for y in 0..h {
            for x in 0..w {
                let v = sample(idx(x, y));
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        let range = (hi - lo).max(1.0);
        for y in 0..h {
            for x in 0..w {
                let mut g = ((sample(idx(x, y)) - lo) / range * 255.0) as u8;
                if photometric == "MONOCHROME1" {
                    g = 255 - g;
                }
                rgba.extend_from_slice(&[g, g, g, 255]);
            }
        }
    } else {
        for y in 0..h {
            for x in 0..w {
                let i = idx(x, y);
                let c = |k: usize| -> u8 {
                    let s = if planar {
                        sample(k * n + i)
                    } else {
                        sample(i * 3 + k)
                    };
                    if bpp == 1 {
                        s as u8
                    } else {
                        (s / 256.0) as u8
                    }
                };
                rgba.extend_from_slice(&[c(0), c(1), c(2), 255]);
            }
        }
    }
    Some(Thumbnail {
        width: w,
        height: h,
        rgba,
    })
}
