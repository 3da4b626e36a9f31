//! An independent PHI checker for de-identified DICOM files (test support, also built into
//! `examples/phi_check.rs`). It shares no code with the engine's self-check (`src/verify.rs`):
//! it parses with dicom-rs on its own, reads PS3.15 Table E.1-1 (`data/confidentiality_profile.csv`)
//! only to know which attributes are UIDs that action U replaces, and decides by itself what is
//! identifying.
//!
//! From the input it collects, at every depth: person names (whole values, component groups and
//! their words), identifiers (PatientID, OtherPatientIDs, AccessionNumber, StudyID, institution,
//! address, station, order and procedure IDs …), every DA/DT date (PatientBirthDate included),
//! every UID of an attribute that Table E.1-1 marks U (and the meta group's
//! MediaStorageSOPInstanceUID), and the string values of private elements. It then searches the
//! output: every element at every depth (private ones and the file meta group included) and the
//! raw bytes outside Pixel Data (inflated first for the deflated transfer syntax).
//!
//! Two kinds of values are not counted, because the input itself uses them as non-identifying
//! content and the profile keeps that content: name words that the input also uses as a coded
//! value (CodeMeaning, CodeValue, CS values: "Name" of "Last Name^First Name" next to a concept
//! called "Observer Name"); institution or device identifiers equal to the input's Manufacturer,
//! ManufacturerModelName or a code (a vendor's test site named after the vendor); and private
//! values that also appear in a standard attribute of the input that is not itself identifying
//! (a vendor header repeating the protocol name). Names, IDs, dates and UIDs found anywhere else
//! are findings.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::io::Read;

use dicom_core::header::Header as _;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::{Tag, VR};
use dicom_encoding::transfer_syntax::TransferSyntaxIndex as _;
use dicom_object::file::ReadPreamble;
use dicom_object::mem::InMemDicomObject;
use dicom_object::meta::FileMetaTable;
use dicom_object::OpenFileOptions;

/// Table E.1-1 as published (PS3.15 2026c).
const PROFILE_CSV: &str = include_str!("../../data/confidentiality_profile.csv");

/// What kind of identifying value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A whole person name (or one of its component groups).
    Name,
    /// A word of a person name.
    NameWord,
    /// A patient, visit, institution, place or device identifier.
    Identifier,
    /// A date of the input.
    Date,
    /// A UID that action U replaces.
    Uid,
    /// A string value of a private element.
    Private,
}

/// One identifying value of the input found in the output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    /// Where in the output: a tag path such as `(0040,A730)[0]/(0040,A123)`, `meta/(0002,0003)`,
    /// `raw bytes @1234` or `zip entry name`.
    pub path: String,
    /// What was found.
    pub kind: Kind,
    /// Where the value came from in the input (tag path); the value itself is not repeated.
    pub source: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} of input {} found at {}",
            self.kind, self.source, self.path
        )
    }
}

/// One identifying value.
#[derive(Debug, Clone)]
struct Term {
    text: String,
    kind: Kind,
    source: String,
    /// The attribute it came from (short identifiers are only compared with that attribute).
    tag: Tag,
}

/// The identifying values of one input (or of several, merged).
#[derive(Debug, Clone, Default)]
pub struct Identifiers {
    /// Values long enough to search as tokens anywhere.
    terms: Vec<Term>,
    /// Identifiers shorter than 4 characters: only an equal value of the same attribute counts.
    short: Vec<Term>,
}

/// Identifiers (besides names, dates and UIDs).
const ID_TAGS: &[(u16, u16)] = &[
    (0x0010, 0x0020), // PatientID
    (0x0010, 0x0021), // IssuerOfPatientID
    (0x0010, 0x1000), // OtherPatientIDs
    (0x0010, 0x1040), // PatientAddress
    (0x0010, 0x1080), // MilitaryRank
    (0x0010, 0x1081), // BranchOfService
    (0x0010, 0x1090), // MedicalRecordLocator
    (0x0010, 0x2152), // RegionOfResidence
    (0x0010, 0x2154), // PatientTelephoneNumbers
    (0x0010, 0x2299), // ResponsibleOrganization
    (0x0008, 0x0050), // AccessionNumber
    (0x0008, 0x0055), // StationAETitle
    (0x0008, 0x0080), // InstitutionName
    (0x0008, 0x0081), // InstitutionAddress
    (0x0008, 0x0092), // ReferringPhysicianAddress
    (0x0008, 0x0094), // ReferringPhysicianTelephoneNumbers
    (0x0008, 0x1010), // StationName
    (0x0008, 0x1040), // InstitutionalDepartmentName
    (0x0018, 0x1000), // DeviceSerialNumber
    (0x0020, 0x0010), // StudyID
    (0x0032, 0x1020), // ScheduledStudyLocation
    (0x0032, 0x1021), // ScheduledStudyLocationAETitle
    (0x0038, 0x0010), // AdmissionID
    (0x0038, 0x0060), // ServiceEpisodeID
    (0x0038, 0x0300), // CurrentPatientLocation
    (0x0038, 0x0400), // PatientInstitutionResidence
    (0x0040, 0x0001), // ScheduledStationAETitle
    (0x0040, 0x0009), // ScheduledProcedureStepID
    (0x0040, 0x0010), // ScheduledStationName
    (0x0040, 0x0011), // ScheduledProcedureStepLocation
    (0x0040, 0x0031), // LocalNamespaceEntityID
    (0x0040, 0x0032), // UniversalEntityID
    (0x0040, 0x0241), // PerformedStationAETitle
    (0x0040, 0x0242), // PerformedStationName
    (0x0040, 0x0243), // PerformedLocation
    (0x0040, 0x0253), // PerformedProcedureStepID
    (0x0040, 0x0512), // ContainerIdentifier
    (0x0040, 0x0551), // SpecimenIdentifier
    (0x0040, 0x1001), // RequestedProcedureID
    (0x0040, 0x1102), // PersonAddress
    (0x0040, 0x1103), // PersonTelephoneNumbers
    (0x0040, 0x2016), // PlacerOrderNumberImagingServiceRequest
    (0x0040, 0x2017), // FillerOrderNumberImagingServiceRequest
    (0x0040, 0xA027), // VerifyingOrganization
];

