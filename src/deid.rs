//! The rewrite step for one file: every element at every depth goes through the profile;
//! UIDs are remapped with the keyed mapping; dates are shifted per patient; the research
//! identity is written; the file meta group is rebuilt. Pixel data is carried over untouched.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use dicom_core::dictionary::DataDictionary;
use dicom_core::header::Header as _;
use dicom_core::value::{DataSetSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::{tags, StandardDataDictionary};
use dicom_object::mem::{InMemDicomObject, InMemElement};
use dicom_object::meta::FileMetaTableBuilder;

use crate::charset::Charset;
use crate::config::{BirthDateMode, PatientNameMode};
use crate::dates;
use crate::error::Rejection;
use crate::padding::string_of;
use crate::phi::{self, Identifiers};
use crate::pixels::{self, clean as pixel_clean};
use crate::plan::{FilePlan, Plan};
use crate::profile::{Action, ProfileOption};
use crate::read::{self, Object};
use crate::recipe::iod_bound::FileIod;
use crate::verify;

use crate::context::{Context, METHOD_NAME};
use crate::limits::MAX_DEPTH;
use crate::padding::Unpadded as _;

mod recipe_walk;

/// Implementation Class UID of this tool (PS3.7 D.3.3.2): the decimal of a fixed random
/// (version 4) UUID, PS3.5 B.2.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.65358359233945988813780104416427153783";
/// Implementation Version Name (SH, ≤ 16).
pub const IMPLEMENTATION_VERSION_NAME: &str = "DICOM_DEID_010";
/// A de-identified file.
#[derive(Debug)]
pub struct Rewritten<'a> {
    /// The new file.
    pub file: Output<'a>,
    /// Path inside the zip.
    pub out_path: String,
    /// SOP Class UID.
    pub sop_class: String,
    /// New SOP Instance UID.
    pub sop_instance_uid: String,
    /// New Study Instance UID.
    pub study_instance_uid: String,
    /// New Series Instance UID.
    pub series_instance_uid: String,
    /// Modality.
    pub modality: String,
    /// Transfer syntax UID (same as the input's).
    pub transfer_syntax: String,
    /// Counts of actions taken.
    pub stats: Stats,
    /// What was done to the pixels (for the log).
    pub pixels: Option<pixel_clean::PixelNote>,
    /// What the self-check needs to know of the input ([`verify::self_check`]).
    pub evidence: verify::Evidence,
}

/// A de-identified file in two parts, written one after the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output<'a> {
    /// The new file's bytes (preamble, meta group, data set) up to its pixel tail.
    pub head: Vec<u8>,
    /// The input's own Pixel Data element, which follows `head` unchanged (empty when the whole
    /// object was rewritten). Borrowed from the input: not copied until a sink writes it.
    pub tail: &'a [u8],
}

impl Output<'_> {
    /// Size of the new file.
    pub fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Whether the new file is empty (never, for a written file).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The new file as one buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(&self.head);
        v.extend_from_slice(self.tail);
        v
    }
}

/// What was done, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Elements removed.
    pub removed: u32,
    /// Elements emptied.
    pub emptied: u32,
    /// Elements given dummy values.
    pub dummied: u32,
    /// Values cleaned (text scrubbed, ages binned).
    pub cleaned: u32,
    /// Dates shifted.
    pub dates_shifted: u32,
    /// UIDs replaced.
    pub uids_replaced: u32,
    /// Private elements removed.
    pub private_removed: u32,
    /// Private elements kept (Retain Safe Private).
    pub private_kept: u32,
}

/// The new identity of one file (research ID, name, accession, date shift, notes, output path),
/// from the plan.
#[derive(Debug, Clone)]
pub struct NewIdentity {
    /// PatientID.
    pub research_id: String,
    /// PatientName.
    pub patient_name: String,
    /// AccessionNumber.
    pub accession: String,
    /// Day shift (when dates are shifted).
    pub shift_days: i64,
    /// Notes for PatientComments.
    pub notes: Option<String>,
    /// The mapping's surgery date (YYYYMMDD), for recipe lookups.
    pub surgery_date: Option<String>,
    /// The mapping's anchor date (YYYYMMDD), for recipe lookups.
    pub anchor_date: Option<String>,
    /// Output path.
    pub out_path: String,
}

impl NewIdentity {
    /// The identity of a planned file.
    pub fn from_plan(plan: &Plan, fp: &FilePlan, ctx: &Context) -> Result<NewIdentity, Rejection> {
        let subject = plan.subjects.get(fp.subject).ok_or(Rejection::NotPlanned)?;
        let study = plan.studies.get(fp.study).ok_or(Rejection::NotPlanned)?;
        let patient_name = match ctx.config.patient_name {
            PatientNameMode::ResearchId => subject.research_id.clone(),
            PatientNameMode::ResearchIdCtDate => match plan.study_ct_date(study, ctx.shift_dates())
            {
                Some(d) if ctx.shift_dates() || ctx.full_dates() => {
                    format!("{}_{}", subject.research_id, d)
                }
                _ => subject.research_id.clone(),
            },
        };
        Ok(NewIdentity {
            research_id: subject.research_id.clone(),
            patient_name,
            accession: study.new_accession.clone(),
            shift_days: subject.shift_days,
            notes: subject.notes.clone(),
            surgery_date: subject.surgery_date.clone(),
            anchor_date: subject.anchor_date.clone(),
            out_path: fp.out_path.clone(),
        })
    }
}

/// De-identifies one planned file.
pub fn rewrite_planned<'a>(
    ctx: &Context,
    plan: &Plan,
    path: &str,
    bytes: &'a [u8],
) -> Result<Rewritten<'a>, Rejection> {
    let fp = match plan.files.get(path) {
        None => return Err(Rejection::NotPlanned),
        Some(Err(r)) => return Err(r.clone()),
        Some(Ok(fp)) => fp,
    };
    let identity = NewIdentity::from_plan(plan, fp, ctx)?;
    let out = rewrite_with_batch(ctx, &identity, &plan.batch, bytes)?;
    match &fp.duplicate_of {
        Some(other) => Err(Rejection::Duplicate {
            other: other.clone(),
        }),
        None => Ok(out),
    }
}

