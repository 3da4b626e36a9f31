//! The identifying values of an input file and of its batch, and their search in text: what
//! the free-text scrubber of the rewrite blanks out and what the self-check looks for. It
//! depends on the shared context only, not on the rewrite (`deid`) nor on the check (`verify`).

pub mod fold;
pub mod notations;
pub mod search;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::{InMemDicomObject, InMemElement};
use serde::{Deserialize, Serialize};

use crate::charset::Charset;
use crate::config::BirthDateMode;
use crate::context::Context;
use crate::profile::Action;

use fold::{fold, utf8_view, Norm};
use notations::{find_dates, find_id_digits, id_core, DateHit, Ymd};
use search::{find_token, is_cjk, mark_terms, Marker, TermSet};

/// Attributes whose values identify the patient, the visit or the place (besides names,
/// dates and UIDs). Institution and device ones only count when their option is off.
#[allow(deprecated)]
const ID_ATTRIBUTES: [Tag; 18] = [
    tags::PATIENT_ID,
    tags::OTHER_PATIENT_I_DS,
    tags::ACCESSION_NUMBER,
    tags::ADMISSION_ID,
    tags::MEDICAL_RECORD_LOCATOR,
    tags::PATIENT_ADDRESS,
    tags::PATIENT_TELEPHONE_NUMBERS,
    tags::REQUESTED_PROCEDURE_ID,
    tags::PERFORMED_PROCEDURE_STEP_ID,
    tags::SCHEDULED_PROCEDURE_STEP_ID,
    tags::FILLER_ORDER_NUMBER_IMAGING_SERVICE_REQUEST,
    tags::PLACER_ORDER_NUMBER_IMAGING_SERVICE_REQUEST,
    tags::STUDY_ID,
    tags::PATIENT_BIRTH_NAME,
    // Issuers, at any depth (Other Patient IDs Sequence, issuer sequences).
    tags::ISSUER_OF_PATIENT_ID,
    tags::LOCAL_NAMESPACE_ENTITY_ID,
    tags::UNIVERSAL_ENTITY_ID,
    tags::SERVICE_EPISODE_ID,
];
const INSTITUTION_ATTRIBUTES: [Tag; 3] = [
    tags::INSTITUTION_NAME,
    tags::INSTITUTION_ADDRESS,
    tags::INSTITUTIONAL_DEPARTMENT_NAME,
];
const DEVICE_ATTRIBUTES: [Tag; 2] = [tags::DEVICE_SERIAL_NUMBER, tags::STATION_NAME];

/// Attributes naming equipment, whose whole value may legitimately equal a person's name or an
/// institution (a patient called Philips, a vendor's test site named after the vendor): such a
/// whole value is kept there ([`Identifiers::kept_whole`]); anywhere else, or inside a
/// longer value, it is an identifier as always. IDs and dates are never exempt.
const EQUIPMENT_ATTRIBUTES: [Tag; 4] = [
    tags::MANUFACTURER,
    tags::MANUFACTURER_MODEL_NAME,
    tags::SECONDARY_CAPTURE_DEVICE_MANUFACTURER,
    tags::SECONDARY_CAPTURE_DEVICE_MANUFACTURER_MODEL_NAME,
];

/// Values this tool writes itself (dummies), never treated as identifiers of an input.
const OWN_VALUES: [&str; 4] = ["DEIDENTIFIED", "19000101", "19000101000000", "000Y"];

/// Attributes where the engine writes its own constant texts: DeidentificationMethod, and the
/// code items of DeidentificationMethodCodeSequence (CID 7050). A value of these attributes
/// that is exactly one of [`own_texts`] is the engine's, never an identifier of the input.
const OWN_TEXT_TAGS: [Tag; 4] = [
    tags::DEIDENTIFICATION_METHOD,
    tags::CODE_VALUE,
    tags::CODING_SCHEME_DESIGNATOR,
    tags::CODE_MEANING,
];