const CODE_VALUE: Tag = Tag(0x0008, 0x0100);
const CODE_MEANING: Tag = Tag(0x0008, 0x0104);
const MANUFACTURER: Tag = Tag(0x0008, 0x0070);
const MODEL_NAME: Tag = Tag(0x0008, 0x1090);
const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);

/// Tags that Table E.1-1 gives action U (alone or in a compound code).
pub fn u_tags() -> HashSet<Tag> {
    let mut out = HashSet::new();
    let mut rdr = csv::Reader::from_reader(PROFILE_CSV.as_bytes());
    for rec in rdr.records().flatten() {
        let (Some(tag), Some(action)) = (rec.get(0), rec.get(3)) else {
            continue;
        };
        if !action.split('/').any(|a| a.trim_end_matches('*') == "U") {
            continue;
        }
        let Some((g, e)) = tag.split_once(',') else {
            continue;
        };
        if let (Ok(g), Ok(e)) = (
            u16::from_str_radix(g.trim(), 16),
            u16::from_str_radix(e.trim(), 16),
        ) {
            out.insert(Tag(g, e));
        }
    }
    out
}

/// A parsed file: its meta group (if it has one) and its data set.
pub struct Parsed {
    /// File meta group.
    pub meta: Option<FileMetaTable>,
    /// Data set.
    pub dataset: InMemDicomObject,
}

/// Parses a DICOM file with dicom-rs: with or without preamble, or a bare data set (implicit or
/// explicit VR little endian).
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let file = |b: &[u8]| {
        OpenFileOptions::new()
            .read_preamble(ReadPreamble::Never)
            .from_reader(b)
            .map(|o| {
                let meta = o.meta().clone();
                Parsed {
                    meta: Some(meta),
                    dataset: o.into_inner(),
                }
            })
            .map_err(|e| e.to_string())
    };
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        return file(&bytes[128..]);
    }
    if bytes.starts_with(b"DICM") {
        return file(bytes);
    }
    // A bare data set: it starts with an element of group 0008 whose length fits the file
    // (anything else is not DICOM; dicom-rs would believe any length it reads).
    if bytes.len() < 8 || bytes[0..2] != [0x08, 0x00] {
        return Err("no DICM marker and no data set starting with group 0008".into());
    }
    let explicit = bytes[4].is_ascii_uppercase() && bytes[5].is_ascii_uppercase();
    let first_len = if explicit {
        u16::from_le_bytes([bytes[6], bytes[7]]) as usize
    } else {
        u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize
    };
    if first_len > bytes.len() - 8 {
        return Err("the first element is longer than the file".into());
    }
    let ts = if explicit {
        "1.2.840.10008.1.2.1"
    } else {
        "1.2.840.10008.1.2"
    };
    let ts = dicom_transfer_syntax_registry::TransferSyntaxRegistry
        .get(ts)
        .ok_or("transfer syntax missing from the registry")?;
    let dataset = InMemDicomObject::read_dataset_with_ts(bytes, ts).map_err(|e| e.to_string())?;
    Ok(Parsed {
        meta: None,
        dataset,
    })
}

fn tag_str(t: Tag) -> String {
    format!("({:04X},{:04X})", t.group(), t.element())
}

pub fn child(path: &str, t: Tag) -> String {
    if path.is_empty() {
        tag_str(t)
    } else {
        format!("{path}/{}", tag_str(t))
    }
}