/// Text VRs whose kept values are cleaned of the input's identifiers (free text, short
/// strings, codes, AE titles, URIs).
const SCRUBBED_VRS: [VR; 10] = [
    VR::LO,
    VR::SH,
    VR::LT,
    VR::ST,
    VR::UT,
    VR::UC,
    VR::PN,
    VR::AE,
    VR::CS,
    VR::UR,
];

fn is_string_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::ST
            | VR::TM
            | VR::UC
            | VR::UI
            | VR::UR
            | VR::UT
    )
}

fn strs(values: Vec<String>) -> PrimitiveValue {
    PrimitiveValue::Strs(values.into_iter().collect())
}

use crate::recipe::condition::element_strings as str_values;

/// The walk over one file's data set.
struct Walker<'a> {
    ctx: &'a Context,
    shift_days: i64,
    uid_set: &'a HashSet<String>,
    scrub: &'a phi::ScrubTerms<'a>,
    /// The data set's character set: free text is searched and blanked in its decoded text.
    charset: Charset,
    stats: Stats,
    /// The file's IOD: its attribute Types (compound actions, a rule's removals), when the
    /// table knows its class, and the attributes its Frame Increment Pointer names.
    iod: FileIod,
    /// Tags of the sequences the walk is inside, from the top level.
    path: Vec<u32>,
    /// The file's identity (recipe lookups).
    identity: &'a NewIdentity,
    /// Which recipe rules are in force for this file (their conditions hold).
    rules_on: Vec<bool>,
    /// Values the rules read from other elements of the data set being walked (the top level
    /// or an item: `Compiled::sources`).
    sources: BTreeMap<String, String>,
    /// Top-level tags a recipe rule decided (the identity and forced values leave them).
    decided: HashSet<Tag>,
    /// Tags kept verbatim by a rule that accepts the risk (the self-check skips them).
    accepted_tags: HashSet<Tag>,
    /// Their values (left out of the raw-bytes check; the element check skips the tags).
    accepted_values: Vec<String>,
    /// What the rules kept at accepted risk, for the log.
    accepted_notes: Vec<String>,
    /// Which rules' actions the file's IOD changed, on which attribute and why, for the log.
    iod_notes: Vec<String>,
}

/// The Overlay and Curve groups that hold data (60xx,3000 / 50xx,3000).
fn overlay_curve_groups(obj: &InMemDicomObject) -> Vec<u16> {
    obj.iter()
        .map(|e| e.tag())
        .filter(|t| {
            t.element() == 0x3000
                && t.group() % 2 == 0
                && ((0x5000..=0x501E).contains(&t.group())
                    || (0x6000..=0x601E).contains(&t.group()))
        })
        .map(|t| t.group())
        .collect()
}

