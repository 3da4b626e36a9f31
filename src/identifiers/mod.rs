//! The identifying values of an input file and of its batch, and their search in text: what
//! the free-text scrubber of the rewrite blanks out and what the self-check looks for. It
//! depends on the shared context only, not on the rewrite (`deid`) nor on the check (`verify`).

mod search;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::{InMemDicomObject, InMemElement};
use serde::{Deserialize, Serialize};

use crate::charset::Charset;
use crate::config::{BirthDateMode, Config};
use crate::context::Context;
use crate::profile::Action;
use crate::scan::Header;

pub use search::{find_token, is_cjk, scrub, scrub_value, Folded, Marker, TermSet};

/// Attributes whose values identify the patient, the visit or the place (besides names,
/// dates and UIDs). Institution and device ones only count when their option is off.
#[allow(deprecated)]
const ID_ATTRIBUTES: [Tag; 14] = [
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
];
const INSTITUTION_ATTRIBUTES: [Tag; 3] = [
    tags::INSTITUTION_NAME,
    tags::INSTITUTION_ADDRESS,
    tags::INSTITUTIONAL_DEPARTMENT_NAME,
];
const DEVICE_ATTRIBUTES: [Tag; 2] = [tags::DEVICE_SERIAL_NUMBER, tags::STATION_NAME];

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
    /// Tags exempt from the check (forced or explicitly kept by the user).
    pub exempt: HashSet<Tag>,
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
        // A value that the profile itself keeps elsewhere in the file (e.g. an institution also
        // named as Manufacturer, or a placeholder name word that is also a code meaning) is not
        // a leak when it appears there: drop it from the check, not from the data.
        let mut kept = Vec::new();
        kept_values(ctx, &cs, obj, &mut kept);
        for k in &kept {
            for (t, _) in matcher.set.tokens(k.as_bytes()) {
                matcher.switch_off_index(t, &mut off);
            }
        }
        let in_kept = |term: &String| {
            kept.iter()
                .any(|k| find_token(k.as_bytes(), term.as_bytes()).is_some())
        };
        id.ids.retain(|t| !in_kept(t));
        id.names.retain(|t| !in_kept(t));
        id.name_words.retain(|t| !in_kept(t));
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

    /// Terms blanked out of cleaned free text: IDs, whole names (with `^` and with spaces),
    /// name words, dates; the file's own and the batch's.
    pub fn scrub_terms(&self) -> ScrubTerms<'_> {
        let mut t: Vec<String> = Vec::new();
        t.extend(self.ids.iter().cloned());
        t.extend(self.names.iter().map(|n| spaced(n)));
        t.extend(self.names.iter().cloned());
        t.extend(self.name_words.iter().cloned());
        t.extend(self.dates.iter().cloned());
        t.retain(|s| !s.is_empty());
        t.sort();
        t.dedup();
        ScrubTerms { own: t, id: self }
    }

    /// The batch's terms searched in this file: (kind, start) of each whole-token occurrence
    /// in `text`.
    fn batch_tokens(&self, text: &[u8]) -> Vec<(BatchKind, usize, usize)> {
        let Some(m) = &self.batch else {
            return Vec::new();
        };
        m.set
            .tokens(text)
            .into_iter()
            .filter(|&(t, _)| !self.batch_off.get(t).copied().unwrap_or(true))
            .map(|(t, i)| (m.kinds[t], i, m.set.term(t).len()))
            .collect()
    }

    /// What identifier, if any, a decoded text value holds as a whole token: an ID, address or
    /// institution (in any text), a person name or word or a date (unless `ids_only`: codes
    /// and AE titles, where short name words are common codes).
    pub fn found_in_text(&self, text: &[u8], ids_only: bool) -> Option<Found> {
        let any = |list: &[String]| {
            list.iter()
                .any(|x| find_token(text, x.as_bytes()).is_some())
        };
        let batch = self.batch_tokens(text);
        let batch_has = |k: BatchKind| batch.iter().any(|&(kind, _, _)| kind == k);
        if any(&self.ids) || batch_has(BatchKind::Id) {
            return Some(Found::Id);
        }
        if ids_only {
            return None;
        }
        if any(&self.names)
            || any(&self.name_words)
            || batch_has(BatchKind::Name)
            || batch_has(BatchKind::Word)
        {
            return Some(Found::Name);
        }
        any(&self.dates).then_some(Found::Date)
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

/// A whole name with its `^` separators as spaces (as free text writes it).
fn spaced(name: &str) -> String {
    name.replace('^', " ").trim().to_string()
}

/// Whether a value is one this tool writes itself as a dummy ([`OWN_VALUES`]).
fn is_own_value(t: &str) -> bool {
    OWN_VALUES.iter().any(|o| t.eq_ignore_ascii_case(o))
}

/// The terms cleaned out of one file's free text: its own, searched one by one (a few), and
/// its batch's that apply to it, searched together ([`TermSet`]).
pub struct ScrubTerms<'i> {
    own: Vec<String>,
    id: &'i Identifiers,
}

impl Marker for ScrubTerms<'_> {
    fn mark(&self, text: &[u8], marked: &mut [bool]) {
        self.own.as_slice().mark(text, marked);
        for (_, i, n) in self.id.batch_tokens(text) {
            marked[i..i + n].fill(true);
        }
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
    for w in value.split(['^', '=', ' ', ',', '.']) {
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
    /// ASCII-lower-cased term → indices (of names, words and IDs).
    folded: HashMap<String, Vec<usize>>,
}

impl BatchMatcher {
    fn new(batch: &BatchIdentifiers) -> BatchMatcher {
        let mut m = BatchMatcher::default();
        let mut terms = Vec::new();
        let mut add = |m: &mut BatchMatcher, kind: BatchKind, t: &str| -> usize {
            let i = terms.len();
            terms.push(t.to_string());
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
                m.folded.entry(t.to_ascii_lowercase()).or_default().push(i);
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

    /// Switches off the batch terms equal to `value`, ignoring ASCII case.
    fn switch_off_folded(&self, value: &str, off: &mut [bool]) {
        for &i in self
            .folded
            .get(&value.to_ascii_lowercase())
            .into_iter()
            .flatten()
        {
            self.switch_off_index(i, off);
        }
    }
}

/// Whether a value is specific enough to be cleaned out of every file of a batch.
fn batch_term(v: &str) -> bool {
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

    /// Gathers the identifiers of the headers (the same for any order of the headers).
    pub fn gather<'h>(headers: impl Iterator<Item = &'h Header>, config: &Config) -> Self {
        let (mut names, mut words, mut ids) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for h in headers {
            let hi = &h.identifiers;
            for n in &hi.names {
                // As the file's own names are taken ([`Identifiers`]).
                let (full, parts) = name_terms(n);
                names.extend(full);
                words.extend(parts);
            }
            let inst = (!config.profile.retain_institution_identity).then_some(&hi.institutions);
            let dev = (!config.profile.retain_device_identity).then_some(&hi.devices);
            for v in hi
                .ids
                .iter()
                .chain(inst.into_iter().flatten())
                .chain(dev.into_iter().flatten())
            {
                if batch_term(v) {
                    ids.insert(v.clone());
                }
            }
        }
        BatchIdentifiers {
            names: names.into_iter().collect(),
            name_words: words.into_iter().collect(),
            ids: ids.into_iter().collect(),
            matcher: OnceLock::new(),
        }
    }
}