/// The string values of a primitive value (trimmed of padding), empty for binary values.
fn strings(v: &PrimitiveValue) -> Vec<String> {
    match v {
        PrimitiveValue::Str(_) | PrimitiveValue::Strs(_) => v
            .to_multi_str()
            .iter()
            .map(|s| s.trim_matches(['\0', ' ']).to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Printable ASCII runs of a binary value (private headers stored as bytes), split at `\`.
fn printable_runs(b: &[u8], min: usize) -> Vec<String> {
    let mut out = Vec::new();
    for run in b.split(|c| !(0x20..0x7F).contains(c) || *c == b'\\') {
        let s = String::from_utf8_lossy(run).trim().to_string();
        if s.len() >= min {
            out.push(s);
        }
    }
    out
}

/// Han, Hangul, kana and Bopomofo: scripts without spaces between words, where a name is found
/// inside running text (`홍길동씨`, `患者张三丰再次`).
fn is_cjk(c: char) -> bool {
    ('\u{1100}'..='\u{11FF}').contains(&c)
        || ('\u{3040}'..='\u{31FF}').contains(&c)
        || ('\u{3400}'..='\u{9FFF}').contains(&c)
        || ('\u{AC00}'..='\u{D7A3}').contains(&c)
        || ('\u{F900}'..='\u{FAFF}').contains(&c)
        || ('\u{FF66}'..='\u{FF9F}').contains(&c)
        || ('\u{20000}'..='\u{2FFFF}').contains(&c)
}

/// Whether a Specific Character Set uses ISO 2022 code extensions, which dicom-rs 0.10 does
/// not read (it decodes by the first value only).
fn is_iso2022(scs: &[String]) -> bool {
    scs.len() > 1 || scs.iter().any(|v| v.contains("2022"))
}

/// The text of one ISO 2022 value from its bytes, decoded here without the engine's code:
/// runs of 8-bit bytes with the G1 set the character set names (KS X 1001 as CP949, GB 2312
/// as GBK, JIS X 0201 katakana as Shift-JIS, else Latin-1); runs of 7-bit bytes with the
/// ISO-2022-JP decoder when JIS X 0208 is named (G1 designations taken out first), else as
/// ASCII without escape sequences.
fn decode_iso2022(bytes: &[u8], scs: &[String]) -> String {
    use encoding::{all, DecoderTrap, Encoding};
    let has = |ir: &str| scs.iter().any(|v| v.trim() == format!("ISO 2022 IR {ir}"));
    let g1: &dyn Encoding = if has("149") {
        all::WINDOWS_949
    } else if has("58") {
        all::GBK
    } else if has("13") {
        all::WINDOWS_31J
    } else {
        all::ISO_8859_1
    };
    let jis = has("87") || has("159");
    let mut out = String::new();
    for run in bytes.chunk_by(|a, b| (*a >= 0x80) == (*b >= 0x80)) {
        if run[0] >= 0x80 {
            out += &g1.decode(run, DecoderTrap::Replace).unwrap_or_default();
            continue;
        }
        let mut seven = run.to_vec();
        for esc in [&b"\x1b$)C"[..], b"\x1b$)A", b"\x1b)I", b"\x1b-A"] {
            while let Some(i) = seven.windows(esc.len()).position(|w| w == esc) {
                seven.drain(i..i + esc.len());
            }
        }
        if jis {
            out += &all::ISO_2022_JP
                .decode(&seven, DecoderTrap::Replace)
                .unwrap_or_default();
        } else {
            seven.retain(|b| *b != 0x1b);
            out += &String::from_utf8_lossy(&seven);
        }
    }
    out
}

/// The string values of an element: dicom-rs's, or for text in ISO 2022 character sets the
/// values decoded here from the element's bytes.
fn decoded(
    raw: Option<&RawFile>,
    scs: &[String],
    path: &str,
    vr: VR,
    value: &PrimitiveValue,
) -> Vec<String> {
    let text_vr = matches!(
        vr,
        VR::SH | VR::LO | VR::ST | VR::LT | VR::UC | VR::UT | VR::PN
    );
    match raw
        .filter(|_| text_vr && is_iso2022(scs))
        .and_then(|r| r.value(path))
    {
        Some(b) => b
            .split(|c| *c == b'\\')
            .map(|v| decode_iso2022(v, scs).trim_matches(['\0', ' ']).to_string())
            .filter(|v| !v.is_empty())
            .collect(),
        _ => strings(value),
    }
}

/// The values of Specific Character Set of a data set (empty values kept).
fn charset_of(obj: &InMemDicomObject) -> Vec<String> {
    obj.get(Tag(0x0008, 0x0005))
        .and_then(|e| e.to_multi_str().ok())
        .map(|v| v.iter().map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

fn has_letter(s: &str) -> bool {
    s.chars().any(|c| c.is_alphabetic())
}

/// The `YYYYMMDD` dates inside a DA or DT value (ranges, old `YYYY.MM.DD` form).
fn dates_in(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let norm = v.replace('.', "");
    for part in norm.split('-').chain(v.split('-')) {
        let p = part.trim();
        if p.len() >= 8 && p.as_bytes()[..8].iter().all(|b| b.is_ascii_digit()) {
            let d = &p[..8];
            let m: u32 = d[4..6].parse().unwrap_or(0);
            let day: u32 = d[6..8].parse().unwrap_or(0);
            if (1..=12).contains(&m) && (1..=31).contains(&day) && !out.iter().any(|x| x == d) {
                out.push(d.to_string());
            }
        }
    }
    out
}

const TEXT_VRS: [VR; 15] = [
    VR::AE,
    VR::AS,
    VR::CS,
    VR::DS,
    VR::IS,
    VR::LO,
    VR::LT,
    VR::PN,
    VR::SH,
    VR::ST,
    VR::UC,
    VR::UR,
    VR::UT,
    VR::DA,
    VR::DT,
];

struct Collector {
    u_tags: HashSet<Tag>,
    ids: HashSet<Tag>,
    terms: Vec<Term>,
    short: Vec<Term>,
    /// Whole values of standard attributes that are not identifying.
    benign: Vec<String>,
    /// Upper-case words of coded values.
    coded: HashSet<String>,
    /// Upper-case values of Manufacturer, ManufacturerModelName and codes.
    makers: HashSet<String>,
}

impl Collector {
    fn push(&mut self, text: &str, kind: Kind, source: &str, tag: Tag) {
        let text = text.trim().to_string();
        if text.is_empty() {
            return;
        }
        let t = Term {
            text,
            kind,
            source: source.to_string(),
            tag,
        };
        if kind == Kind::Identifier && t.text.chars().count() < 4 {
            self.short.push(t);
        } else {
            self.terms.push(t);
        }
    }

    fn names(&mut self, value: &str, source: &str, tag: Tag) {
        for group in value.split('=') {
            let whole = group.trim_end_matches('^').trim();
            if whole.chars().count() >= 3 {
                self.push(whole, Kind::Name, source, tag);
                let spaced = whole.replace('^', " ");
                if spaced != whole {
                    self.push(spaced.trim(), Kind::Name, source, tag);
                }
            }
            // CJK names are written with family and given name joined (or spaced).
            let mut comps = group.split('^').map(str::trim);
            let (family, given) = (comps.next().unwrap_or(""), comps.next().unwrap_or(""));
            if format!("{family}{given}").chars().any(is_cjk) {
                for form in [format!("{family}{given}"), format!("{family} {given}")] {
                    if form.trim().chars().count() >= 2 {
                        self.push(form.trim(), Kind::Name, source, tag);
                    }
                }
            }
            for word in group.split(['^', ' ', ',', '.', '-', '(', ')']) {
                let cjk = word.chars().count() >= 2 && word.chars().all(is_cjk);
                if cjk || (word.chars().count() >= 3 && has_letter(word)) {
                    self.push(word, Kind::NameWord, source, tag);
                }
            }
        }
    }

    fn private(&mut self, value: &str, source: &str, tag: Tag) {
        let v = value.trim();
        if v.len() >= 5
            && v.parse::<f64>().is_err()
            && !v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        {
            self.push(v, Kind::Private, source, tag);
        }
    }

    fn element(&mut self, path: &str, tag: Tag, vr: VR, value: &PrimitiveValue, vals: Vec<String>) {
        let source = child(path, tag);
        if tag.group() % 2 == 1 {
            if (0x0010..=0x00FF).contains(&tag.element()) {
                return; // private creator
            }
            if vr == VR::UI {
                for v in &vals {
                    self.push(v, Kind::Uid, &source, tag);
                }
            } else if !vals.is_empty() {
                for v in &vals {
                    self.private(v, &source, tag);
                }
            } else {
                for run in printable_runs(&value.to_bytes(), 6) {
                    if has_letter(&run) {
                        self.private(&run, &source, tag);
                    }
                }
            }
            return;
        }
        if vr == VR::PN {
            for v in &vals {
                self.names(v, &source, tag);
            }
        } else if self.ids.contains(&tag) {
            for v in &vals {
                self.push(v, Kind::Identifier, &source, tag);
            }
        } else if vr == VR::DA || vr == VR::DT {
            for v in &vals {
                for d in dates_in(v) {
                    self.push(&d, Kind::Date, &source, tag);
                }
                if v.contains('.') {
                    self.push(v, Kind::Date, &source, tag);
                }
            }
        } else if self.u_tags.contains(&tag) {
            for v in &vals {
                self.push(v, Kind::Uid, &source, tag);
            }
        } else {
            self.benign.extend(vals.iter().cloned());
            if [MANUFACTURER, MODEL_NAME, CODE_MEANING, CODE_VALUE].contains(&tag) {
                self.makers.extend(vals.iter().map(|v| v.to_uppercase()));
            }
            if tag == CODE_MEANING || tag == CODE_VALUE || vr == VR::CS {
                for v in &vals {
                    for w in v.split(|c: char| !c.is_alphanumeric()) {
                        self.coded.insert(w.to_uppercase());
                    }
                }
            }
        }
    }
}

/// Visits every primitive element at every depth (Pixel Data left out) with the path of the
/// item that holds it (`""` at the top, `(0008,1115)[0]/(0008,114A)[2]` inside items).
pub fn visit(obj: &InMemDicomObject, f: &mut dyn FnMut(&str, Tag, VR, &PrimitiveValue)) {
    fn go(
        obj: &InMemDicomObject,
        path: &str,
        depth: usize,
        f: &mut dyn FnMut(&str, Tag, VR, &PrimitiveValue),
    ) {
        if depth > 64 {
            return;
        }
        for e in obj.iter() {
            let t = e.tag();
            match e.value() {
                Value::Sequence(seq) => {
                    for (i, item) in seq.items().iter().enumerate() {
                        go(item, &format!("{}[{i}]", child(path, t)), depth + 1, f);
                    }
                }
                Value::PixelSequence(_) => {}
                Value::Primitive(p) => {
                    if t != PIXEL_DATA {
                        f(path, t, e.vr(), p)
                    }
                }
            }
        }
    }
    go(obj, "", 0, f)
}

/// Collects the identifying values of an input file.
pub fn identifiers(input: &[u8]) -> Result<Identifiers, String> {
    let parsed = parse(input).map_err(|e| format!("input: {e}"))?;
    let mut c = Collector {
        u_tags: u_tags(),
        ids: ID_TAGS.iter().map(|&(g, e)| Tag(g, e)).collect(),
        terms: Vec::new(),
        short: Vec::new(),
        benign: Vec::new(),
        coded: HashSet::new(),
        makers: HashSet::new(),
    };
    if let Some(meta) = &parsed.meta {
        let sop = meta
            .media_storage_sop_instance_uid()
            .trim_matches(['\0', ' ']);
        c.push(sop, Kind::Uid, "meta/(0002,0003)", Tag(0x0002, 0x0003));
    }
    // Inputs whose bytes cannot be walked here are read through dicom-rs only.
    let raw = RawFile::new(input).ok();
    let scs = charset_of(&parsed.dataset);
    visit(&parsed.dataset, &mut |path, tag, vr, v| {
        let vals = decoded(raw.as_ref(), &scs, &child(path, tag), vr, v);
        c.element(path, tag, vr, v, vals)
    });
    let Collector {
        mut terms,
        short,
        benign,
        coded,
        makers,
        ..
    } = c;
    terms.retain(|t| match t.kind {
        Kind::Identifier => !makers.contains(&t.text.to_uppercase()),
        Kind::NameWord => !coded.contains(&t.text.to_uppercase()),
        Kind::Private => !benign
            .iter()
            .any(|b| find_token(b.as_bytes(), t.text.as_bytes(), t.kind).is_some()),
        _ => true,
    });
    // One term per (text, kind): the first source is enough to locate it.
    let mut seen = HashSet::new();
    terms.retain(|t| seen.insert((t.text.to_uppercase(), t.kind)));
    Ok(Identifiers { terms, short })
}

impl Identifiers {
    /// Adds another input's identifiers (to check outputs that cannot be matched one to one).
    pub fn merge(&mut self, other: &Identifiers) {
        self.terms.extend(other.terms.iter().cloned());
        self.short.extend(other.short.iter().cloned());
    }

    /// Number of values collected, by kind (to show that a check had something to look for).
    pub fn count(&self, kind: Kind) -> usize {
        self.terms
            .iter()
            .chain(self.short.iter())
            .filter(|t| t.kind == kind)
            .count()
    }

    /// Searches a piece of text (a zip entry name, a manifest) for the identifying values.
    /// All-digit identifiers and UIDs shorter than 6 characters are left out here: they cannot be
    /// told from the zero-padded instance numbers of output paths (`00007.dcm`) or the counts of
    /// a report (an input's malformed UID `0` against `"held": 0`).
    pub fn check_text(&self, place: &str, text: &str) -> Vec<Finding> {
        let mut out = BTreeSet::new();
        for t in &self.terms {
            if matches!(t.kind, Kind::Identifier | Kind::Uid)
                && t.text.len() < 6
                && t.text.bytes().all(|b| b.is_ascii_digit())
            {
                continue;
            }
            if find_token(text.as_bytes(), t.text.as_bytes(), t.kind).is_some() {
                out.insert(Finding {
                    path: place.to_string(),
                    kind: t.kind,
                    source: t.source.clone(),
                });
            }
        }
        out.into_iter().collect()
    }

    fn check_element(
        &self,
        path: &str,
        tag: Tag,
        vr: VR,
        value: &PrimitiveValue,
        vals: Vec<String>,
        out: &mut BTreeSet<Finding>,
    ) {
        let here = child(path, tag);
        let mut hit = |t: &Term| {
            out.insert(Finding {
                path: here.clone(),
                kind: t.kind,
                source: t.source.clone(),
            });
        };
        if !vals.is_empty() || TEXT_VRS.contains(&vr) || vr == VR::UI {
            for v in &vals {
                for t in &self.short {
                    if t.tag == tag && v.eq_ignore_ascii_case(&t.text) {
                        hit(t);
                    }
                }
                let views = text_views(v);
                for t in &self.terms {
                    let found = match (vr, t.kind) {
                        (VR::UI, Kind::Uid) => v == &t.text,
                        (VR::UI, _) => false,
                        (VR::DA | VR::DT, Kind::Date) => {
                            dates_in(v).contains(&t.text) || v == &t.text
                        }
                        // A CJK term is found anywhere: those scripts have no word boundaries.
                        _ if t.text.chars().any(is_cjk) => {
                            let f = folded(&t.text);
                            v.contains(&t.text) || views.iter().any(|w| w.contains(&f))
                        }
                        _ => {
                            find_token(v.as_bytes(), t.text.as_bytes(), t.kind).is_some()
                                || views.iter().any(|w| other_spelling(w, t))
                        }
                    };
                    if found {
                        hit(t);
                    }
                }
            }
        } else {
            let b = value.to_bytes();
            // Text in bytes: as they are, read as Latin-1, and (private values) as UTF-16.
            let latin1: String = folded(&b.iter().map(|&c| c as char).collect::<String>());
            let utf16 = if tag.group() % 2 == 1 {
                utf16_le(&b)
            } else {
                String::new()
            };
            for t in &self.terms {
                let f = folded(&t.text);
                let named = matches!(t.kind, Kind::Name | Kind::NameWord | Kind::Identifier);
                if t.text.len() >= 6
                    && (find_token(&b, t.text.as_bytes(), t.kind).is_some()
                        || (named
                            && (find_token(latin1.as_bytes(), f.as_bytes(), t.kind).is_some()
                                || find_token(utf16.as_bytes(), f.as_bytes(), t.kind).is_some())))
                {
                    hit(t);
                }
            }
        }
    }

    /// Checks one output file: every element at every depth, the meta group, the raw bytes.
    pub fn check(&self, output: &[u8]) -> Result<Vec<Finding>, String> {
        let parsed = parse(output).map_err(|e| format!("output: {e}"))?;
        let mut out = BTreeSet::new();
        if let Some(meta) = &parsed.meta {
            for e in meta.to_element_iter() {
                if let Value::Primitive(p) = e.value() {
                    self.check_element("meta", e.tag(), e.vr(), p, strings(p), &mut out);
                }
            }
        }
        let raw = RawFile::new(output)?;
        let scs = charset_of(&parsed.dataset);
        visit(&parsed.dataset, &mut |path, tag, vr, v| {
            let vals = decoded(Some(&raw), &scs, &child(path, tag), vr, v);
            self.check_element(path, tag, vr, v, vals, &mut out)
        });
        let found_terms: HashSet<(String, Kind)> =
            out.iter().map(|f| (f.source.clone(), f.kind)).collect();
        for t in &self.terms {
            let long_enough = match t.kind {
                Kind::NameWord | Kind::Name | Kind::Identifier => t.text.len() >= 4,
                _ => t.text.len() >= 6,
            };
            if !long_enough || found_terms.contains(&(t.source.clone(), t.kind)) {
                continue;
            }
            if let Some(at) = raw.find(t) {
                out.insert(Finding {
                    path: format!("raw bytes @{at}"),
                    kind: t.kind,
                    source: t.source.clone(),
                });
            }
        }
        Ok(out.into_iter().collect())
    }
}

/// Checks one output against its input.
pub fn check(input: &[u8], output: &[u8]) -> Result<Vec<Finding>, String> {
    identifiers(input)?.check(output)
}

/// A text compared in its folded form, done here on its own: compatibility decomposition
/// (NFKD: half-width katakana as full width), combining marks dropped, lower case, hiragana as
/// katakana, `ß` as `ss`.
fn folded(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        // Hiragana as katakana: one syllable, two scripts.
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .replace('ß', "ss")
}

/// The folded forms of a value: as read, and, when every character is below U+0100 and the
/// bytes are UTF-8 (a UTF-8 writer in a Latin-1 file), as UTF-8.
fn text_views(v: &str) -> Vec<String> {
    let mut out = vec![folded(v)];
    if !v.is_ascii() && v.chars().all(|c| (c as u32) < 0x100) {
        let bytes: Vec<u8> = v.chars().map(|c| c as u32 as u8).collect();
        if let Ok(u) = std::str::from_utf8(&bytes) {
            out.push(folded(u));
        }
    }
    out
}

/// Bytes read as UTF-16 little endian text, folded.
fn utf16_le(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    folded(&String::from_utf16_lossy(&units))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The ways a date `YYYYMMDD` is written in text: numeric day-month-year, month-day-year and
/// year-month-day with `/`, `.`, `-`, padded or not; with English month names, full and short;
/// and in Korean.
fn date_forms(d: &str) -> Vec<String> {
    let (Ok(y), Ok(m), Ok(day)) = (
        d[0..4].parse::<u32>(),
        d[4..6].parse::<u32>(),
        d[6..8].parse::<u32>(),
    ) else {
        return Vec::new();
    };
    let Some(month) = MONTHS.get(m as usize - 1) else {
        return Vec::new();
    };
    let mon = &month[..3];
    let mut out = Vec::new();
    for (dd, mm) in [
        (format!("{day:02}"), format!("{m:02}")),
        (day.to_string(), m.to_string()),
    ] {
        for sep in ['/', '.', '-'] {
            out.push(format!("{dd}{sep}{mm}{sep}{y}"));
            out.push(format!("{mm}{sep}{dd}{sep}{y}"));
            out.push(format!("{y}{sep}{mm}{sep}{dd}"));
        }
    }
    for name in [*month, mon] {
        out.push(format!("{day} {name} {y}"));
        out.push(format!("{day}-{name}-{y}"));
        out.push(format!("{name} {day}, {y}"));
        out.push(format!("{name} {day} {y}"));
    }
    out.push(format!("{y}년 {m}월 {day}일"));
    out.push(format!("{y}년{m}월{day}일"));
    out.iter().map(|f| folded(f)).collect()
}

/// The digits of an ID after a letter prefix, separators and leading zeros left out, when the
/// rest is digits with single separators (5 digits or more).
fn id_digits(id: &str) -> Option<String> {
    let rest = id.trim_start_matches(|c: char| c.is_ascii_alphabetic() || " -#:".contains(c));
    let ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || " -./".contains(c))
        && !rest.contains("  ")
        && rest.starts_with(|c: char| c.is_ascii_digit());
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0').to_string();
    (ok && digits.len() >= 5).then_some(digits)
}

/// The runs of digits of a text with single separators between digits taken out, leading
/// zeros left out.
fn digit_runs(text: &str) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    let mut joined = String::new();
    for (i, &ch) in c.iter().enumerate() {
        let between = i > 0
            && i + 1 < c.len()
            && " -./".contains(ch)
            && c[i - 1].is_ascii_digit()
            && c[i + 1].is_ascii_digit();
        if !between {
            joined.push(ch);
        }
    }
    joined
        .split(|ch: char| !ch.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .map(|r| r.trim_start_matches('0').to_string())
        .collect()
}

/// Whether a folded text holds a term in another spelling: a name, word or identifier folded;
/// an identifier by its digits; a date in a written notation.
fn other_spelling(text: &str, t: &Term) -> bool {
    match t.kind {
        Kind::Name | Kind::NameWord | Kind::Identifier => {
            let f = folded(&t.text);
            find_token(text.as_bytes(), f.as_bytes(), t.kind).is_some()
                || (t.kind == Kind::Identifier
                    && id_digits(&t.text).is_some_and(|d| digit_runs(text).contains(&d)))
        }
        Kind::Date if t.text.len() == 8 => date_forms(&t.text)
            .iter()
            .any(|f| find_token(text.as_bytes(), f.as_bytes(), Kind::Identifier).is_some()),
        _ => false,
    }
}

/// Whether a byte belongs to a token of the given kind (tokens end where these stop).
fn is_word(b: u8, kind: Kind) -> bool {
    match kind {
        Kind::Uid => b.is_ascii_digit() || b == b'.',
        Kind::Date => b.is_ascii_digit(),
        _ => b.is_ascii_alphanumeric() || b >= 0x80,
    }
}

/// Finds `term` in `text` as a whole token, ASCII case-insensitively. A date may be followed
/// by more digits (a DT or time), nothing else.
fn find_token(text: &[u8], term: &[u8], kind: Kind) -> Option<usize> {
    if term.is_empty() || term.len() > text.len() {
        return None;
    }
    let (first, last) = (term[0], term[term.len() - 1]);
    (0..=text.len() - term.len()).find(|&i| {
        text[i..i + term.len()].eq_ignore_ascii_case(term)
            && (i == 0 || !is_word(first, kind) || !is_word(text[i - 1], kind))
            && (kind == Kind::Date
                || i + term.len() == text.len()
                || !is_word(last, kind)
                || !is_word(text[i + term.len()], kind))
    })
}

/// The raw bytes of a file, data set inflated when deflated, with the Pixel Data value located.
pub struct RawFile<'a> {
    /// Preamble and meta group.
    pub head: &'a [u8],
    /// The data set as encoded (inflated for the deflated transfer syntax).
    pub dataset: Cow<'a, [u8]>,
    /// Byte range of the top-level Pixel Data value (items included when encapsulated).
    pub pixel: Option<std::ops::Range<usize>>,
    /// Every primitive element of the data set with its path (sequences in implicit VR with a
    /// defined length are not entered).
    pub elements: Vec<RawElement>,
}

#[derive(Clone, Copy)]
struct Enc {
    explicit: bool,
    big: bool,
}

impl Enc {
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }

    /// Reads one element header at `at`: (tag, value start, defined length).
    fn header(&self, b: &[u8], at: usize) -> Option<(Tag, usize, Option<usize>)> {
        let tag = Tag(self.u16(b, at)?, self.u16(b, at + 2)?);
        if tag.group() == 0xFFFE {
            let len = self.u32(b, at + 4)?;
            return Some((tag, at + 8, (len != u32::MAX).then_some(len as usize)));
        }
        if self.explicit {
            let vr = b.get(at + 4..at + 6)?;
            let long = matches!(
                vr,
                b"OB"
                    | b"OD"
                    | b"OF"
                    | b"OL"
                    | b"OV"
                    | b"OW"
                    | b"SQ"
                    | b"SV"
                    | b"UC"
                    | b"UN"
                    | b"UR"
                    | b"UT"
                    | b"UV"
            );
            if long {
                let len = self.u32(b, at + 8)?;
                Some((tag, at + 12, (len != u32::MAX).then_some(len as usize)))
            } else {
                Some((tag, at + 8, Some(self.u16(b, at + 6)? as usize)))
            }
        } else {
            let len = self.u32(b, at + 4)?;
            Some((tag, at + 8, (len != u32::MAX).then_some(len as usize)))
        }
    }

    /// Walks the elements in `at..limit` until the limit or a delimiter; records primitive
    /// elements with their paths; returns the position after the delimiter (or the limit).
    fn walk(
        &self,
        b: &[u8],
        mut at: usize,
        limit: usize,
        depth: usize,
        path: &str,
        out: &mut Vec<RawElement>,
    ) -> Option<usize> {
        if depth > 64 {
            return None;
        }
        while at < limit {
            let (tag, start, len) = self.header(b, at)?;
            if tag == Tag(0xFFFE, 0xE00D) || tag == Tag(0xFFFE, 0xE0DD) {
                return Some(start);
            }
            let here = child(path, tag);
            let is_sq = self.explicit && b.get(at + 4..at + 6) == Some(b"SQ");
            let end = match len {
                Some(l) => start.checked_add(l).filter(|&e| e <= b.len())?,
                None => {
                    // Undefined length: items of a sequence, or pixel fragments.
                    let fragments = tag == PIXEL_DATA;
                    let mut p = start;
                    let mut i = 0;
                    loop {
                        let (it, istart, ilen) = self.header(b, p)?;
                        if it == Tag(0xFFFE, 0xE0DD) {
                            break istart;
                        }
                        if it != Tag(0xFFFE, 0xE000) {
                            return None;
                        }
                        let item_path = format!("{here}[{i}]");
                        p = match ilen {
                            Some(l) => {
                                let iend = istart.checked_add(l).filter(|&e| e <= b.len())?;
                                if !fragments {
                                    self.walk(b, istart, iend, depth + 1, &item_path, out)?;
                                }
                                iend
                            }
                            None => self.walk(b, istart, b.len(), depth + 1, &item_path, out)?,
                        };
                        i += 1;
                    }
                }
            };
            if is_sq && len.is_some() {
                let mut p = start;
                let mut i = 0;
                while p < end {
                    let (it, istart, ilen) = self.header(b, p)?;
                    if it != Tag(0xFFFE, 0xE000) {
                        return None;
                    }
                    let item_path = format!("{here}[{i}]");
                    p = match ilen {
                        Some(l) => {
                            let iend = istart.checked_add(l).filter(|&e| e <= end)?;
                            self.walk(b, istart, iend, depth + 1, &item_path, out)?;
                            iend
                        }
                        None => self.walk(b, istart, end, depth + 1, &item_path, out)?,
                    };
                    i += 1;
                }
            } else if !is_sq && (len.is_some() || tag == PIXEL_DATA) {
                out.push(RawElement {
                    path: here,
                    tag,
                    value: start..end,
                });
            }
            at = end;
        }
        Some(at)
    }
}

/// One primitive element found by the raw walk.
#[derive(Debug, Clone)]
pub struct RawElement {
    /// Tag path, as in findings (`(0008,2218)[0]/(0008,0104)`).
    pub path: String,
    /// Tag.
    pub tag: Tag,
    /// Byte range of the value in [`RawFile::dataset`].
    pub value: std::ops::Range<usize>,
}

impl<'a> RawFile<'a> {
    /// Splits a file into head and data set and finds its Pixel Data.
    pub fn new(bytes: &'a [u8]) -> Result<RawFile<'a>, String> {
        let le = Enc {
            explicit: true,
            big: false,
        };
        let (head, ds_start, ts) = if bytes.len() >= 132 && &bytes[128..132] == b"DICM"
            || bytes.starts_with(b"DICM")
        {
            let mut at = if bytes.starts_with(b"DICM") { 4 } else { 132 };
            let mut ts = String::new();
            while let Some((tag, start, Some(len))) = le.header(bytes, at) {
                if tag.group() != 0x0002 {
                    break;
                }
                let end = start + len;
                if tag == Tag(0x0002, 0x0010) {
                    ts = String::from_utf8_lossy(
                        bytes.get(start..end).ok_or("meta group truncated")?,
                    )
                    .trim_matches(['\0', ' '])
                    .to_string();
                }
                at = end;
            }
            (&bytes[..at], at, ts)
        } else {
            let explicit =
                bytes.len() >= 6 && bytes[4].is_ascii_uppercase() && bytes[5].is_ascii_uppercase();
            (
                &bytes[..0],
                0,
                if explicit {
                    "1.2.840.10008.1.2.1"
                } else {
                    "1.2.840.10008.1.2"
                }
                .to_string(),
            )
        };
        let rest = &bytes[ds_start..];
        let (dataset, enc) = match ts.as_str() {
            "1.2.840.10008.1.2" => (
                Cow::Borrowed(rest),
                Enc {
                    explicit: false,
                    big: false,
                },
            ),
            "1.2.840.10008.1.2.2" => (
                Cow::Borrowed(rest),
                Enc {
                    explicit: true,
                    big: true,
                },
            ),
            "1.2.840.10008.1.2.1.99" => {
                let mut v = Vec::new();
                flate2::read::DeflateDecoder::new(rest)
                    .read_to_end(&mut v)
                    .map_err(|e| format!("inflate: {e}"))?;
                (Cow::Owned(v), le)
            }
            _ => (Cow::Borrowed(rest), le),
        };
        let mut elements = Vec::new();
        enc.walk(&dataset, 0, dataset.len(), 0, "", &mut elements)
            .ok_or("data set cannot be walked element by element")?;
        let pixel = elements
            .iter()
            .find(|e| e.tag == PIXEL_DATA && !e.path.contains('/'))
            .map(|e| e.value.clone());
        Ok(RawFile {
            head,
            dataset,
            pixel,
            elements,
        })
    }

    /// The Pixel Data value bytes as encoded (fragments with their item headers).
    pub fn pixel_data(&self) -> Option<&[u8]> {
        self.pixel.clone().map(|r| &self.dataset[r])
    }

    /// The raw value bytes of the element at a path.
    pub fn value(&self, path: &str) -> Option<&[u8]> {
        self.elements
            .iter()
            .find(|e| e.path == path)
            .map(|e| &self.dataset[e.value.clone()])
    }

    /// Finds a term in the bytes outside Pixel Data; returns an offset.
    fn find(&self, t: &Term) -> Option<usize> {
        let term = t.text.as_bytes();
        if let Some(i) = find_token(self.head, term, t.kind) {
            return Some(i);
        }
        let (a, b) = match &self.pixel {
            Some(r) => (&self.dataset[..r.start], &self.dataset[r.end..]),
            None => (&self.dataset[..], &self.dataset[..0]),
        };
        find_token(a, term, t.kind)
            .map(|i| self.head.len() + i)
            .or_else(|| {
                find_token(b, term, t.kind)
                    .map(|i| self.head.len() + self.dataset.len() - b.len() + i)
            })
    }
}