impl Walker<'_> {
    fn dataset(
        &mut self,
        obj: InMemDicomObject,
        top: bool,
        depth: usize,
    ) -> Result<InMemDicomObject, Rejection> {
        let creators = crate::recipe::condition::creators(&obj);
        let data_groups = overlay_curve_groups(&obj);
        // CTP's functions read other elements of the data set the element is in (an item's own)
        let sources = self.ctx.recipe.as_ref().map(|r| r.sources(&obj));
        let outer = std::mem::replace(&mut self.sources, sources.unwrap_or_default());
        let mut kept_blocks: BTreeSet<(u16, u8)> = BTreeSet::new();
        let mut out: Vec<InMemElement> = Vec::new();
        let mut creator_elems: Vec<InMemElement> = Vec::new();
        for e in obj {
            let t = e.tag();
            let e = match self.by_recipe(e, &creators, top, depth)? {
                std::ops::ControlFlow::Break(kept) => {
                    if let Some(k) = kept {
                        if t.group() % 2 == 1 {
                            kept_blocks.insert((t.group(), (t.element() >> 8) as u8));
                            self.stats.private_kept += 1;
                        }
                        out.push(k);
                    }
                    continue;
                }
                std::ops::ControlFlow::Continue(e) => e,
            };
            if t.element() == 0
                || t.group() == 0x0002
                || t.group() < 0x0008
                    && t.group() != 0x0000
                    && self.ctx.profile.action(t).1.is_none()
            {
                // Group lengths are dropped; meta and directory groups never belong in a data
                // set, except directory attributes Table E.1-1 lists (0004,1511: U).
                self.stats.removed += 1;
                continue;
            }
            if t.group() % 2 == 1 {
                match t.element() {
                    0x0000..=0x000F => self.stats.private_removed += 1,
                    0x0010..=0x00FF => creator_elems.push(e),
                    _ => {
                        let block = (t.group(), (t.element() >> 8) as u8);
                        let creator = creators.get(&block).map(|s| s.as_str());
                        if self.ctx.profile.private_kept(creator, t) {
                            if let Some(kept) = self.keep_with_identity_rules(e, depth)? {
                                kept_blocks.insert(block);
                                self.stats.private_kept += 1;
                                out.push(kept);
                            }
                        } else {
                            self.stats.private_removed += 1;
                        }
                    }
                }
                continue;
            }
            if let Some(e) = self.public(e, top, depth)? {
                out.push(e);
            }
        }
        for c in creator_elems {
            let t = c.tag();
            if kept_blocks.contains(&(t.group(), t.element() as u8)) {
                out.push(c);
            } else {
                self.stats.private_removed += 1;
            }
        }
        self.drop_orphan_groups(&mut out, &data_groups);
        self.sources = outer;
        Ok(InMemDicomObject::from_element_iter(out))
    }

    /// A public element: the keep-list (top level), else its action in the profile; a standard
    /// attribute the profile does not list goes by [`Walker::not_listed`], an unknown one goes.
    fn public(
        &mut self,
        e: InMemElement,
        top: bool,
        depth: usize,
    ) -> Result<Option<InMemElement>, Rejection> {
        let t = e.tag();
        let Some(e) = self.as_dictionary_vr(e) else {
            self.stats.removed += 1;
            return Ok(None);
        };
        if let (true, Some(keep)) = (top, &self.ctx.keep_list) {
            if !keep.contains(&t) && !ESSENTIAL.contains(&t) {
                self.stats.removed += 1;
                return Ok(None);
            }
            if keep.contains(&t) && self.ctx.profile.action(t).1 != Some(Action::ReplaceUid) {
                return self.keep_with_identity_rules(e, depth);
            }
        }
        match self.action_of(t) {
            Some(a) => self.apply(a, e, depth),
            None if StandardDataDictionary.by_tag(t).is_some() => self.not_listed(e, depth),
            None => {
                self.stats.removed += 1;
                Ok(None)
            }
        }
    }

    /// A standard text attribute sent with a binary VR (a `PatientName` or protocol name as OB
    /// or OW) is read as its dictionary VR says, so that the profile and the cleaning treat it
    /// as text; `None` (removed) when its bytes are not text.
    fn as_dictionary_vr(&self, e: InMemElement) -> Option<InMemElement> {
        let vr = e.vr();
        if !verify::is_binary(vr) {
            return Some(e);
        }
        let Some(dict) = StandardDataDictionary
            .by_tag(e.tag())
            .map(|entry| entry.vr.relaxed())
            .filter(|&d| is_string_vr(d))
        else {
            return Some(e);
        };
        let Value::Primitive(p) = e.value() else {
            return Some(e);
        };
        let text = self.charset.read_bytes(&p.to_bytes())?;
        let text = text.trim_end_matches(['\0', ' ']);
        let values: Vec<String> = if matches!(dict, VR::LT | VR::ST | VR::UT | VR::UR) {
            vec![text.to_string()]
        } else {
            text.split('\\').map(str::to_string).collect()
        };
        Some(DataElement::new(e.tag(), dict, strs(values)))
    }

    /// The action of a public tag: its compound code resolved by the attribute's Type in the
    /// file's IOD at this path when known, else the profile's.
    fn action_of(&mut self, t: Tag) -> Option<Action> {
        let fixed = self.ctx.profile.action(t).1;
        match (self.ctx.profile.compound(t), &self.iod.types) {
            (Some(code), Some(iod)) => {
                self.path
                    .push(((t.group() as u32) << 16) | t.element() as u32);
                let placement = iod.placement(&self.path);
                self.path.pop();
                Some(code.for_placement(placement))
            }
            _ => fixed,
        }
    }

    /// Overlay (60xx) and Curve (50xx) groups whose data the profile removed go as a whole: the
    /// rest of an Overlay Plane module without its Overlay Data is not a valid module.
    fn drop_orphan_groups(&mut self, out: &mut Vec<InMemElement>, data_groups: &[u16]) {
        for &g in data_groups {
            if out.iter().any(|e| e.tag() == Tag(g, 0x3000)) {
                continue;
            }
            let before = out.len();
            out.retain(|e| e.tag().group() != g);
            self.stats.removed += (before - out.len()) as u32;
        }
    }

    fn sequence(
        &mut self,
        e: InMemElement,
        depth: usize,
    ) -> Result<Option<InMemElement>, Rejection> {
        let (header, value) = e.into_parts();
        match value {
            // `depth` is where the sequence element is; the sequence's own depth is one more.
            Value::Sequence(_) if depth >= MAX_DEPTH => Err(Rejection::RuleFailed {
                detail: crate::limits::too_deep(),
            }),
            Value::Sequence(seq) => {
                let mut items = Vec::new();
                let t = header.tag;
                self.path
                    .push(((t.group() as u32) << 16) | t.element() as u32);
                for item in seq.into_items() {
                    items.push(self.dataset(item, false, depth + 1)?);
                }
                self.path.pop();
                Ok(Some(DataElement::new(
                    header.tag,
                    VR::SQ,
                    Value::from(DataSetSequence::new(items, Length::UNDEFINED)),
                )))
            }
            other => Ok(Some(DataElement::new(header.tag, header.vr, other))),
        }
    }

    fn is_seq(e: &InMemElement) -> bool {
        matches!(e.value(), Value::Sequence(_))
    }

    fn apply(
        &mut self,
        action: Action,
        e: InMemElement,
        depth: usize,
    ) -> Result<Option<InMemElement>, Rejection> {
        let t = e.tag();
        match action {
            Action::Remove => {
                self.stats.removed += 1;
                Ok(None)
            }
            Action::Empty => {
                self.stats.emptied += 1;
                if Self::is_seq(&e) {
                    Ok(Some(DataElement::new(
                        t,
                        VR::SQ,
                        Value::from(DataSetSequence::new(
                            Vec::<InMemDicomObject>::new(),
                            Length::UNDEFINED,
                        )),
                    )))
                } else {
                    Ok(Some(DataElement::empty(t, e.vr())))
                }
            }
            Action::Dummy => {
                if Self::is_seq(&e) {
                    return self.sequence(e, depth);
                }
                self.stats.dummied += 1;
                Ok(self.dummy(e))
            }
            Action::Keep => {
                if Self::is_seq(&e) {
                    return self.sequence(e, depth);
                }
                // Kept values are not trusted: an identifier of the input in one is cleaned.
                Ok(Some(self.scrub_kept(e)))
            }
            Action::Clean => self.clean(e, depth),
            Action::ReplaceUid => {
                if Self::is_seq(&e) {
                    return self.sequence(e, depth);
                }
                if e.vr() == VR::UI {
                    Ok(Some(self.map_uids(e)))
                } else {
                    self.stats.dummied += 1;
                    Ok(self.dummy(e))
                }
            }
        }
    }

    /// Standard attributes that Table E.1-1 does not list (kept by the Basic Profile), with
    /// dates handled by VR (E.1-1 Note 4) and UIDs remapped when they reference a remapped UID.
    fn not_listed(
        &mut self,
        e: InMemElement,
        depth: usize,
    ) -> Result<Option<InMemElement>, Rejection> {
        if Self::is_seq(&e) {
            return self.sequence(e, depth);
        }
        match e.vr() {
            VR::DA | VR::DT | VR::TM => Ok(self.date_by_policy(e)),
            VR::UI => Ok(Some(self.map_referenced_uids(e))),
            VR::PN => {
                self.stats.dummied += 1;
                Ok(self.dummy(e))
            }
            // Text that E.1-1 does not list (SR TextValue, a protocol name, a code meaning):
            // identifiers of the input found in it are blanked.
            _ => Ok(Some(self.scrub_kept(e))),
        }
    }

    /// A kept value of a text VR with the input's identifiers cleaned out of it; other VRs as
    /// they are.
    fn scrub_kept(&mut self, e: InMemElement) -> InMemElement {
        if SCRUBBED_VRS.contains(&e.vr()) {
            self.scrub_text(e)
        } else {
            e
        }
    }

    /// Kept private attributes and keep-list attributes: kept, but dates follow the date policy,
    /// UIDs the UID policy, free text is scrubbed and person names replaced.
    fn keep_with_identity_rules(
        &mut self,
        e: InMemElement,
        depth: usize,
    ) -> Result<Option<InMemElement>, Rejection> {
        if Self::is_seq(&e) {
            return self.sequence(e, depth);
        }
        let t = e.tag();
        match e.vr() {
            VR::DA | VR::DT | VR::TM => Ok(self.date_by_policy(e)),
            VR::UI => {
                let uid_row = self.ctx.profile.action(t).1 == Some(Action::ReplaceUid);
                if uid_row {
                    Ok(Some(self.map_uids(e)))
                } else {
                    Ok(Some(self.map_referenced_uids(e)))
                }
            }
            VR::PN if t != tags::PATIENT_NAME => {
                self.stats.dummied += 1;
                Ok(self.dummy(e))
            }
            vr if verify::is_binary(vr) => Ok(self.binary_carrier(e)),
            _ => Ok(Some(self.scrub_kept(e))),
        }
    }

    fn date_by_policy(&mut self, e: InMemElement) -> Option<InMemElement> {
        if self.ctx.full_dates() {
            return Some(e);
        }
        if self.ctx.shift_dates() {
            return self.shift(e);
        }
        self.stats.dummied += 1;
        self.dummy(e)
    }

    fn clean(&mut self, e: InMemElement, depth: usize) -> Result<Option<InMemElement>, Rejection> {
        if Self::is_seq(&e) {
            return self.sequence(e, depth);
        }
        let vr = e.vr();
        Ok(match vr {
            VR::DA | VR::DT | VR::TM => self.date_by_policy(e),
            VR::AS => {
                let t = e.tag();
                let v: Vec<String> = str_values(&e)
                    .iter()
                    .map(|a| dates::bin_age(a).unwrap_or_default())
                    .collect();
                self.stats.cleaned += 1;
                Some(DataElement::new(t, vr, strs(v)))
            }
            VR::PN => {
                self.stats.dummied += 1;
                self.dummy(e)
            }
            VR::UI => Some(self.map_uids(e)),
            VR::DS | VR::IS => Some(e),
            v if SCRUBBED_VRS.contains(&v) => Some(self.scrub_text(e)),
            _ => {
                // Binary values cannot be cleaned: removed.
                self.stats.removed += 1;
                None
            }
        })
    }

    fn shift(&mut self, e: InMemElement) -> Option<InMemElement> {
        let t = e.tag();
        let vr = e.vr();
        if vr == VR::TM {
            return Some(e);
        }
        let mut out = Vec::new();
        for v in str_values(&e) {
            let s = match vr {
                VR::DA => dates::shift_da(&v, self.shift_days),
                _ => dates::shift_dt(&v, self.shift_days),
            };
            match s {
                Some(s) => out.push(s),
                None => {
                    // Not a date we understand: replace rather than risk keeping it.
                    self.stats.dummied += 1;
                    return self.dummy(e);
                }
            }
        }
        self.stats.dates_shifted += 1;
        Some(DataElement::new(t, vr, strs(out)))
    }

    fn map_uids(&mut self, e: InMemElement) -> InMemElement {
        let t = e.tag();
        let v: Vec<String> = str_values(&e)
            .iter()
            .map(|u| self.ctx.keyed.map_uid(u))
            .collect();
        self.stats.uids_replaced += 1;
        DataElement::new(t, VR::UI, strs(v))
    }

    fn map_referenced_uids(&mut self, e: InMemElement) -> InMemElement {
        if self.ctx.config.profile.retain_uids {
            return e;
        }
        let vals = str_values(&e);
        if !vals.iter().any(|u| self.uid_set.contains(u.trim())) {
            return e;
        }
        let t = e.tag();
        let v: Vec<String> = vals
            .iter()
            .map(|u| {
                if self.uid_set.contains(u.trim()) {
                    self.ctx.keyed.map_uid(u)
                } else {
                    u.clone()
                }
            })
            .collect();
        self.stats.uids_replaced += 1;
        DataElement::new(t, VR::UI, strs(v))
    }

    /// A kept binary value (a safe private OB/OW element) that holds the input's IDs or names
    /// as text (UTF-8 or UTF-16) cannot be cleaned in place: removed.
    fn binary_carrier(&mut self, e: InMemElement) -> Option<InMemElement> {
        let holds = match e.value() {
            Value::Primitive(p) => self.scrub.binary_holds(&p.to_bytes()),
            _ => false,
        };
        if holds {
            self.stats.private_removed += 1;
            return None;
        }
        Some(e)
    }

    fn scrub_text(&mut self, e: InMemElement) -> InMemElement {
        let t = e.tag();
        let vr = e.vr();
        let vals = str_values(&e);
        let mut changed = false;
        let out: Vec<String> = vals
            .iter()
            .map(|v| {
                if self.scrub.kept_whole(t, vr, &self.charset.text(vr, v)) {
                    return v.clone();
                }
                let s = phi::search::scrub_value(&self.charset, vr, v, self.scrub);
                if &s != v {
                    changed = true;
                }
                s
            })
            .collect();
        if changed {
            self.stats.cleaned += 1;
            DataElement::new(t, vr, strs(out))
        } else {
            e
        }
    }

    fn dummy(&mut self, e: InMemElement) -> Option<InMemElement> {
        let t = e.tag();
        let vr = e.vr();
        let text = |s: &str| Some(DataElement::new(t, vr, PrimitiveValue::from(s)));
        match vr {
            VR::AE
            | VR::CS
            | VR::LO
            | VR::LT
            | VR::SH
            | VR::ST
            | VR::UT
            | VR::UC
            | VR::PN
            | VR::UR => text("DEIDENTIFIED"),
            VR::AS => text("000Y"),
            VR::DA => text("19000101"),
            VR::DT => text("19000101000000"),
            VR::TM => text("000000"),
            VR::DS | VR::IS => text("0"),
            VR::UI => Some(self.map_uids(e)),
            VR::US => Some(DataElement::new(t, vr, PrimitiveValue::from(0u16))),
            VR::SS => Some(DataElement::new(t, vr, PrimitiveValue::from(0i16))),
            VR::UL => Some(DataElement::new(t, vr, PrimitiveValue::from(0u32))),
            VR::SL => Some(DataElement::new(t, vr, PrimitiveValue::from(0i32))),
            VR::FL => Some(DataElement::new(t, vr, PrimitiveValue::from(0f32))),
            VR::FD => Some(DataElement::new(t, vr, PrimitiveValue::from(0f64))),
            VR::OB | VR::OW | VR::UN => Some(DataElement::new(
                t,
                vr,
                PrimitiveValue::U8([0u8, 0].into_iter().collect()),
            )),
            _ => Some(DataElement::empty(t, vr)),
        }
    }
}