/// The constant texts the engine writes into every output: the DeidentificationMethod values
/// (this tool's name, one per enabled option, the pixel cleaning) and the CID 7050 code items
/// (values, scheme, meanings) of DeidentificationMethodCodeSequence. A patient named like a
/// word of these ("Patient", "Basic", "Profile", "Clean"…) is not found in them.
pub fn own_texts() -> Vec<&'static str> {
    let mut v = vec![
        crate::context::METHOD_NAME,
        "113100",
        "Basic Application Confidentiality Profile",
        "113101",
        "Clean Pixel Data Option",
        "DCM",
    ];
    for o in crate::profile::ProfileOption::ALL {
        let (code, meaning) = o.cid7050();
        v.extend([code, meaning]);
    }
    v
}

pub(crate) fn is_own_text(v: &str) -> bool {
    own_texts().iter().any(|o| {
        // DeidentificationMethod values are written cut to 64 characters (LO).
        let cut: String = o.chars().take(64).collect();
        v == *o || v == cut
    })
}

/// The identifying values of one input file.
#[derive(Debug, Clone, Default)]
pub struct Identifiers {
    /// Original UIDs that were replaced.
    pub uids: HashSet<String>,
    /// Whole person names (as written, `^` separated), and their words of 3+ letters.
    pub names: Vec<String>,
    /// Name words.
    pub name_words: Vec<String>,
    /// IDs, accession, addresses, institution and device identifiers.
    pub ids: Vec<String>,
    /// Original dates (`YYYYMMDD`).
    pub dates: Vec<String>,
    /// Of [`Identifiers::dates`], the birth dates: blanked in text, never shifted.
    pub birth_dates: Vec<String>,
    /// Of [`Identifiers::ids`], the institution values (for [`Identifiers::kept_whole`]).
    pub institutions: Vec<String>,
    /// Tags exempt from the check (forced or explicitly kept by the user).
    pub exempt: HashSet<Tag>,
    /// Values a recipe kept verbatim at accepted risk (left out of the raw-bytes check; their
    /// tags are in `exempt`).
    pub accepted: Vec<String>,
    /// The batch's identifiers ([`BatchIdentifiers`]: other files' names, IDs,
    /// institutions…), searched in every element and cleaned out of free text, but not in the
    /// raw header bytes (where a number of another file may stand for something else).
    batch: Option<Arc<BatchMatcher>>,
    /// Per batch term: not searched in this file (one of its own terms, a value the profile
    /// keeps in this file, or a value this run writes).
    batch_off: Vec<bool>,
    /// Values this run writes itself (research ID, PatientName, AccessionNumber), set by
    /// [`Identifiers::forget`]: an output value equal to one of them is not an identifier.
    pub own: Vec<String>,
    /// The lists above folded, the IDs' digits and the dates parsed: made on the first search
    /// (after [`Identifiers::collect_with_batch`] and [`Identifiers::forget`]), once per file.
    prepared: OnceLock<Prepared>,
}

/// What every search of one file's text needs, made once ([`Identifiers::prepared`]).
#[derive(Debug, Clone, Default)]
struct Prepared {
    ids: Vec<String>,
    names: Vec<String>,
    words: Vec<String>,
    cores: HashSet<String>,
    dates: HashSet<Ymd>,
}

