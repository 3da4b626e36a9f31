//! Selectors: which elements a rule applies to, written as one string.
//!
//! | form | selects |
//! |---|---|
//! | `PatientName`, `(0010,0010)`, `0010,0010` | that attribute |
//! | `(0010,xxxx)`, `(60x0,3000)` | a mask: `x` is any hex digit (a whole group: `(0029,xxxx)`) |
//! | `(0029,"SIEMENS CSA HEADER",10)` | the private element 10 of that creator's block (`xx`: every element; group `xxxx`: any odd group) |
//! | `private` | every private element |
//! | `vr:PN` | every element of that VR |
//! | `contains:Date`, `startswith:Patient`, `endswith:UID`, `regex:^Patient.*Name$` | standard keywords |
//! | `*` | every element |
//! | `A/B`, `ReferencedSeriesSequence/SeriesInstanceUID` | B inside items of A (A at the top level) |
//!
//! A selector without `/` applies at every depth, as the profile does.

use std::fmt;

use dicom_core::dictionary::DataDictionary;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::{tags, StandardDataDictionary};
use serde::{Deserialize, Serialize};
use snafu::Snafu;

/// An error in a selector.
#[derive(Debug, Clone, PartialEq, Snafu)]
#[snafu(display("bad selector {text:?}: {message}"))]
pub struct SelectorError {
    /// The selector as written.
    pub text: String,
    /// What is wrong.
    pub message: String,
}

/// A selector: a path of sequence steps and the element matcher at its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Selector {
    /// Sequences from the top level (empty: any depth).
    pub within: Vec<Matcher>,
    /// The element itself.
    pub element: Matcher,
}

/// One step of a selector.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Every element.
    Any,
    /// Every private element.
    AnyPrivate,
    /// One tag.
    Tag(Tag),
    /// `(tag & mask) == value` over the 32 bits group << 16 | element.
    Mask {
        /// Bits that must match.
        value: u32,
        /// Which bits are compared.
        mask: u32,
    },
    /// A private element by its creator: group (any odd group when `None`), creator (compared
    /// trimmed, case-sensitive), element byte in the block (any when `None`).
    Private {
        /// The odd group.
        group: Option<u16>,
        /// The Private Creator value.
        creator: String,
        /// The low byte of the element number.
        element: Option<u8>,
    },
    /// Every element of a VR.
    Vr(VR),
    /// Standard keywords containing this text.
    KeywordContains(String),
    /// Standard keywords starting with this text.
    KeywordStartsWith(String),
    /// Standard keywords ending with this text.
    KeywordEndsWith(String),
    /// Standard keywords matching this regular expression.
    KeywordRegex(regex::Regex),
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Matcher {
    /// Whether an element matches, given its private creator (for private tags) and VR.
    pub fn matches(&self, tag: Tag, creator: Option<&str>, vr: VR) -> bool {
        let private = tag.group() % 2 == 1;
        match self {
            Matcher::Any => true,
            Matcher::AnyPrivate => private,
            Matcher::Tag(t) => *t == tag,
            Matcher::Mask { value, mask } => {
                ((u32::from(tag.group()) << 16 | u32::from(tag.element())) & mask) == *value
            }
            Matcher::Private {
                group,
                creator: c,
                element,
            } => {
                private
                    && tag.element() >= 0x1000
                    && group.is_none_or(|g| g == tag.group())
                    && element.is_none_or(|e| e == (tag.element() & 0xFF) as u8)
                    && creator.is_some_and(|x| x.trim() == c)
            }
            Matcher::Vr(v) => *v == vr,
            Matcher::KeywordContains(s) => keyword(tag).is_some_and(|k| k.contains(s.as_str())),
            Matcher::KeywordStartsWith(s) => {
                keyword(tag).is_some_and(|k| k.starts_with(s.as_str()))
            }
            Matcher::KeywordEndsWith(s) => keyword(tag).is_some_and(|k| k.ends_with(s.as_str())),
            Matcher::KeywordRegex(r) => keyword(tag).is_some_and(|k| r.is_match(k)),
        }
    }

    /// The one tag this matcher names, when it names exactly one public attribute.
    pub fn single_tag(&self) -> Option<Tag> {
        match self {
            Matcher::Tag(t) => Some(*t),
            _ => None,
        }
    }
}