/// Attributes a keep-list never removes (the file would not be a valid instance without them).
const ESSENTIAL: [Tag; 6] = [
    tags::SOP_CLASS_UID,
    tags::SOP_INSTANCE_UID,
    tags::STUDY_INSTANCE_UID,
    tags::SERIES_INSTANCE_UID,
    tags::SPECIFIC_CHARACTER_SET,
    tags::PIXEL_DATA,
];

/// Collects, at every depth, the original values of UIDs that action U replaces.
fn collect_uids(ctx: &Context, obj: &InMemDicomObject, out: &mut HashSet<String>) {
    crate::visit::visit(obj, &mut |_, e| {
        if e.vr() != VR::UI || !matches!(e.value(), Value::Primitive(_)) {
            return;
        }
        let a = ctx.profile.action(e.tag()).1;
        if matches!(
            a,
            Some(Action::ReplaceUid) | Some(Action::Dummy) | Some(Action::Clean)
        ) {
            for v in str_values(e) {
                let v = v.trim().to_string();
                if !v.is_empty() {
                    out.insert(v);
                }
            }
        }
    });
}

/// Patient module (PS3.3 C.7.1.1): for an animal patient (species given), Responsible Person
/// and Responsible Organization are Type 2C (one of them required; dciodvfy reads "present" as
/// "present with a value"), and Responsible Person Role is 1C (only with a Responsible Person
/// that has a value). Table E.1-1 removes both; when the input had either, both are written
/// back empty, and a role left without a person goes.
fn keep_responsible_party(out: &mut InMemDicomObject, (person, org): (bool, bool)) {
    let animal = out.get(tags::PATIENT_SPECIES_DESCRIPTION).is_some()
        || out.get(tags::PATIENT_SPECIES_CODE_SEQUENCE).is_some();
    if animal && (person || org) {
        for (tag, vr) in [
            (tags::RESPONSIBLE_PERSON, VR::PN),
            (tags::RESPONSIBLE_ORGANIZATION, VR::LO),
        ] {
            if out.get(tag).is_none() {
                out.put(DataElement::empty(tag, vr));
            }
        }
    }
    let person_value = out
        .get(tags::RESPONSIBLE_PERSON)
        .is_some_and(|e| str_values(e).iter().any(|v| !v.trim().is_empty()));
    if !person_value {
        out.remove_element(tags::RESPONSIBLE_PERSON_ROLE);
    }
}