/// The trimmed, non-empty string values of an element.
pub fn values(e: &dicom_object::mem::InMemElement) -> Vec<String> {
    match e.value() {
        Value::Primitive(p) => p
            .to_multi_str()
            .iter()
            .map(|s| s.trim_matches(['\0', ' ']).to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

impl Identifiers {
    /// Collects the identifiers of an input data set, at every depth.
    pub fn collect(ctx: &Context, obj: &InMemDicomObject, uids: &HashSet<String>) -> Identifiers {
        Identifiers::collect_with_batch(ctx, obj, uids, &BatchIdentifiers::default())
    }

    /// Collects the identifiers of an input data set, at every depth, and adds those of the
    /// whole batch (other files' names, IDs, institutions…), so that free text is cleaned of
    /// them too and the self-check looks for them.
    pub fn collect_with_batch(
        ctx: &Context,
        obj: &InMemDicomObject,
        uids: &HashSet<String>,
        batch: &BatchIdentifiers,
    ) -> Identifiers {
        let mut id = Identifiers {
            uids: uids.clone(),
            ..Default::default()
        };
        let user = ctx.user_tags();
        for t in user {
            if ![
                tags::PATIENT_ID,
                tags::PATIENT_NAME,
                tags::ACCESSION_NUMBER,
                tags::PATIENT_BIRTH_DATE,
            ]
            .contains(&t)
            {
                id.exempt.insert(t);
            }
        }
        let cs = Charset::of(obj);
        id.walk(ctx, &cs, obj);
        let matcher = batch.matcher();
        let mut off = vec![false; matcher.set.len()];
        for (kind, list) in [
            (BatchKind::Id, &id.ids),
            (BatchKind::Name, &id.names),
            (BatchKind::Word, &id.name_words),
        ] {
            // The file's own terms are searched as its own (in the raw bytes too).
            for t in list {
                matcher.switch_off(kind, t, &mut off);
            }
        }
        // A term of another file of the batch that this file's kept values use (a name word
        // that is also a code meaning here) is not searched in this file.
        let mut kept = Vec::new();
        kept_values(ctx, &cs, obj, &mut kept);
        for k in &kept {
            for (t, _) in matcher.set.tokens(&Norm::new(k).bytes) {
                matcher.switch_off_index(t, &mut off);
            }
        }
        // The file's own identifiers stay searched everywhere, kept values included: a kept
        // attribute holding one is cleaned (a protocol name typed with the patient's name).
        // Inputs that were de-identified before carry this tool's own dummy values: those are
        // not identifiers (the batch's are left out when its matcher is built).
        id.ids.retain(|t| !is_own_value(t));
        id.names.retain(|t| !is_own_value(t));
        id.name_words.retain(|t| !is_own_value(t));
        id.dates.retain(|t| !is_own_value(t));
        id.batch = Some(matcher);
        id.batch_off = off;
        id
    }

    /// Every element at every depth ([`crate::visit`]).
    fn walk(&mut self, ctx: &Context, cs: &Charset, obj: &InMemDicomObject) {
        crate::visit::visit(obj, &mut |_, e| self.element(ctx, cs, e));
    }

    /// The identifying values of one element (not a sequence: its items are visited).
    fn element(&mut self, ctx: &Context, cs: &Charset, e: &InMemElement) {
        let t = e.tag();
        if matches!(e.value(), Value::Sequence(_)) || self.exempt.contains(&t) {
            return;
        }
        let inst = !ctx.config.profile.retain_institution_identity;
        let dev = !ctx.config.profile.retain_device_identity;
        let action = ctx.profile.action(t).1;
        match e.vr() {
            VR::PN => {
                for v in values(e) {
                    let (names, words) = name_terms(&cs.text(VR::PN, &v));
                    for n in names {
                        push_unique(&mut self.names, n);
                    }
                    for w in words {
                        push_unique(&mut self.name_words, w);
                    }
                }
            }
            VR::DA | VR::DT if action != Some(Action::Keep) && t.group() % 2 == 0 => {
                let birth = t == tags::PATIENT_BIRTH_DATE;
                if ctx.config.profile.retain_long_full_dates && !birth {
                    return;
                }
                for v in values(e) {
                    for part in v.split('-') {
                        if let Some(d) = crate::dates::date_part(part) {
                            if birth
                                && ctx.config.birth_date == BirthDateMode::KeepYear
                                && d.ends_with("0101")
                            {
                                continue;
                            }
                            if birth {
                                push_unique(&mut self.birth_dates, d.clone());
                            }
                            push_unique(&mut self.dates, d);
                        }
                    }
                }
            }
            _ => {
                let is_id = ID_ATTRIBUTES.contains(&t)
                    || (inst && INSTITUTION_ATTRIBUTES.contains(&t))
                    || (dev && DEVICE_ATTRIBUTES.contains(&t));
                if is_id {
                    for v in values(e) {
                        let v = cs.text(e.vr(), &v);
                        if v.chars().count() >= 3 {
                            if INSTITUTION_ATTRIBUTES.contains(&t) {
                                push_unique(&mut self.institutions, v.clone());
                            }
                            push_unique(&mut self.ids, v);
                        }
                    }
                }
            }
        }
    }

    /// Forgets values that this run itself writes (the research ID, the new PatientName and
    /// AccessionNumber): on inputs that were de-identified before, the old research ID is the
    /// input's PatientID and may be handed out again.
    pub fn forget(&mut self, own: &[&str]) {
        self.prepared = OnceLock::new();
        let mine = |t: &String| own.iter().any(|o| t.eq_ignore_ascii_case(o));
        self.ids.retain(|t| !mine(t));
        self.names.retain(|t| !mine(t));
        self.name_words.retain(|t| !mine(t));
        if let Some(m) = &self.batch {
            for o in own {
                m.switch_off_folded(o, &mut self.batch_off);
            }
        }
        for o in own {
            let o = o.trim();
            if !o.is_empty() {
                push_unique(&mut self.own, o.to_string());
            }
        }
    }

    /// Whether an output value is one the engine wrote itself: a constant text in its place
    /// ([`own_texts`] in DeidentificationMethod or a code item), or exactly a research identity
    /// value of this run. Only whole values count: an identifier anywhere else, or next to
    /// these words in the same value, is still found.
    pub fn is_own(&self, tag: Tag, v: &str) -> bool {
        (OWN_TEXT_TAGS.contains(&tag) && is_own_text(v))
            || self.own.iter().any(|o| v.eq_ignore_ascii_case(o))
    }

    /// The file's terms folded, its IDs' digits and its dates parsed (made once).
    fn prepared(&self) -> &Prepared {
        self.prepared.get_or_init(|| Prepared {
            ids: self.ids.iter().map(|x| fold(x)).collect(),
            names: self.names.iter().map(|x| fold(x)).collect(),
            words: self.name_words.iter().map(|x| fold(x)).collect(),
            cores: self.ids.iter().filter_map(|x| id_core(x)).collect(),
            dates: self
                .dates
                .iter()
                .filter_map(|d| crate::dates::parse_da(d))
                .collect(),
        })
    }

    /// What is blanked out of cleaned text: IDs (also by their digits), whole names (with `^`
    /// and with spaces), name words, dates in any common notation; the file's own and the
    /// batch's. With `shift` (dates shifted with the study), dates other than the birth date
    /// are rewritten shifted instead of blanked.
    pub fn scrub_terms(&self, shift: Option<i64>) -> ScrubTerms<'_> {
        let mut t: Vec<String> = Vec::new();
        t.extend(self.ids.iter().map(|x| fold(x)));
        t.extend(self.names.iter().map(|n| fold(&spaced(n))));
        t.extend(self.names.iter().map(|x| fold(x)));
        t.extend(self.name_words.iter().map(|x| fold(x)));
        t.retain(|s| !s.is_empty());
        t.sort();
        t.dedup();
        ScrubTerms {
            own: t,
            id: self,
            shift,
        }
    }

    /// The batch's terms searched in this file: (kind, start, length) of each whole-token
    /// occurrence in a folded text ([`Norm`]).
    fn batch_tokens(&self, folded: &[u8]) -> Vec<(BatchKind, usize, usize)> {
        let Some(m) = &self.batch else {
            return Vec::new();
        };
        m.set
            .tokens(folded)
            .into_iter()
            .filter(|&(t, _)| !self.batch_off.get(t).copied().unwrap_or(true))
            .map(|(t, i)| (m.kinds[t], i, m.set.term(t).len()))
            .collect()
    }

    /// Character ranges in `text` of the digits of an ID of this file or of the batch, as
    /// written in text ([`find_id_digits`]).
    pub fn id_digits(&self, text: &str) -> Vec<Range<usize>> {
        let own = &self.prepared().cores;
        let batch_on = |core: &str| {
            self.batch.as_ref().is_some_and(|m| {
                m.cores.get(core).is_some_and(|ix| {
                    ix.iter()
                        .any(|&i| !self.batch_off.get(i).copied().unwrap_or(true))
                })
            })
        };
        find_id_digits(text, &|core: &str| own.contains(core) || batch_on(core))
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    /// This file's dates written in `text`, in any common notation ([`find_dates`]).
    pub fn date_hits(&self, text: &str) -> Vec<DateHit> {
        find_dates(text, &self.prepared().dates)
    }

    /// What identifier, if any, a decoded text value holds (in its folded form, and in its
    /// UTF-8 reading when it is UTF-8 read as Latin-1): an ID, address or institution, as a
    /// whole token or by its digits (in any text), a person name or word or a date (unless
    /// `ids_only`).
    pub fn found_in_text(&self, text: &str, ids_only: bool) -> Option<Found> {
        let view = utf8_view(text).map(|(v, _)| v);
        std::iter::once(text)
            .chain(view.as_deref())
            .find_map(|t| self.found_in_view(t, ids_only))
    }

    fn found_in_view(&self, text: &str, ids_only: bool) -> Option<Found> {
        let norm = Norm::new(text);
        let p = self.prepared();
        let any = |list: &[String]| {
            list.iter()
                .any(|x| find_token(&norm.bytes, x.as_bytes()).is_some())
        };
        let batch = self.batch_tokens(&norm.bytes);
        let batch_has = |k: BatchKind| batch.iter().any(|&(kind, _, _)| kind == k);
        if any(&p.ids) || batch_has(BatchKind::Id) || !self.id_digits(text).is_empty() {
            return Some(Found::Id);
        }
        if ids_only {
            return None;
        }
        if any(&p.names)
            || any(&p.words)
            || batch_has(BatchKind::Name)
            || batch_has(BatchKind::Word)
        {
            return Some(Found::Name);
        }
        (!self.date_hits(text).is_empty()).then_some(Found::Date)
    }

    /// Whether binary bytes (a private OB/OW value) hold one of this file's IDs or person names
    /// as text, UTF-8 or UTF-16 (little endian, when the bytes read as text): terms of 5
    /// characters or more (shorter ones occur in bytes by chance).
    pub fn found_in_binary(&self, bytes: &[u8]) -> bool {
        let terms: Vec<String> = self
            .ids
            .iter()
            .chain(&self.names)
            .chain(&self.name_words)
            .flat_map(|t| [fold(t), fold(&spaced(t))])
            .filter(|t| t.chars().count() >= 5)
            .collect();
        if terms.is_empty() || bytes.is_empty() {
            return false;
        }
        let utf8 = String::from_utf8_lossy(bytes).into_owned();
        std::iter::once(utf8).chain(utf16_text(bytes)).any(|v| {
            let n = Norm::new(&v);
            terms
                .iter()
                .any(|t| find_token(&n.bytes, t.as_bytes()).is_some())
        })
    }

    /// Whether a whole value is kept as it is although it equals a name of this file: a value
    /// of an equipment attribute ([`EQUIPMENT_ATTRIBUTES`]) equal to one of its person names,
    /// name words or institutions, or a code string (CS) value equal to one of its name words
    /// (`TEXT`, a Value Type, next to a placeholder person name `Enter text`). Only whole
    /// values; IDs and dates never.
    pub fn kept_whole(&self, tag: Tag, vr: VR, value: &str) -> bool {
        let equipment = EQUIPMENT_ATTRIBUTES.contains(&tag);
        if vr != VR::CS && !equipment {
            return false;
        }
        let v = fold(value.trim());
        if v.is_empty() {
            return false;
        }
        let p = self.prepared();
        (equipment
            && (p.names.contains(&v)
                || p.words.contains(&v)
                || self.institutions.iter().any(|x| fold(x) == v)))
            || (vr == VR::CS && p.words.contains(&v))
    }

    /// The file's own IDs and whole names (not the batch's), for the search of the raw bytes.
    pub fn own_ids_and_names(&self) -> impl Iterator<Item = &String> {
        self.ids.iter().chain(self.names.iter())
    }
}

/// What [`Identifiers::found_in_text`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// An ID, address, institution or device value.
    Id,
    /// A person name or one of its words.
    Name,
    /// An original date.
    Date,
}

/// Bytes read as UTF-16 (little endian) text, when nine in ten of their code units (NUL
/// padding at the end left out) are characters of text (printable ASCII, Latin, CJK, Hangul,
/// line ends); numbers stored as 16 bits are not read as text.
fn utf16_text(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 10 || bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    // NUL padding at the end is not counted either way.
    let text_len = units.iter().rposition(|&u| u != 0).map_or(0, |i| i + 1);
    let units = &units[..text_len];
    if units.len() < 5 {
        return None;
    }
    let texty = units
        .iter()
        .filter(|&&u| {
            matches!(u, 0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0xA0..=0x24F | 0x3000..=0x9FFF | 0xAC00..=0xD7A3)
        })
        .count();
    (texty * 10 >= units.len() * 9).then(|| String::from_utf16_lossy(units))
}

/// A whole name with its `^` separators as spaces (as free text writes it).
fn spaced(name: &str) -> String {
    name.replace('^', " ").trim().to_string()
}

/// Whether a value is one this tool writes itself as a dummy ([`OWN_VALUES`]).
fn is_own_value(t: &str) -> bool {
    OWN_VALUES.iter().any(|o| t.eq_ignore_ascii_case(o))
}

/// What is cleaned out of one file's text: its own terms (folded), searched one by one (a
/// few), its batch's that apply to it, searched together ([`TermSet`]), IDs by their digits
/// and dates in any common notation.
pub struct ScrubTerms<'i> {
    own: Vec<String>,
    id: &'i Identifiers,
    /// Days dates are shifted by, when they are (dates written in text are then rewritten).
    shift: Option<i64>,
}

impl ScrubTerms<'_> {
    /// Whether a date found in text is rewritten shifted (not blanked): dates are shifted and
    /// it is not a birth date.
    fn rewrites(&self, h: &DateHit) -> bool {
        self.shift.is_some()
            && !self
                .id
                .birth_dates
                .iter()
                .any(|b| crate::dates::parse_da(b) == Some(h.date))
    }

    /// Whether binary bytes hold an identifier as text ([`Identifiers::found_in_binary`]).
    pub fn binary_holds(&self, bytes: &[u8]) -> bool {
        self.id.found_in_binary(bytes)
    }

    /// Whether `value` of `tag` is kept whole ([`Identifiers::kept_whole`]).
    pub fn kept_whole(&self, tag: Tag, vr: VR, value: &str) -> bool {
        self.id.kept_whole(tag, vr, value)
    }
}

