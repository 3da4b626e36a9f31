//! The text of a value as PS3.5 means it, whatever dicom-rs made of it (a module of its own,
//! below the scan and the identifier search that both read it).
//!
//! dicom-rs decodes text with the first value of Specific Character Set only: a file in
//! `\ISO 2022 IR 149` (Korean), `\ISO 2022 IR 87` (Japanese), `\ISO 2022 IR 58` (Chinese) is
//! read as ISO 8859-1, `ISO 2022 IR 13\ISO 2022 IR 87` as Shift-JIS, escape sequences left in
//! the text; it writes text back with the same codec, so kept values stay byte-identical. This
//! module recovers the value's bytes (the same codec, backwards), decodes them with the code
//! extensions of PS3.5 6.1.2.5 (G0/G1 designations, reset at delimiters) and maps every decoded
//! character to its bytes, so that identifiers are searched in the real text and replaced
//! there with `X`s that stay valid in the file's character set. UTF-8, GB18030, GBK and
//! single-byte sets are decoded right by dicom-rs and are used as they are.

use std::ops::Range;

use dicom_core::value::Value;
use dicom_core::VR;
use dicom_dictionary_std::tags;
use dicom_encoding::text::{SpecificCharacterSet, TextCodec as _};
use dicom_object::mem::InMemDicomObject;
use encoding::{DecoderTrap, Encoding};

/// The graphic set designated to G0 (bytes 0x21–0x7E).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G0 {
    /// ASCII (ISO IR 6) or JIS X 0201 Romaji (ISO IR 14): one byte a character.
    Ascii,
    /// JIS X 0208 (ISO IR 87): two bytes a character.
    Jis0208,
    /// JIS X 0212 (ISO IR 159): two bytes a character.
    Jis0212,
}

impl G0 {
    fn escape(self) -> &'static [u8] {
        match self {
            G0::Ascii => b"\x1b(B",
            G0::Jis0208 => b"\x1b$B",
            G0::Jis0212 => b"\x1b$(D",
        }
    }
}

/// The graphic set designated to G1 (bytes 0xA1–0xFE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G1 {
    /// Nothing designated: bytes read as ISO 8859-1 (what dicom-rs does).
    Latin1,
    /// JIS X 0201 Katakana (ISO IR 13): one byte a character.
    Katakana,
    /// KS X 1001 (ISO IR 149): two bytes a character.
    Ksx1001,
    /// GB 2312 (ISO IR 58): two bytes a character.
    Gb2312,
}

/// The escape sequences of PS3.5 Table 6.2-1 and 6.2-2 this module reads, with their effect.
const ESCAPES: [(&[u8], Option<G0>, Option<G1>); 8] = [
    (b"\x1b(B", Some(G0::Ascii), None),
    (b"\x1b(J", Some(G0::Ascii), None),
    (b"\x1b$B", Some(G0::Jis0208), None),
    (b"\x1b$(D", Some(G0::Jis0212), None),
    (b"\x1b)I", None, Some(G1::Katakana)),
    (b"\x1b$)C", None, Some(G1::Ksx1001)),
    (b"\x1b$)A", None, Some(G1::Gb2312)),
    (b"\x1b-A", None, Some(G1::Latin1)),
];

/// The G1 set a defined term of Specific Character Set designates.
fn g1_of(term: &str) -> Option<G1> {
    match term.trim() {
        "ISO 2022 IR 13" => Some(G1::Katakana),
        "ISO 2022 IR 149" => Some(G1::Ksx1001),
        "ISO 2022 IR 58" => Some(G1::Gb2312),
        _ => None,
    }
}

/// How the text values of one data set are encoded.
#[derive(Debug, Clone, Default)]
pub struct Charset {
    /// The codec dicom-rs read (and writes) these values with.
    dicomrs: SpecificCharacterSet,
    /// The code extensions in use, when Specific Character Set names ISO 2022 sets.
    iso2022: Option<Initial>,
}

/// The initial state of ISO 2022 decoding, and the G1 set to use when a file writes G1
/// bytes without designating one.
#[derive(Debug, Clone, Copy)]
struct Initial {
    g1: G1,
    fallback_g1: G1,
}

/// One decoded character's bytes in its value, and the G0 set they were read in.
type CharBytes = (Range<usize>, G0);