fn put_str(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: &str) {
    obj.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
}

fn code_item(value: &str, meaning: &str) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(tags::CODE_VALUE, VR::SH, PrimitiveValue::from(value)),
        DataElement::new(
            tags::CODING_SCHEME_DESIGNATOR,
            VR::SH,
            PrimitiveValue::from("DCM"),
        ),
        DataElement::new(tags::CODE_MEANING, VR::LO, PrimitiveValue::from(meaning)),
    ])
}

/// Turns top-level OW values (Pixel Data, overlays) that dicom-rs read as 16-bit words back
/// into their bytes in the file's byte order: dicom-rs writes words one call at a time (a
/// quarter of the run time on native CT slices), bytes in one block. Same output bytes.
fn words_as_bytes(obj: &mut InMemDicomObject, big_endian: bool) {
    let ow: Vec<Tag> = obj
        .iter()
        .filter(|e| {
            e.vr() == VR::OW && matches!(e.value(), Value::Primitive(PrimitiveValue::U16(_)))
        })
        .map(|e| e.tag())
        .collect();
    for tag in ow {
        let Some(e) = obj.take_element(tag).ok() else {
            continue;
        };
        let (header, value) = e.into_parts();
        let bytes: Vec<u8> = match &value {
            Value::Primitive(PrimitiveValue::U16(w)) => {
                let mut b = vec![0u8; w.len() * 2];
                let pairs = b.chunks_exact_mut(2).zip(w.iter());
                if big_endian {
                    pairs.for_each(|(d, v)| d.copy_from_slice(&v.to_be_bytes()));
                } else {
                    pairs.for_each(|(d, v)| d.copy_from_slice(&v.to_le_bytes()));
                }
                b
            }
            _ => continue,
        };
        drop(value);
        obj.put(DataElement::new(
            header.tag,
            VR::OW,
            PrimitiveValue::U8(bytes.into()),
        ));
    }
}