impl Marker for ScrubTerms<'_> {
    fn mark(&self, text: &str, marked: &mut [bool]) {
        let norm = Norm::new(text);
        mark_terms(&norm, self.own.iter().map(String::as_str), marked);
        for (_, i, n) in self.id.batch_tokens(&norm.bytes) {
            norm.mark(i..i + n, marked);
        }
        let dates = self.id.date_hits(text);
        let spans = self.id.id_digits(text).into_iter().chain(
            dates
                .into_iter()
                .filter(|h| !self.rewrites(h))
                .map(|h| h.chars),
        );
        for r in spans {
            marked
                .get_mut(r)
                .into_iter()
                .flatten()
                .for_each(|x| *x = true);
        }
    }

    fn replacements(&self, text: &str) -> Vec<(Range<usize>, String)> {
        let Some(days) = self.shift else {
            return Vec::new();
        };
        let hits: Vec<DateHit> = self
            .id
            .date_hits(text)
            .into_iter()
            .filter(|h| self.rewrites(h))
            .collect();
        if hits.is_empty() {
            return Vec::new();
        }
        let chars: Vec<char> = text.chars().collect();
        hits.iter()
            .map(|h| (h.chars.clone(), h.shifted(&chars, days)))
            .collect()
    }
}

/// The terms of one person name (decoded text): the whole value when 4 characters or more
/// (`^` separated, as written), and per component group (alphabetic, ideographic, phonetic:
/// PS3.5 6.2.1) written in a CJK script, family and given name joined without a separator and
/// with a space (2 characters or more: `홍길동`, `洪吉洞`, `山田 太郎`), as CJK text writes
/// them; and its words: 3 characters or more with a letter, or 2 or more CJK characters (a
/// single CJK character is too common to be searched alone).
pub fn name_terms(value: &str) -> (Vec<String>, Vec<String>) {
    let (mut names, mut words) = (Vec::new(), Vec::new());
    // Words: also the parts of a double-barrelled name (`Müller-Lüdenscheidt`).
    for w in value.split(['^', '=', ' ', ',', '.', '-']) {
        let w = w.trim();
        let n = w.chars().count();
        let cjk = w.chars().any(is_cjk);
        if (n >= 3 && w.chars().any(|c| c.is_alphabetic())) || (cjk && n >= 2) {
            push_unique(&mut words, w.to_string());
        }
    }
    let full = value.trim_end_matches('^');
    if full.chars().count() >= 4 {
        push_unique(&mut names, full.to_string());
    }
    for group in value.split('=') {
        let mut parts = group.split('^').map(str::trim);
        let (family, given) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let joined = format!("{family}{given}");
        if joined.chars().any(is_cjk) && joined.chars().count() >= 2 {
            push_unique(&mut names, joined);
            if !family.is_empty() && !given.is_empty() {
                push_unique(&mut names, format!("{family} {given}"));
            }
        }
    }
    (names, words)
}

