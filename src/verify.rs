//! The self-check (fail closed): before a file is emitted, its output is re-read and every
//! element at every depth (private ones included), plus the raw header bytes, is searched for
//! the identifying values collected from its input. Any hit rejects the file.
//!
//! Also home of the free-text scrubber used by the Clean (C) action: names, IDs and dates of
//! the input found inside kept descriptions are blanked out before the check runs.

use std::collections::HashSet;

use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;

use crate::config::BirthDateMode;
use crate::deid::{Context, MAX_DEPTH};
use crate::error::Rejection;
use crate::plan::BatchIdentifiers;
use crate::profile::Action;
use crate::read;

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
        crate::deid::METHOD_NAME,
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

fn is_own_text(v: &str) -> bool {
    own_texts().iter().any(|o| {
        // DeidentificationMethod values are written cut to 64 characters (LO).
        let cut: String = o.chars().take(64).collect();
        v == *o || v == cut
    })
}

/// Top-level attributes the engine sets itself from the plan (research identity); they are not
/// searched for the input's identifiers (a re-run on already de-identified data may legitimately
/// produce the same research ID).
const IDENTITY_TAGS: [Tag; 3] = [tags::PATIENT_ID, tags::PATIENT_NAME, tags::ACCESSION_NUMBER];

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
    /// Terms that came only from other files of the batch ([`crate::plan::BatchIdentifiers`]):
    /// searched in every element, not in the raw header bytes (where a number of another file
    /// may stand for something else).
    pub batch_only: HashSet<String>,
    /// Values this run writes itself (research ID, PatientName, AccessionNumber), set by
    /// [`Identifiers::forget`]: an output value equal to one of them is not an identifier.
    pub own: Vec<String>,
}