/// An input parsed for rewriting, with the pixel decision taken.
struct Opened {
    dataset: InMemDicomObject,
    /// Where the input's Pixel Data element starts when it is carried over as bytes.
    tail: Option<usize>,
    ts: String,
    decision: pixel_clean::Decision,
    /// Media Storage SOP Instance and Class UIDs of the meta group.
    meta_sop: String,
    meta_class: String,
}

/// Parses the input and takes the pixel decision first (PS3.15 E.3.1): a file that cannot be
/// written is refused before anything else is done. The pixels are parsed too when they must
/// be decoded or may hold JPEG text segments.
fn open(ctx: &Context, bytes: &[u8]) -> Result<Opened, Rejection> {
    let read::Split {
        object: obj,
        tail,
        checked,
        ..
    } = read::parse_split(bytes)?;
    if read::is_dicomdir(&obj) {
        return Err(Rejection::Dicomdir);
    }
    if let Some(f) = ctx.recipe.as_ref().and_then(|r| r.filter(&obj)) {
        let detail = f.reason.clone();
        return Err(match f.then {
            crate::recipe::model::FilterAction::Hold => Rejection::RecipeHeld { detail },
            crate::recipe::model::FilterAction::Exclude => Rejection::RecipeExcluded { detail },
        });
    }
    let ts = trimmed(obj.meta().transfer_syntax());
    let decision = pixel_clean::decide(
        &pixels::gate::signature_of(&obj, &ts),
        &ctx.pixel_rules,
        ctx.config.unreviewed_pixels,
    );
    if let pixel_clean::Decision::Reject(r) = decision {
        return Err(r);
    }
    let needs_pixels = match &decision {
        pixel_clean::Decision::Clean { .. } | pixel_clean::Decision::Detect(_) => true,
        _ => tail
            .and_then(|t| bytes.get(t..))
            .is_some_and(|t| pixels::codestream::may_hold_text(&ts, t)),
    };
    let (obj, tail) = if needs_pixels && tail.is_some() {
        (checked.parse()?, None)
    } else {
        (obj, tail)
    };
    let meta_sop = trimmed(obj.meta().media_storage_sop_instance_uid());
    let meta_class = trimmed(obj.meta().media_storage_sop_class_uid());
    Ok(Opened {
        dataset: obj.into_inner(),
        tail,
        ts,
        decision,
        meta_sop,
        meta_class,
    })
}

fn trimmed(v: &str) -> String {
    v.unpadded().to_string()
}

/// The pixels: carried over byte for byte (a pass, or kept by a rule), or decoded and cleaned
/// as the decision says.
fn apply_pixels(
    ctx: &Context,
    dataset: &mut InMemDicomObject,
    ts: &str,
    tail: Option<usize>,
    decision: pixel_clean::Decision,
) -> Result<pixel_clean::Applied, Rejection> {
    if tail.is_none() {
        return pixel_clean::apply(dataset, ts, decision, ctx.config.unreviewed_pixels);
    }
    Ok(pixel_clean::Applied {
        note: Some(match decision {
            pixel_clean::Decision::Keep(n) => n,
            _ => pixel_clean::passed(),
        }),
        ..Default::default()
    })
}

/// The input's identifiers, for scrubbing and for the self-check, and the UIDs action U
/// replaces (the meta group's SOP Instance UID among them).
fn input_identifiers(
    ctx: &Context,
    identity: &NewIdentity,
    batch: &crate::phi::BatchIdentifiers,
    dataset: &InMemDicomObject,
    meta_sop: &str,
) -> (HashSet<String>, Identifiers) {
    let mut uid_set = HashSet::new();
    if !ctx.config.profile.retain_uids {
        collect_uids(ctx, dataset, &mut uid_set);
        if !meta_sop.is_empty() {
            uid_set.insert(meta_sop.to_string());
        }
    }
    let mut idents = Identifiers::collect_with_batch(ctx, dataset, &uid_set, batch);
    idents.forget(&[
        &identity.research_id,
        &identity.patient_name,
        &identity.accession,
    ]);
    (uid_set, idents)
}

/// Values of the input read before the walk consumes it.
struct Before {
    sop_class: String,
    modality: String,
    age: Option<String>,
    birth: Option<String>,
    /// Responsible Person / Organization present (the veterinary condition).
    responsible: (bool, bool),
}

impl Before {
    fn of(dataset: &InMemDicomObject, meta_class: String) -> Result<Self, Rejection> {
        // SOP Class: the data set's, else the meta group's (worklist items stored by dcmtk).
        let sop_class = string_of(dataset, tags::SOP_CLASS_UID).unwrap_or(meta_class);
        if sop_class.is_empty() {
            return Err(Rejection::RuleFailed {
                detail: "no SOP Class UID".into(),
            });
        }
        Ok(Before {
            sop_class,
            modality: string_of(dataset, tags::MODALITY).unwrap_or_default(),
            age: string_of(dataset, tags::PATIENT_AGE),
            birth: string_of(dataset, tags::PATIENT_BIRTH_DATE),
            responsible: (
                dataset.get(tags::RESPONSIBLE_PERSON).is_some(),
                dataset.get(tags::RESPONSIBLE_ORGANIZATION).is_some(),
            ),
        })
    }
}