/// Values of short-string attributes that the profile keeps as they are (not listed in
/// E.1-1, or K), at every depth.
fn kept_values(ctx: &Context, cs: &Charset, obj: &InMemDicomObject, out: &mut Vec<String>) {
    crate::visit::visit(obj, &mut |_, e| {
        let t = e.tag();
        if t.group() % 2 == 1 || !matches!(e.vr(), VR::CS | VR::LO | VR::SH) {
            return;
        }
        if matches!(ctx.profile.action(t).1, None | Some(Action::Keep)) {
            out.extend(values(e).iter().map(|v| cs.text(e.vr(), v)));
        }
    });
}

/// The identifiers of every scanned header of a job (PHI: in memory and in the plan handed to
/// workers, never written): person names and their words, patient and visit IDs, issuers,
/// institutions (unless Retain Institution Identity) and devices (unless Retain Device
/// Identity). Only terms that cannot be common words: 3 characters or more, and not numbers
/// of 4 digits or fewer. Sorted, without repeats.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BatchIdentifiers {
    /// Whole person names (as written, `^` separated), 4 characters or more.
    pub names: Vec<String>,
    /// Words of person names (3 letters or more, with a letter).
    pub name_words: Vec<String>,
    /// IDs, issuers, accession numbers, addresses, institutions, devices.
    pub ids: Vec<String>,
    /// The search of all of them, made on first use (by each worker) from the lists above.
    #[serde(skip)]
    matcher: OnceLock<Arc<BatchMatcher>>,
}