/// The text of one value: its characters, and for each the byte range of the value it was
/// decoded from (escape sequences belong to no character).
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// ISO 2022 only: the value's bytes, and per character its bytes and G0 set.
    raw: Option<(Vec<u8>, Vec<CharBytes>)>,
}

impl Decoded {
    /// Whether the value's text is what dicom-rs holds (no ISO 2022 code extensions): a
    /// rewritten piece of it can be written as text.
    pub fn is_plain(&self) -> bool {
        self.raw.is_none()
    }
}

/// Whether dicom-rs decodes this VR with the declared character set (PS3.5 6.1.2.3: the code
/// extensions apply to SH, LO, ST, LT, UC, UT and PN).
fn uses_charset(vr: VR) -> bool {
    matches!(
        vr,
        VR::SH | VR::LO | VR::ST | VR::LT | VR::UC | VR::UT | VR::PN
    )
}

impl Charset {
    /// The character set of a data set, from the values of its Specific Character Set
    /// (0008,0005) as dicom-rs read them.
    pub fn new(values: &[String]) -> Charset {
        let first = values.first().map(String::as_str).unwrap_or("");
        let dicomrs = SpecificCharacterSet::from_code(first).unwrap_or_default();
        let iso2022 = (values.len() > 1 || first.contains("2022")).then(|| {
            let fallback_g1 = values.iter().find_map(|v| g1_of(v)).unwrap_or(G1::Latin1);
            Initial {
                g1: g1_of(first).unwrap_or(G1::Latin1),
                fallback_g1,
            }
        });
        Charset { dicomrs, iso2022 }
    }

    /// The character set of a data set: its Specific Character Set (0008,0005).
    pub fn of(obj: &InMemDicomObject) -> Charset {
        let values: Vec<String> = match obj.get(tags::SPECIFIC_CHARACTER_SET).map(|e| e.value()) {
            Some(Value::Primitive(p)) => p
                .to_multi_str()
                .iter()
                .map(|s| s.trim_matches(['\0', ' ']).to_string())
                .collect(),
            _ => Vec::new(),
        };
        Charset::new(&values)
    }

    /// Bytes of a text value (sent with a binary VR) read with this character set, as dicom-rs
    /// would read them with the attribute's own VR.
    pub fn read_bytes(&self, bytes: &[u8]) -> Option<String> {
        self.dicomrs.decode(bytes).ok()
    }

    /// The text of a value of this VR (as dicom-rs holds it).
    pub fn text(&self, vr: VR, value: &str) -> String {
        self.decode(vr, value).text
    }

    /// The decoded text of a value of this VR (as dicom-rs holds it).
    pub fn decode(&self, vr: VR, value: &str) -> Decoded {
        let plain = || Decoded {
            text: value.to_string(),
            raw: None,
        };
        let Some(initial) = self.iso2022.filter(|_| uses_charset(vr)) else {
            return plain();
        };
        // The value's bytes: what dicom-rs decoded, encoded again with its codec (only when
        // that gives the same text back, else the text is used as it is).
        let Ok(raw) = self.dicomrs.encode(value) else {
            return plain();
        };
        if self.dicomrs.decode(&raw).ok().as_deref() != Some(value) {
            return plain();
        }
        let (text, chars) = decode_iso2022(&raw, initial);
        Decoded {
            text,
            raw: Some((raw, chars)),
        }
    }