/// De-identifies one file with the given identity, cleaning its free text of the batch's
/// identifiers as well as its own. The self-check is not done here: the caller runs
/// [`verify::self_check`] on the result's `evidence` (as the job's engine does).
pub fn rewrite_with_batch<'a>(
    ctx: &Context,
    identity: &NewIdentity,
    batch: &crate::phi::BatchIdentifiers,
    bytes: &'a [u8],
) -> Result<Rewritten<'a>, Rejection> {
    let Opened {
        mut dataset,
        tail,
        ts,
        decision,
        meta_sop,
        meta_class,
    } = open(ctx, bytes)?;
    let mut applied = apply_pixels(ctx, &mut dataset, &ts, tail, decision)?;
    let ts = applied.transfer_syntax.clone().unwrap_or(ts);
    let (uid_set, idents) = input_identifiers(ctx, identity, batch, &dataset, &meta_sop);
    let scrub_terms = idents.scrub_terms(ctx.shift_dates().then_some(identity.shift_days));
    let before = Before::of(&dataset, meta_class)?;

    let rules_on = ctx
        .recipe
        .as_ref()
        .map(|r| r.active(&dataset))
        .unwrap_or_default();
    let mut w = Walker {
        ctx,
        shift_days: identity.shift_days,
        uid_set: &uid_set,
        scrub: &scrub_terms,
        charset: Charset::of(&dataset),
        stats: Stats::default(),
        iod: FileIod::of(&before.sop_class, &dataset),
        path: Vec::new(),
        identity,
        rules_on,
        sources: BTreeMap::new(),
        decided: HashSet::new(),
        accepted_tags: HashSet::new(),
        accepted_values: Vec::new(),
        accepted_notes: Vec::new(),
        iod_notes: Vec::new(),
    };
    let mut out = w.dataset(dataset, true, 0)?;
    let Walker {
        stats,
        decided,
        accepted_tags,
        accepted_values,
        accepted_notes,
        iod_notes,
        ..
    } = w;
    keep_responsible_party(&mut out, before.responsible);
    leaving_decided(&mut out, &decided, |out| {
        put_identity(ctx, out, identity, &before);
        put_method(ctx, out, applied.cleaned);
        put_forced(ctx, out)
    })?;
    let mut idents = idents;
    idents.exempt.extend(accepted_tags);
    idents.accepted.extend(accepted_values);
    let note = with_recipe_notes(applied.note.take(), accepted_notes, iod_notes);

    let sop_instance_uid = sop_instance_uid_of(ctx, &out, &meta_sop)?;
    let study_instance_uid = string_of(&out, tags::STUDY_INSTANCE_UID).unwrap_or_default();
    let series_instance_uid = string_of(&out, tags::SERIES_INSTANCE_UID).unwrap_or_default();
    let pixel_tail = tail.and_then(|t| bytes.get(t..)).unwrap_or_default();
    let head = write_head(
        out,
        &before.sop_class,
        &sop_instance_uid,
        &ts,
        bytes.len() - pixel_tail.len(),
    )?;
    Ok(Rewritten {
        file: Output {
            head,
            tail: pixel_tail,
        },
        out_path: identity.out_path.clone(),
        sop_class: before.sop_class,
        sop_instance_uid,
        study_instance_uid,
        series_instance_uid,
        modality: before.modality,
        transfer_syntax: ts,
        stats,
        pixels: note,
        evidence: verify::Evidence {
            identifiers: idents,
            pixels: applied.check.take(),
            jpeg_segments_removed: applied.stripped,
        },
    })
}

/// The research identity: Patient ID, Patient's Name, Accession Number, birth date (removed or
/// its year), age (binned), the mapping's notes.
fn put_identity(
    ctx: &Context,
    out: &mut InMemDicomObject,
    identity: &NewIdentity,
    before: &Before,
) {
    put_str(out, tags::PATIENT_ID, VR::LO, &identity.research_id);
    put_str(out, tags::PATIENT_NAME, VR::PN, &identity.patient_name);
    let kept = |tag: Tag| ctx.keep_list.as_ref().is_none_or(|k| k.contains(&tag));
    if kept(tags::ACCESSION_NUMBER) {
        put_str(out, tags::ACCESSION_NUMBER, VR::SH, &identity.accession);
    }
    // The keep-list keeps StudyID, an identifier (often the accession number): it gets the
    // study's new accession, `<ID>_<N>`, as the accession does.
    if ctx
        .keep_list
        .as_ref()
        .is_some_and(|k| k.contains(&tags::STUDY_ID))
        && out.get(tags::STUDY_ID).is_some()
    {
        put_str(out, tags::STUDY_ID, VR::SH, &identity.accession);
    }
    match (
        ctx.config.birth_date,
        before.birth.as_deref().and_then(dates::date_part),
    ) {
        (BirthDateMode::KeepYear, Some(d)) => put_str(
            out,
            tags::PATIENT_BIRTH_DATE,
            VR::DA,
            &format!("{}0101", &d[..4]),
        ),
        _ => {
            if kept(tags::PATIENT_BIRTH_DATE) {
                out.put(DataElement::empty(tags::PATIENT_BIRTH_DATE, VR::DA));
            }
        }
    }
    if out.get(tags::PATIENT_AGE).is_some() {
        match before.age.as_deref().and_then(dates::bin_age) {
            Some(a) => put_str(out, tags::PATIENT_AGE, VR::AS, &a),
            None => {
                out.remove_element(tags::PATIENT_AGE);
            }
        }
    }
    if let Some(n) = &identity.notes {
        let text: String = format!("IMPORT_NOTES: {n}").chars().take(10240).collect();
        put_str(out, tags::PATIENT_COMMENTS, VR::LT, &text);
    }
}