impl PartialEq for BatchIdentifiers {
    fn eq(&self, other: &Self) -> bool {
        (&self.names, &self.name_words, &self.ids) == (&other.names, &other.name_words, &other.ids)
    }
}

impl Eq for BatchIdentifiers {}

/// The kind of a batch term, as the check and the scrubber treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BatchKind {
    /// An ID, issuer, address, institution or device value.
    Id,
    /// A whole name as written (`^` separated).
    Name,
    /// A whole name with spaces for `^`: only cleaned out of free text.
    Spaced,
    /// A word of a name.
    Word,
}

/// The batch's terms in one [`TermSet`], with what each is and where to find it by value.
#[derive(Debug, Default)]
struct BatchMatcher {
    set: TermSet,
    kinds: Vec<BatchKind>,
    /// Of a name: the index of its spaced form, switched off with it.
    spaced_of: HashMap<usize, usize>,
    /// (kind, term) → index.
    exact: HashMap<(BatchKind, String), usize>,
    /// Folded term ([`fold`]) → indices (of names, words and IDs).
    folded: HashMap<String, Vec<usize>>,
    /// The digits of an ID ([`id_core`]) → indices of the IDs with those digits.
    cores: HashMap<String, Vec<usize>>,
}

impl BatchMatcher {
    fn new(batch: &BatchIdentifiers) -> BatchMatcher {
        let mut m = BatchMatcher::default();
        let mut terms = Vec::new();
        let mut add = |m: &mut BatchMatcher, kind: BatchKind, t: &str| -> usize {
            let i = terms.len();
            terms.push(fold(t));
            m.kinds.push(kind);
            m.exact.insert((kind, t.to_string()), i);
            i
        };
        for (kind, list) in [
            (BatchKind::Id, &batch.ids),
            (BatchKind::Name, &batch.names),
            (BatchKind::Word, &batch.name_words),
        ] {
            for t in list.iter().filter(|t| !t.is_empty() && !is_own_value(t)) {
                let i = add(&mut m, kind, t);
                m.folded.entry(fold(t)).or_default().push(i);
                if let Some(core) = id_core(t).filter(|_| kind == BatchKind::Id) {
                    m.cores.entry(core).or_default().push(i);
                }
                let s = spaced(t);
                if kind == BatchKind::Name && !s.is_empty() {
                    let j = add(&mut m, BatchKind::Spaced, &s);
                    m.spaced_of.insert(i, j);
                }
            }
        }
        m.set = TermSet::new(terms);
        m
    }