    /// The value dicom-rs should write for `decoded` with the characters whose indices are in
    /// `blank` replaced by `X`: the other characters keep their bytes; in ISO 2022 text the
    /// `X`s are written in ASCII (G0 switched back and forth with escape sequences as needed).
    pub fn blank(&self, decoded: &Decoded, blank: &[bool]) -> String {
        let Some((raw, chars)) = &decoded.raw else {
            return decoded
                .text
                .chars()
                .zip(blank.iter().chain(std::iter::repeat(&false)))
                .map(|(c, &b)| if b { 'X' } else { c })
                .collect();
        };
        let mut out = Vec::with_capacity(raw.len() + 8);
        let mut g0 = G0::Ascii;
        let mut at = 0;
        for (i, (range, set)) in chars.iter().enumerate() {
            // Escape sequences before this character are copied (and followed).
            copy_escapes(&raw[at..range.start], &mut out, &mut g0);
            let x = blank.get(i).copied().unwrap_or(false);
            let want = if x { G0::Ascii } else { *set };
            let gl = x || raw.get(range.start).is_some_and(|b| *b < 0x80);
            if gl && g0 != want {
                out.extend_from_slice(want.escape());
                g0 = want;
            }
            if x {
                out.push(b'X');
            } else {
                out.extend_from_slice(&raw[range.clone()]);
            }
            at = range.end;
        }
        copy_escapes(&raw[at..], &mut out, &mut g0);
        if g0 != G0::Ascii {
            out.extend_from_slice(G0::Ascii.escape());
        }
        self.dicomrs
            .decode(&out)
            .unwrap_or_else(|_| "X".repeat(chars.len()))
    }
}

/// Copies bytes between characters (escape sequences) and follows their G0 designations.
fn copy_escapes(bytes: &[u8], out: &mut Vec<u8>, g0: &mut G0) {
    let mut rest = bytes;
    while !rest.is_empty() {
        match ESCAPES.iter().find(|(e, _, _)| rest.starts_with(e)) {
            Some((e, set, _)) => {
                if let Some(s) = set {
                    *g0 = *s;
                }
                rest = &rest[e.len()..];
            }
            None => rest = &rest[1..],
        }
    }
    out.extend_from_slice(bytes);
}

/// Whether a character returns the code extensions to their initial state (PS3.5 6.1.2.5.3:
/// CR, LF, TAB, FF; in person names also `^` and `=`).
fn is_delimiter(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\t' | '\x0c' | '^' | '=')
}

/// Decodes ISO 2022 bytes; every character with its byte range and the G0 set it was in.
fn decode_iso2022(raw: &[u8], initial: Initial) -> (String, Vec<CharBytes>) {
    let (mut g0, mut g1) = (G0::Ascii, initial.g1);
    let mut text = String::with_capacity(raw.len());
    let mut chars = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if let Some((e, s0, s1)) = ESCAPES.iter().find(|(e, _, _)| raw[i..].starts_with(e)) {
            g0 = s0.unwrap_or(g0);
            g1 = s1.unwrap_or(g1);
            i += e.len();
            continue;
        }
        let b = raw[i];
        let (c, len) = if b < 0x80 {
            match g0 {
                G0::Ascii => (char::from(b), 1),
                _ if b <= 0x20 => (char::from(b), 1),
                set => jis(set, raw.get(i..i + 2)),
            }
        } else {
            let g1 = if g1 == G1::Latin1 && b >= 0xA1 {
                initial.fallback_g1
            } else {
                g1
            };
            gr(g1, raw.get(i..i + 2), b)
        };
        if is_delimiter(c) && len == 1 && b < 0x80 {
            (g0, g1) = (G0::Ascii, initial.g1);
        }
        text.push(c);
        chars.push((i..i + len, g0));
        i += len;
    }
    (text, chars)
}

/// One JIS X 0208 / 0212 character from its two 7-bit bytes (read through EUC-JP).
fn jis(set: G0, pair: Option<&[u8]>) -> (char, usize) {
    let Some(&[a, b]) = pair else {
        return (char::REPLACEMENT_CHARACTER, 1);
    };
    let mut euc = Vec::with_capacity(3);
    if set == G0::Jis0212 {
        euc.push(0x8F);
    }
    euc.extend([a | 0x80, b | 0x80]);
    (one_char(encoding::all::EUC_JP, &euc), 2)
}

/// One character of the G1 set from its first byte (and the next, for two-byte sets).
fn gr(set: G1, pair: Option<&[u8]>, b: u8) -> (char, usize) {
    match set {
        G1::Latin1 => (char::from(b), 1),
        G1::Katakana => match b {
            0xA1..=0xDF => (
                char::from_u32(0xFF61 + u32::from(b - 0xA1)).unwrap_or('?'),
                1,
            ),
            _ => (char::from(b), 1),
        },
        G1::Ksx1001 | G1::Gb2312 => match pair {
            Some(&[a, c]) if c >= 0xA1 => {
                let codec: &dyn Encoding = if set == G1::Ksx1001 {
                    encoding::all::WINDOWS_949
                } else {
                    encoding::all::GBK
                };
                (one_char(codec, &[a, c]), 2)
            }
            _ => (char::REPLACEMENT_CHARACTER, 1),
        },
    }
}