/// PS3.15 E.1.1: Patient Identity Removed, De-identification Method and its code sequence (CID
/// 7050, one code per option), Longitudinal Temporal Information Modified; with cleaned pixels,
/// Burned In Annotation NO and the Clean Pixel Data Option.
fn put_method(ctx: &Context, out: &mut InMemDicomObject, cleaned: bool) {
    put_str(out, tags::PATIENT_IDENTITY_REMOVED, VR::CS, "YES");
    let enabled = ctx.config.profile.enabled();
    let mut method = vec![METHOD_NAME.to_string()];
    for o in &enabled {
        method.push(o.cid7050().1.chars().take(64).collect());
    }
    if cleaned {
        method.push("Clean Pixel Data Option".into());
    }
    out.put(DataElement::new(
        tags::DEIDENTIFICATION_METHOD,
        VR::LO,
        strs(method),
    ));
    let mut codes = vec![code_item(
        "113100",
        "Basic Application Confidentiality Profile",
    )];
    for o in &enabled {
        let (v, m) = o.cid7050();
        codes.push(code_item(v, m));
    }
    if cleaned {
        codes.push(code_item("113101", "Clean Pixel Data Option"));
        put_str(out, tags::BURNED_IN_ANNOTATION, VR::CS, "NO");
    }
    out.put(DataElement::new(
        tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE,
        VR::SQ,
        Value::from(DataSetSequence::new(codes, Length::UNDEFINED)),
    ));
    let profile = &ctx.config.profile;
    let longitudinal = if profile.has(ProfileOption::RetainLongModifiedDates) {
        "MODIFIED"
    } else if profile.has(ProfileOption::RetainLongFullDates) {
        "UNMODIFIED"
    } else {
        "REMOVED"
    };
    put_str(
        out,
        tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED,
        VR::CS,
        longitudinal,
    );
}

/// Runs `f` (the identity, the method, the forced values) and puts back what the recipe's
/// rules decided at the top level: the rules come first (README, precedence).
fn leaving_decided(
    out: &mut InMemDicomObject,
    decided: &HashSet<Tag>,
    f: impl FnOnce(&mut InMemDicomObject) -> Result<(), Rejection>,
) -> Result<(), Rejection> {
    let saved: Vec<(Tag, Option<InMemElement>)> =
        decided.iter().map(|t| (*t, out.get(*t).cloned())).collect();
    f(out)?;
    for (t, e) in saved {
        match e {
            Some(e) => {
                out.put(e);
            }
            None => {
                out.remove_element(t);
            }
        }
    }
    Ok(())
}

/// A log note of a written file: its pixels' note, what recipe rules kept at accepted risk, and
/// which rules' actions the file's IOD changed (its code the pixels', else the recipe's).
fn with_recipe_notes(
    pixels: Option<pixel_clean::PixelNote>,
    accepted: Vec<String>,
    iod: Vec<String>,
) -> Option<pixel_clean::PixelNote> {
    let code = if accepted.is_empty() {
        pixel_clean::PixelCode::RecipeWithinIod
    } else {
        pixel_clean::PixelCode::RecipeAcceptedRisk
    };
    let notes: Vec<String> = accepted.into_iter().chain(iod).collect();
    if notes.is_empty() {
        return pixels;
    }
    let text = notes.join("; ");
    Some(match pixels {
        Some(p) if !p.text.is_empty() => pixel_clean::PixelNote {
            code: p.code,
            text: format!("{}; {text}", p.text),
        },
        Some(p) => pixel_clean::PixelNote { code: p.code, text },
        None => pixel_clean::PixelNote { code, text },
    })
}

/// The configuration's forced values, last (string VRs only).
fn put_forced(ctx: &Context, out: &mut InMemDicomObject) -> Result<(), Rejection> {
    for (tag, vr, value) in &ctx.forced {
        let vr = out.get(*tag).map(|e| e.vr()).unwrap_or(*vr);
        if !is_string_vr(vr) {
            return Err(Rejection::RuleFailed {
                detail: format!("forced value for {tag} with binary VR {vr:?}"),
            });
        }
        put_str(out, *tag, vr, value);
    }
    Ok(())
}

/// The new SOP Instance UID: the data set's, else the meta group's (mapped like any UID).
fn sop_instance_uid_of(
    ctx: &Context,
    out: &InMemDicomObject,
    meta_sop: &str,
) -> Result<String, Rejection> {
    match string_of(out, tags::SOP_INSTANCE_UID) {
        Some(u) => Ok(u),
        None if !meta_sop.is_empty() => Ok(if ctx.config.profile.retain_uids {
            meta_sop.to_string()
        } else {
            ctx.keyed.map_uid(meta_sop)
        }),
        None => Err(Rejection::RuleFailed {
            detail: "no SOP Instance UID".into(),
        }),
    }
}

/// Writes the file (preamble, a new meta group, the data set) up to a pixel tail carried over.
fn write_head(
    mut out: InMemDicomObject,
    sop_class: &str,
    sop_instance_uid: &str,
    ts: &str,
    size_hint: usize,
) -> Result<Vec<u8>, Rejection> {
    let failed = |e: &dyn std::fmt::Display| Rejection::WriteFailed {
        detail: e.to_string(),
    };
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(sop_class)
        .media_storage_sop_instance_uid(sop_instance_uid)
        .transfer_syntax(ts)
        .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(IMPLEMENTATION_VERSION_NAME)
        .build()
        .map_err(|e| failed(&e))?;
    words_as_bytes(&mut out, ts == "1.2.840.10008.1.2.2");
    let file: Object = out.with_exact_meta(meta);
    let mut head = Vec::with_capacity(size_hint + 1024);
    file.write_all(&mut head).map_err(|e| failed(&e))?;
    // PS3.5 A.5: a deflated bit stream of odd length is padded with one null byte (the preamble
    // and the meta group are of even length, so the file's length is the stream's parity).
    if ts == DEFLATED_EXPLICIT_VR_LE && head.len() % 2 == 1 {
        head.push(0);
    }
    Ok(head)
}

/// Deflated Explicit VR Little Endian, the one transfer syntax whose data set is a deflate stream.
const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";