fn keyword(tag: Tag) -> Option<&'static str> {
    if tag.group() % 2 == 1 {
        return None;
    }
    StandardDataDictionary.by_tag(tag).map(|e| e.alias)
}

impl Selector {
    /// Parses the string form (module documentation).
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let err = |message: &str| SelectorError {
            text: text.to_string(),
            message: message.to_string(),
        };
        let steps = split_path(text.trim());
        let mut matchers = Vec::with_capacity(steps.len());
        for step in &steps {
            matchers.push(parse_matcher(step.trim()).map_err(|m| err(&m))?);
        }
        let element = matchers.pop().ok_or_else(|| err("empty"))?;
        Ok(Selector {
            within: matchers,
            element,
        })
    }

    /// Whether the element at `path` (tags of the enclosing sequences, top first) matches.
    pub fn matches(&self, path: &[Tag], tag: Tag, creator: Option<&str>, vr: VR) -> bool {
        if !self.element.matches(tag, creator, vr) {
            return false;
        }
        if self.within.is_empty() {
            return true;
        }
        // Sequence steps are matched by tag only (a private sequence step by its group and
        // element byte, its creator not being known here).
        self.within.len() == path.len()
            && self
                .within
                .iter()
                .zip(path)
                .all(|(m, t)| m.matches(*t, private_step_creator(m), VR::SQ))
    }

    /// The one top-level tag this selector names (conditions read it), when it names one.
    pub fn single_tag(&self) -> Option<Tag> {
        if self.within.is_empty() {
            self.element.single_tag()
        } else {
            None
        }
    }
}

fn private_step_creator(m: &Matcher) -> Option<&str> {
    match m {
        Matcher::Private { creator, .. } => Some(creator.as_str()),
        _ => None,
    }
}

/// Splits on `/` outside quotes.
fn split_path(text: &str) -> Vec<String> {
    let mut steps = vec![String::new()];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                if let Some(s) = steps.last_mut() {
                    s.push(c);
                }
            }
            '/' if !quoted => steps.push(String::new()),
            _ => {
                if let Some(s) = steps.last_mut() {
                    s.push(c);
                }
            }
        }
    }
    steps
}

fn hex_mask(text: &str) -> Result<(u32, u32), String> {
    let t = text.trim();
    if t.len() != 4 {
        return Err(format!("{t:?} is not 4 hex digits"));
    }
    let (mut value, mut mask) = (0u32, 0u32);
    for c in t.chars() {
        value <<= 4;
        mask <<= 4;
        if c == 'x' || c == 'X' {
            continue;
        }
        let d = c
            .to_digit(16)
            .ok_or_else(|| format!("{t:?} is not 4 hex digits"))?;
        value |= d;
        mask |= 0xF;
    }
    Ok((value, mask))
}

fn parse_matcher(step: &str) -> Result<Matcher, String> {
    if step.is_empty() {
        return Err("empty step".into());
    }
    if step == "*" {
        return Ok(Matcher::Any);
    }
    if step == "private" {
        return Ok(Matcher::AnyPrivate);
    }
    if let Some((kind, arg)) = step.split_once(':') {
        let arg = arg.to_string();
        return match kind.trim() {
            "vr" => arg
                .trim()
                .parse::<VR>()
                .map(Matcher::Vr)
                .map_err(|_| format!("unknown VR {arg:?}")),
            "contains" => Ok(Matcher::KeywordContains(arg)),
            "startswith" => Ok(Matcher::KeywordStartsWith(arg)),
            "endswith" => Ok(Matcher::KeywordEndsWith(arg)),
            "regex" => regex::Regex::new(&arg)
                .map(Matcher::KeywordRegex)
                .map_err(|e| format!("bad regular expression: {e}")),
            other => Err(format!("unknown selector kind {other:?}")),
        };
    }
    let inner = step.trim_start_matches('(').trim_end_matches(')');
    if inner.contains('"') {
        return parse_private(inner);
    }
    if let Some((g, e)) = inner.split_once(',') {
        let (gv, gm) = hex_mask(g)?;
        let (ev, em) = hex_mask(e)?;
        let (value, mask) = (gv << 16 | ev, gm << 16 | em);
        if mask == 0xFFFF_FFFF {
            return Ok(Matcher::Tag(Tag((value >> 16) as u16, value as u16)));
        }
        return Ok(Matcher::Mask { value, mask });
    }
    StandardDataDictionary
        .by_name(inner)
        .map(|e| Matcher::Tag(e.tag.inner()))
        .ok_or_else(|| format!("unknown keyword {inner:?}"))
}