fn values(e: &dicom_object::mem::InMemElement) -> Vec<String> {
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
        id.walk(ctx, obj, 0);
        for (list, from) in [
            (&mut id.ids, &batch.ids),
            (&mut id.names, &batch.names),
            (&mut id.name_words, &batch.name_words),
        ] {
            let have: HashSet<String> = list.iter().cloned().collect();
            for t in from {
                if !have.contains(t) {
                    list.push(t.clone());
                    id.batch_only.insert(t.clone());
                }
            }
        }
        // A value that the profile itself keeps elsewhere in the file (e.g. an institution also
        // named as Manufacturer, or a placeholder name word that is also a code meaning) is not
        // a leak when it appears there: drop it from the check, not from the data.
        let mut kept = Vec::new();
        kept_values(ctx, obj, &mut kept, 0);
        let in_kept = |term: &String| {
            kept.iter()
                .any(|k| find_token(k.as_bytes(), term.as_bytes()).is_some())
        };
        id.ids.retain(|t| !in_kept(t));
        id.names.retain(|t| !in_kept(t));
        id.name_words.retain(|t| !in_kept(t));
        // Inputs that were de-identified before carry this tool's own dummy values: those are
        // not identifiers.
        let ours = |t: &String| OWN_VALUES.iter().any(|o| t.eq_ignore_ascii_case(o));
        id.ids.retain(|t| !ours(t));
        id.names.retain(|t| !ours(t));
        id.name_words.retain(|t| !ours(t));
        id.dates.retain(|t| !ours(t));
        id
    }

    fn walk(&mut self, ctx: &Context, obj: &InMemDicomObject, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let inst = !ctx.config.profile.retain_institution_identity;
        let dev = !ctx.config.profile.retain_device_identity;
        for e in obj.iter() {
            let t = e.tag();
            if let Value::Sequence(seq) = e.value() {
                for item in seq.items() {
                    self.walk(ctx, item, depth + 1);
                }
                continue;
            }
            if self.exempt.contains(&t) {
                continue;
            }
            let action = ctx.profile.action(t).1;
            match e.vr() {
                VR::PN => {
                    for v in values(e) {
                        for w in v.split(['^', '=', ' ', ',', '.']) {
                            let w = w.trim();
                            if w.chars().count() >= 3 && w.chars().any(|c| c.is_alphabetic()) {
                                push_unique(&mut self.name_words, w.to_string());
                            }
                        }
                        let full = v.trim_end_matches('^').to_string();
                        if full.chars().count() >= 4 {
                            push_unique(&mut self.names, full);
                        }
                    }
                }
                VR::DA | VR::DT if action != Some(Action::Keep) && t.group() % 2 == 0 => {
                    let birth = t == tags::PATIENT_BIRTH_DATE;
                    if ctx.config.profile.retain_long_full_dates && !birth {
                        continue;
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
                            if v.chars().count() >= 3 {
                                push_unique(&mut self.ids, v);
                            }
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
    fn is_own(&self, tag: Tag, v: &str) -> bool {
        (OWN_TEXT_TAGS.contains(&tag) && is_own_text(v))
            || self.own.iter().any(|o| v.eq_ignore_ascii_case(o))
    }

    /// Terms blanked out of cleaned free text: IDs, whole names, name words, dates.
    pub fn scrub_terms(&self) -> Vec<String> {
        let mut t: Vec<String> = Vec::new();
        t.extend(self.ids.iter().cloned());
        t.extend(
            self.names
                .iter()
                .map(|n| n.replace('^', " ").trim().to_string()),
        );
        t.extend(self.names.iter().cloned());
        t.extend(self.name_words.iter().cloned());
        t.extend(self.dates.iter().cloned());
        t.retain(|s| !s.is_empty());
        // Longest first, so that a whole name goes before its words.
        t.sort_by_key(|s| std::cmp::Reverse(s.len()));
        t.dedup();
        t
    }
}

/// Values of short-string attributes that the profile keeps as they are (not listed in
/// E.1-1, or K), at every depth.
fn kept_values(ctx: &Context, obj: &InMemDicomObject, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for e in obj.iter() {
        let t = e.tag();
        if let Value::Sequence(seq) = e.value() {
            for item in seq.items() {
                kept_values(ctx, item, out, depth + 1);
            }
            continue;
        }
        if t.group() % 2 == 1 || !matches!(e.vr(), VR::CS | VR::LO | VR::SH) {
            continue;
        }
        match ctx.profile.action(t).1 {
            None | Some(Action::Keep) => out.extend(values(e)),
            _ => {}
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Positions of `term` in `text` as a whole token (ASCII case-insensitive, bounded by
/// non-alphanumeric characters or the ends).
fn find_token(text: &[u8], term: &[u8]) -> Option<usize> {
    find_token_from(text, term, 0)
}

fn find_token_from(text: &[u8], term: &[u8], from: usize) -> Option<usize> {
    let (&first, &last) = (term.first()?, term.last()?);
    if term.len() > text.len() || from > text.len() - term.len() {
        return None;
    }
    // Candidates are the positions of the first byte in either case (memchr, SIMD).
    let end = text.len() - term.len() + 1;
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        &text[from..end],
    )
    .map(|i| i + from)
    .find(|&i| is_token_at(text, term, i, first, last))
}

/// Whether `term` is at `i` in `text` as a whole token (ASCII case-insensitive).
fn is_token_at(text: &[u8], term: &[u8], i: usize, first: u8, last: u8) -> bool {
    let j = i + term.len();
    text[i..j].eq_ignore_ascii_case(term)
        && (i == 0 || !is_word_byte(text[i - 1]) || !is_word_byte(first))
        && (j == text.len() || !is_word_byte(text[j]) || !is_word_byte(last))
}

/// A text searched for many terms: folded to ASCII lower case once, then each term is found by
/// `memmem` (SIMD) and checked for token boundaries. Same answers as [`find_token`].
struct Folded(Vec<u8>);

impl Folded {
    fn new(text: &[u8]) -> Folded {
        Folded(text.to_ascii_lowercase())
    }

    /// Blanks (with spaces) every whole-token occurrence of each text.
    fn mask<'t>(&mut self, texts: impl Iterator<Item = &'t str>) {
        for t in texts {
            let lower = t.as_bytes().to_ascii_lowercase();
            let (Some(&first), Some(&last)) = (lower.first(), lower.last()) else {
                continue;
            };
            let hits: Vec<usize> = memchr::memmem::find_iter(&self.0, &lower)
                .filter(|&i| is_token_at(&self.0, &lower, i, first, last))
                .collect();
            for i in hits {
                self.0[i..i + lower.len()].fill(b' ');
            }
        }
    }

    fn has_token(&self, term: &[u8]) -> bool {
        let (Some(&first), Some(&last)) = (term.first(), term.last()) else {
            return false;
        };
        let lower = term.to_ascii_lowercase();
        memchr::memmem::find_iter(&self.0, &lower)
            .any(|i| is_token_at(&self.0, &lower, i, first, last))
    }
}

/// Blanks every whole-token occurrence of each term with `X`s (same length, so VR length
/// limits still hold).
pub fn scrub(text: &str, terms: &[String]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for term in terms {
        let tb = term.as_bytes();
        let mut from = 0;
        while let Some(i) = find_token_from(&bytes, tb, from) {
            for b in &mut bytes[i..i + tb.len()] {
                *b = b'X';
            }
            from = i + tb.len();
        }
    }
    // Only ASCII bytes were replaced at token boundaries, so this stays valid UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| "X".repeat(text.len()))
}

fn leak(kind: &str, tag: Tag, what: &str) -> Rejection {
    Rejection::Leak {
        detail: format!("{kind} of the input found in {what} {tag}"),
    }
}

/// Checks a de-identified output against its input's identifiers.
pub fn check_output(ctx: &Context, id: &Identifiers, out: &[u8]) -> Result<(), Rejection> {
    let (obj, _) = read::parse(out, false).map_err(|e| Rejection::WriteFailed {
        detail: format!("output does not re-read: {e}"),
    })?;
    let meta_sop = obj
        .meta()
        .media_storage_sop_instance_uid()
        .trim_end_matches(['\0', ' '])
        .to_string();
    if id.uids.contains(&meta_sop) {
        return Err(leak(
            "SOP Instance UID",
            tags::MEDIA_STORAGE_SOP_INSTANCE_UID,
            "meta group",
        ));
    }
    if obj.meta().source_application_entity_title.is_some()
        || obj.meta().sending_application_entity_title.is_some()
    {
        return Err(Rejection::Leak {
            detail: "AE title left in the file meta group".into(),
        });
    }
    let deflated =
        obj.meta().transfer_syntax().trim_end_matches(['\0', ' ']) == "1.2.840.10008.1.2.1.99";
    walk_check(ctx, id, &obj, 0)?;
    if !deflated {
        raw_check(id, out)?;
    }
    Ok(())
}

fn walk_check(
    ctx: &Context,
    id: &Identifiers,
    obj: &InMemDicomObject,
    depth: usize,
) -> Result<(), Rejection> {
    if depth > MAX_DEPTH {
        return Err(Rejection::RuleFailed {
            detail: "nesting too deep to check".into(),
        });
    }
    for e in obj.iter() {
        let t = e.tag();
        if let Value::Sequence(seq) = e.value() {
            for item in seq.items() {
                walk_check(ctx, id, item, depth + 1)?;
            }
            continue;
        }
        if id.exempt.contains(&t) || (depth == 0 && IDENTITY_TAGS.contains(&t)) {
            continue;
        }
        let vr = e.vr();
        match vr {
            VR::UI => {
                for v in values(e) {
                    if id.uids.contains(&v) {
                        return Err(leak("an original UID", t, "element"));
                    }
                }
            }
            VR::DA | VR::DT => {
                for v in values(e) {
                    for part in v.split('-') {
                        if let Some(d) = crate::dates::date_part(part) {
                            if id.dates.contains(&d) {
                                return Err(leak("an original date", t, "element"));
                            }
                        }
                    }
                }
            }
            VR::AE
            | VR::CS
            | VR::LO
            | VR::SH
            | VR::LT
            | VR::ST
            | VR::UT
            | VR::UC
            | VR::PN
            | VR::UR => {
                for v in values(e) {
                    if id.is_own(t, &v) {
                        continue;
                    }
                    let b = v.as_bytes();
                    if id.ids.iter().any(|x| find_token(b, x.as_bytes()).is_some()) {
                        return Err(leak("an ID, address or institution value", t, "element"));
                    }
                    if vr != VR::CS && vr != VR::AE {
                        if id
                            .names
                            .iter()
                            .chain(id.name_words.iter())
                            .any(|x| find_token(b, x.as_bytes()).is_some())
                        {
                            return Err(leak("a person name", t, "element"));
                        }
                        if id
                            .dates
                            .iter()
                            .any(|x| find_token(b, x.as_bytes()).is_some())
                        {
                            return Err(leak("an original date", t, "text of element"));
                        }
                    }
                }
            }
            _ => {
                // Unknown-VR private values kept as bytes: search them as text.
                if vr == VR::UN {
                    if let Value::Primitive(p) = e.value() {
                        let b = p.to_bytes();
                        if id
                            .uids
                            .iter()
                            .any(|u| find_token(&b, u.as_bytes()).is_some())
                            || id
                                .ids
                                .iter()
                                .any(|x| find_token(&b, x.as_bytes()).is_some())
                        {
                            return Err(leak("an identifier", t, "UN element"));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Searches the raw bytes before Pixel Data for long identifiers.
fn raw_check(id: &Identifiers, out: &[u8]) -> Result<(), Rejection> {
    let le = [0xE0u8, 0x7F, 0x10, 0x00];
    let be = [0x7Fu8, 0xE0, 0x00, 0x10];
    let end = out
        .windows(4)
        .position(|w| w == le || w == be)
        .unwrap_or(out.len());
    let mut header = Folded::new(&out[..end]);
    // The engine's own texts and research identity values are blanked first: a patient named
    // like one of their words is not "found" in them (the walk above checked every value).
    header.mask(
        own_texts()
            .into_iter()
            .chain(id.own.iter().map(String::as_str)),
    );
    for u in &id.uids {
        if u.len() >= 12 && header.has_token(u.as_bytes()) {
            return Err(Rejection::Leak {
                detail: "an original UID found in the raw header bytes".into(),
            });
        }
    }
    for x in id.ids.iter().chain(id.names.iter()) {
        if x.len() >= 6 && !id.batch_only.contains(x) && header.has_token(x.as_bytes()) {
            return Err(Rejection::Leak {
                detail: "an identifier or name found in the raw header bytes".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(find_token(b"CT HEAD SMITH", b"smith"), Some(8));
        assert_eq!(find_token(b"SMITHSON", b"smith"), None);
        assert_eq!(find_token(b"ID 12345-A", b"12345"), Some(3));
        assert_eq!(find_token(b"123456", b"12345"), None);
        assert_eq!(
            scrub("Dr Smith reviewed", &["Smith".into()]),
            "Dr XXXXX reviewed"
        );
    }

    /// The plain definition: every position, case-insensitive, token boundaries.
    fn reference(text: &[u8], term: &[u8], from: usize) -> Option<usize> {
        if term.is_empty() {
            return None;
        }
        (from..(text.len() + 1).saturating_sub(term.len())).find(|&i| {
            let j = i + term.len();
            text[i..j].eq_ignore_ascii_case(term)
                && (i == 0 || !is_word_byte(text[i - 1]) || !is_word_byte(term[0]))
                && (j == text.len()
                    || !is_word_byte(text[j])
                    || !is_word_byte(term[term.len() - 1]))
        })
    }

    #[test]
    fn fast_searches_agree_with_the_definition() {
        // A small alphabet (letters in both cases, digits, separators, a non-ASCII byte) makes
        // matches, near misses and boundary cases frequent.
        let alphabet = b"aAbB1 ^.-\xe9";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut found = 0;
        for _ in 0..20_000 {
            let text: Vec<u8> = (0..next(40))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let term: Vec<u8> = (0..next(4))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let from = next(8);
            let want = reference(&text, &term, from);
            assert_eq!(
                find_token_from(&text, &term, from),
                want,
                "{text:?} {term:?} {from}"
            );
            let any = reference(&text, &term, 0).is_some();
            assert_eq!(
                Folded::new(&text).has_token(&term),
                any,
                "{text:?} {term:?}"
            );
            found += usize::from(any);
        }
        assert!(
            found > 2_000,
            "only {found} matches: the test exercises too little"
        );
    }
}
