//! What the audit reads of one file: its headers only (up to Pixel Data), the attributes present
//! at the top level and in the items of sequences, the private creators and their elements, and
//! the values of the quasi-identifiers (PHI: kept in memory and in the detail CSV only).

use std::collections::{BTreeMap, BTreeSet};

use dicom_core::header::Header as _;
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::Rejection;
use crate::padding::string_of;
use crate::padding::Unpadded as _;
use crate::read;
use crate::recipe::explain::{nested_rule_decisions, rule_decisions, RuleDecision};

/// A public attribute inside items of sequences: the sequences above it (outermost first, each
/// `(group, element)`) and its own tag.
pub type NestedTag = (Vec<(u16, u16)>, (u16, u16));

/// The audit's view of one file's headers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditHeader {
    /// Transfer syntax UID.
    pub transfer_syntax: String,
    /// Top-level public attributes present (group, element).
    pub tags: Vec<(u16, u16)>,
    /// Public attributes inside the items of public sequences, at any depth: the sequences
    /// they are in (outermost first) and their own tag. A tag alone, no value.
    #[serde(default)]
    pub nested: BTreeSet<NestedTag>,
    /// Private creators at the top level: (group, creator) → elements of that block (as a list
    /// of pairs in JSON, whose map keys are text).
    #[serde(with = "pairs")]
    pub creators: BTreeMap<(u16, String), u64>,
    /// Values of the candidate quasi-identifiers present, by keyword.
    pub quasi: BTreeMap<String, String>,
    /// Top-level public attributes a recipe rule decides in this file (read with a recipe):
    /// the rule's decision as `--explain` gives it.
    #[serde(default, with = "pairs")]
    pub ruled: BTreeMap<(u16, u16), RuleDecision>,
    /// Attributes of [`AuditHeader::nested`] a recipe rule decides in this file (read with a
    /// recipe): the rule's decision at that path, as `--explain` words it.
    #[serde(default, with = "pairs")]
    pub nested_ruled: BTreeMap<NestedTag, RuleDecision>,
}

/// A map as a list of `[key, value]` pairs (for keys that are not text).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        m: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        Vec::<(K, V)>::deserialize(d).map(|v| v.into_iter().collect())
    }
}

/// Candidate quasi-identifiers: attributes that describe a person or where and how they were
/// imaged, which a linking attack can use when the options keep them.
pub const QUASI_IDENTIFIERS: [(&str, Tag); 13] = [
    ("PatientSex", tags::PATIENT_SEX),
    ("PatientAge", tags::PATIENT_AGE),
    ("PatientSize", tags::PATIENT_SIZE),
    ("PatientWeight", tags::PATIENT_WEIGHT),
    ("EthnicGroup", Tag(0x0010, 0x2160)),
    ("PatientBirthDate", tags::PATIENT_BIRTH_DATE),
    ("SmokingStatus", tags::SMOKING_STATUS),
    ("PregnancyStatus", tags::PREGNANCY_STATUS),
    ("Manufacturer", tags::MANUFACTURER),
    ("ManufacturerModelName", tags::MANUFACTURER_MODEL_NAME),
    ("StationName", tags::STATION_NAME),
    ("DeviceSerialNumber", tags::DEVICE_SERIAL_NUMBER),
    ("InstitutionName", tags::INSTITUTION_NAME),
];

/// Reads the headers of a file (up to Pixel Data), after the structural check of the whole file
/// that the rewrite makes (a file whose Pixel Data is cut short is rejected by both); with the
/// job's context, also which attributes its recipe's rules decide.
pub fn read(bytes: &[u8], ctx: Option<&Context>) -> Result<AuditHeader, Rejection> {
    crate::structure::walk(bytes, crate::framing::detect(bytes)?, false)?;
    let (obj, _) = read::parse_until(bytes, tags::PIXEL_DATA)?;
    let mut h = AuditHeader {
        transfer_syntax: obj.meta().transfer_syntax().unpadded().to_string(),
        ..AuditHeader::default()
    };
    let mut creator_of: BTreeMap<(u16, u8), String> = BTreeMap::new();
    for e in obj.iter() {
        let t = e.tag();
        if t.group() % 2 == 0 {
            h.tags.push((t.group(), t.element()));
        } else if (0x0010..=0x00FF).contains(&t.element()) {
            let name = e.to_str().map(|s| s.trim().to_string()).unwrap_or_default();
            creator_of.insert((t.group(), t.element() as u8), name.clone());
            h.creators.entry((t.group(), name)).or_insert(0);
        } else if t.element() >= 0x1000 {
            let block = (t.group(), (t.element() >> 8) as u8);
            let name = creator_of.get(&block).cloned().unwrap_or_default();
            *h.creators.entry((t.group(), name)).or_insert(0) += 1;
        }
    }
    h.nested = nested_tags(&obj);
    if let Some(ctx) = ctx {
        h.ruled = rule_decisions(ctx, &obj)
            .into_iter()
            .map(|(t, d)| (pair(t), d))
            .collect();
        h.nested_ruled = nested_rule_decisions(ctx, &obj)
            .into_iter()
            .map(|((above, t), d)| ((above.into_iter().map(pair).collect(), pair(t)), d))
            .collect();
    }
    for (keyword, tag) in QUASI_IDENTIFIERS {
        if let Some(v) = string_of(&obj, tag).filter(|v| !v.is_empty()) {
            h.quasi.insert(keyword.to_string(), v);
        }
    }
    Ok(h)
}

fn pair(t: Tag) -> (u16, u16) {
    (t.group(), t.element())
}

/// The public attributes inside items of public sequences (the walk's depth limit applies),
/// with the sequences above each; group lengths aside, as the rewrite drops them.
fn nested_tags(obj: &dicom_object::mem::InMemDicomObject) -> BTreeSet<NestedTag> {
    let mut out = BTreeSet::new();
    crate::visit::visit(obj, &mut |at, e| {
        let t = e.tag();
        let public = |t: Tag| t.group() % 2 == 0;
        if at.depth() == 0 || !public(t) || t.element() == 0 {
            return;
        }
        if at.path.iter().all(|(s, _)| public(*s)) {
            let above = at.path.iter().map(|(s, _)| (s.group(), s.element()));
            out.insert((above.collect(), (t.group(), t.element())));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::AuditHeader;

    #[test]
    fn a_header_read_goes_through_json_and_back_unchanged() {
        let mut h = AuditHeader {
            transfer_syntax: "1.2.840.10008.1.2.1".into(),
            tags: vec![(0x0010, 0x0010)],
            ..AuditHeader::default()
        };
        h.creators.insert((0x0029, "SIEMENS CSA HEADER".into()), 3);
        h.nested.insert((vec![(0x0040, 0x0275)], (0x0008, 0x0050)));
        h.quasi.insert("PatientSex".into(), "F".into());
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<AuditHeader>(&text).unwrap(), h);
    }
}