/// `gggg,"CREATOR",ee` (group `xxxx`: any odd group; element `xx`: any).
fn parse_private(inner: &str) -> Result<Matcher, String> {
    let bad = || "private selector must be (gggg,\"CREATOR\",ee)".to_string();
    let (g, rest) = inner.split_once(',').ok_or_else(bad)?;
    let rest = rest.trim();
    let rest = rest.strip_prefix('"').ok_or_else(bad)?;
    let (creator, rest) = rest.split_once('"').ok_or_else(bad)?;
    let e = rest.trim().strip_prefix(',').ok_or_else(bad)?.trim();
    let group = match g.trim() {
        "xxxx" | "XXXX" => None,
        g => {
            let v = u16::from_str_radix(g, 16).map_err(|_| bad())?;
            if v % 2 == 0 {
                return Err(format!("group {g} is not private (odd)"));
            }
            Some(v)
        }
    };
    let element = match e {
        "xx" | "XX" => None,
        e => Some(u8::from_str_radix(e, 16).map_err(|_| bad())?),
    };
    Ok(Matcher::Private {
        group,
        creator: creator.trim().to_string(),
        element,
    })
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Any => f.write_str("*"),
            Matcher::AnyPrivate => f.write_str("private"),
            Matcher::Tag(t) => match keyword(*t) {
                Some(k) => f.write_str(k),
                None => write!(f, "({:04X},{:04X})", t.group(), t.element()),
            },
            Matcher::Mask { value, mask } => {
                f.write_str("(")?;
                for i in (0..8).rev() {
                    if i == 3 {
                        f.write_str(",")?;
                    }
                    let m = (mask >> (i * 4)) & 0xF;
                    let v = (value >> (i * 4)) & 0xF;
                    if m == 0 {
                        f.write_str("x")?;
                    } else {
                        write!(f, "{v:X}")?;
                    }
                }
                f.write_str(")")
            }
            Matcher::Private {
                group,
                creator,
                element,
            } => {
                match group {
                    Some(g) => write!(f, "({g:04X},")?,
                    None => f.write_str("(xxxx,")?,
                }
                write!(f, "\"{creator}\",")?;
                match element {
                    Some(e) => write!(f, "{e:02X})"),
                    None => f.write_str("xx)"),
                }
            }
            Matcher::Vr(v) => write!(f, "vr:{v}"),
            Matcher::KeywordContains(s) => write!(f, "contains:{s}"),
            Matcher::KeywordStartsWith(s) => write!(f, "startswith:{s}"),
            Matcher::KeywordEndsWith(s) => write!(f, "endswith:{s}"),
            Matcher::KeywordRegex(r) => write!(f, "regex:{}", r.as_str()),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.within {
            write!(f, "{m}/")?;
        }
        write!(f, "{}", self.element)
    }
}

impl TryFrom<String> for Selector {
    type Error = SelectorError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Selector::parse(&s)
    }
}

impl From<Selector> for String {
    fn from(s: Selector) -> String {
        s.to_string()
    }
}