    /// Switches off term `t` (and a name's spaced form with it).
    fn switch_off_index(&self, t: usize, off: &mut [bool]) {
        if self.kinds.get(t) == Some(&BatchKind::Spaced) {
            // Found in a kept value, a spaced form stays: only its name decides.
            return;
        }
        for i in std::iter::once(t).chain(self.spaced_of.get(&t).copied()) {
            if let Some(o) = off.get_mut(i) {
                *o = true;
            }
        }
    }

    /// Switches off the batch term equal to `term` of this kind.
    fn switch_off(&self, kind: BatchKind, term: &str, off: &mut [bool]) {
        if let Some(&i) = self.exact.get(&(kind, term.to_string())) {
            self.switch_off_index(i, off);
        }
    }

    /// Switches off the batch terms equal to `value` once folded.
    fn switch_off_folded(&self, value: &str, off: &mut [bool]) {
        for &i in self.folded.get(&fold(value)).into_iter().flatten() {
            self.switch_off_index(i, off);
        }
    }
}

/// Whether a value is specific enough to be cleaned out of every file of a batch.
pub fn batch_term(v: &str) -> bool {
    let n = v.chars().count();
    n >= 3 && !(n <= 4 && v.chars().all(|c| c.is_ascii_digit()))
}

impl BatchIdentifiers {
    /// The batch's terms searched together (made once, then shared by every file).
    fn matcher(&self) -> Arc<BatchMatcher> {
        self.matcher
            .get_or_init(|| Arc::new(BatchMatcher::new(self)))
            .clone()
    }

    /// The batch's identifiers from their lists (each sorted, without repeats).
    pub fn new(names: Vec<String>, name_words: Vec<String>, ids: Vec<String>) -> Self {
        BatchIdentifiers {
            names,
            name_words,
            ids,
            matcher: OnceLock::new(),
        }
    }
}