fn one_char(codec: &dyn Encoding, bytes: &[u8]) -> char {
    codec
        .decode(bytes, DecoderTrap::Replace)
        .ok()
        .and_then(|s| s.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latin1(bytes: &[u8]) -> String {
        bytes.iter().map(|&b| char::from(b)).collect()
    }

    fn set(values: &[&str]) -> Charset {
        Charset::new(&values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn korean_ir149_is_decoded_and_blanked_in_place() {
        // PS3.5 H.3.1: "Hong^Gildong=洪^吉洞=홍^길동".
        let raw: &[u8] = b"\x1b$)CHong^Gildong=\xfb\xf3^\xd1\xce\xd4\xd7=\xc8\xab^\xb1\xe6\xb5\xbf";
        let cs = set(&["", "ISO 2022 IR 149"]);
        let d = cs.decode(VR::PN, &latin1(raw));
        assert_eq!(d.text, "Hong^Gildong=洪^吉洞=홍^길동");
        let n = d.text.chars().count();
        let blank: Vec<bool> = (0..n).map(|i| i >= n - 2).collect();
        let out = cs.blank(&d, &blank);
        let want = [&raw[..raw.len() - 4], b"XX"].concat();
        assert_eq!(out, latin1(&want));
    }

    #[test]
    fn japanese_ir87_switches_to_ascii_for_the_blanks() {
        // PS3.5 H.3.2 (IR 13 katakana in G1, JIS X 0208 in G0): "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎".
        let raw: &[u8] = b"\x1b)I\xd4\xcf\xc0\xde\x1b(J^\x1b)I\xc0\xdb\xb3\x1b(J=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J";
        let cs = set(&["ISO 2022 IR 13", "ISO 2022 IR 87"]);
        let sjis = SpecificCharacterSet::from_code("ISO 2022 IR 13").unwrap();
        let held = sjis.decode(raw).unwrap();
        let d = cs.decode(VR::PN, &held);
        assert_eq!(d.text, "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎");
        // Blank 田 (index 10): JIS X 0208 is left for ASCII and taken up again.
        let blank: Vec<bool> = (0..d.text.chars().count()).map(|i| i == 10).collect();
        let out = sjis.encode(&cs.blank(&d, &blank)).unwrap();
        assert_eq!(
            out,
            b"\x1b)I\xd4\xcf\xc0\xde\x1b(J^\x1b)I\xc0\xdb\xb3\x1b(J=\x1b$B;3\x1b(BX\x1b(J^\x1b$BB@O:\x1b(J"
                .to_vec()
        );
        assert_eq!(
            cs.decode(VR::PN, &sjis.decode(&out).unwrap()).text,
            "ﾔﾏﾀﾞ^ﾀﾛｳ=山X^太郎"
        );
    }

    #[test]
    fn chinese_ir58_and_jis_x_0212() {
        let cs = set(&["", "ISO 2022 IR 58"]);
        let raw = b"\x1b$)A\xd5\xc5\xc8\xfd\xb7\xe1";
        assert_eq!(cs.decode(VR::LO, &latin1(raw)).text, "张三丰");
        // JIS X 0212 0x222F is U+02D8 (breve).
        let cs = set(&["", "ISO 2022 IR 87", "ISO 2022 IR 159"]);
        let d = cs.decode(VR::LO, &latin1(b"a\x1b$(D\x22\x2f\x1b(Bb"));
        assert_eq!(d.text, "a\u{2d8}b");
    }

    #[test]
    fn other_sets_and_vrs_are_used_as_they_are() {
        let cs = set(&["ISO_IR 192"]);
        assert_eq!(cs.decode(VR::LO, "홍길동").text, "홍길동");
        assert_eq!(
            cs.blank(&cs.decode(VR::LO, "홍길동 CT"), &[true, true, true]),
            "XXX CT"
        );
        let cs = set(&["", "ISO 2022 IR 149"]);
        assert_eq!(cs.decode(VR::CS, "\u{1b}$)C").text, "\u{1b}$)C");
    }
}