/// Attributes that identify the patient or a person by themselves: keeping one verbatim
/// needs `accept_risk` on the rule (every person name, VR PN, counts too).
pub const IDENTIFYING: [Tag; 16] = [
    tags::PATIENT_ID,
    Tag(0x0010, 0x1000), // OtherPatientIDs (retired)
    tags::PATIENT_BIRTH_DATE,
    tags::PATIENT_BIRTH_TIME,
    tags::ACCESSION_NUMBER,
    tags::STUDY_ID,
    tags::PATIENT_ADDRESS,
    tags::PATIENT_TELEPHONE_NUMBERS,
    Tag(0x0010, 0x1090), // MedicalRecordLocator (retired)
    tags::ISSUER_OF_PATIENT_ID,
    tags::INSTITUTION_NAME,
    tags::INSTITUTION_ADDRESS,
    tags::DEVICE_SERIAL_NUMBER,
    tags::STATION_NAME,
    tags::MILITARY_RANK,
    tags::REGION_OF_RESIDENCE,
];

/// Whether keeping what this selector names verbatim keeps an identifying attribute.
pub fn names_identifying(sel: &Selector) -> bool {
    use dicom_core::dictionary::DataDictionary;
    let Some(t) = sel.element.single_tag() else {
        return false;
    };
    IDENTIFYING.contains(&t)
        || dicom_dictionary_std::StandardDataDictionary
            .by_tag(t)
            .is_some_and(|e| e.vr.relaxed() == dicom_core::VR::PN)
}

/// An element name as CTP scripts and deid recipes write it, as a selector: `00100020`, `[0010,0020]`, `(0010,0020)` or
/// a keyword.
pub fn tag_selector(name: &str) -> String {
    let n = name
        .trim()
        .trim_start_matches(['[', '('])
        .trim_end_matches([']', ')']);
    let hex: String = n.chars().filter(|c| *c != ',').collect();
    if hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        format!("({},{})", &hex[..4], &hex[4..])
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_print_back() {
        for s in [
            "PatientName",
            "(0010,xxxx)",
            "(0029,\"SIEMENS CSA HEADER\",10)",
            "(xxxx,\"GEMS_PARM_01\",xx)",
            "private",
            "vr:PN",
            "contains:Date",
            "startswith:Patient",
            "endswith:UID",
            "regex:^Patient.*Name$",
            "*",
            "ReferencedSeriesSequence/SeriesInstanceUID",
        ] {
            assert_eq!(Selector::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Selector::parse("(0010,0010)").unwrap().to_string(),
            "PatientName"
        );
        assert!(Selector::parse("NoSuchKeyword").is_err());
        assert!(Selector::parse("(0028,\"X\",10)").is_err());
        assert!(Selector::parse("vr:QQ").is_err());
    }

    #[test]
    fn masks_and_creators_match_what_they_say() {
        let g = Selector::parse("(60x0,3000)").unwrap();
        assert!(g.matches(&[], Tag(0x6020, 0x3000), None, VR::OW));
        assert!(!g.matches(&[], Tag(0x6021, 0x3000), None, VR::OW));
        let p = Selector::parse("(0029,\"SIEMENS CSA HEADER\",10)").unwrap();
        assert!(p.matches(&[], Tag(0x0029, 0x1010), Some("SIEMENS CSA HEADER"), VR::OB));
        assert!(p.matches(
            &[],
            Tag(0x0029, 0x1110),
            Some("SIEMENS CSA HEADER "),
            VR::OB
        ));
        assert!(!p.matches(&[], Tag(0x0029, 0x1010), Some("SIEMENS MEDCOM"), VR::OB));
        let path = Selector::parse("ReferencedSeriesSequence/SeriesInstanceUID").unwrap();
        let (seq, uid) = (Tag(0x0008, 0x1115), Tag(0x0020, 0x000E));
        assert!(path.matches(&[seq], uid, None, VR::UI));
        assert!(!path.matches(&[], uid, None, VR::UI));
        assert!(Selector::parse("endswith:Date").unwrap().matches(
            &[],
            Tag(0x0008, 0x0020),
            None,
            VR::DA
        ));
    }
}
