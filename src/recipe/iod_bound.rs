//! What a rule's removal or emptying becomes in the file's IOD: the one decision the walk
//! applies and `--explain`, the page's "why" and the audit put in words. A Type 2 attribute a
//! rule removes is emptied instead; a Type 1 attribute a rule removes or empties is left to the
//! profile, which never keeps more than the recipe's baseline. Other actions, and attributes of
//! unknown Type, stand as written.

use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;

use super::model::Action;
use crate::profile::iod::{required_in_every_composite_iod, IodType, IodTypes, Placement};
use crate::profile::{Action as ProfileAction, Profile};

/// What the engine knows of a file's IOD: its Types by SOP class (if the table has it) and the
/// attributes its Frame Increment Pointer names.
#[derive(Debug, Clone, Default)]
pub struct FileIod {
    /// The PS3.3 Types of the file's SOP class.
    pub types: Option<IodTypes>,
    /// The tags Frame Increment Pointer (0028,0009) names.
    pub frame_pointers: Vec<Tag>,
}

impl FileIod {
    /// The IOD of the data set `obj` of SOP class `sop_class` (the data set's SOP Class UID,
    /// else the file meta's).
    pub fn of(sop_class: &str, obj: &InMemDicomObject) -> FileIod {
        FileIod {
            types: IodTypes::for_sop_class(sop_class),
            frame_pointers: frame_pointers(obj),
        }
    }

    /// The Type of the attribute at `path` (tags from the top level as `(group << 16) |
    /// element`, the attribute's own last), as far as the engine knows it: the file's IOD (PS3.3:
    /// every top-level attribute of Type 1 or 2, conditional or not, and Table E.1-1's
    /// compound-code attributes at every path), else Table E.1-1's own codes (Z for a Type 2
    /// attribute, D and U for a Type 1) at every depth, else, at the top level, the attributes
    /// every composite IOD requires (a SOP class the table lacks), the attributes Frame
    /// Increment Pointer names, and the attributes pixel data is read by ([`READS_PIXEL_DATA`]).
    pub fn required_type(&self, profile: &Profile, path: &[u32]) -> Option<IodType> {
        let (&last, above) = path.split_last()?;
        let t = Tag((last >> 16) as u16, last as u16);
        if let Some(Placement::Typed(ty)) = self.types.as_ref().map(|i| i.placement(path)) {
            return Some(ty);
        }
        match profile.action(t).1 {
            Some(ProfileAction::Empty) => return Some(IodType::T2),
            Some(ProfileAction::Dummy | ProfileAction::ReplaceUid) => return Some(IodType::T1),
            _ => {}
        }
        if !above.is_empty() {
            None
        } else if let Some(ty) = required_in_every_composite_iod(last) {
            Some(ty)
        } else if self.frame_pointers.contains(&t) || READS_PIXEL_DATA.contains(&t) {
            Some(IodType::T1C)
        } else {
            None
        }
    }

    /// What the rule's `action` becomes for the attribute at `path` (see the module's words).
    pub fn bound(&self, profile: &Profile, action: &Action, path: &[u32]) -> Bounded {
        let private = path.last().is_some_and(|p| (p >> 16) % 2 == 1);
        if !matches!(action, Action::Remove | Action::Empty) || private {
            return Bounded::AsWritten;
        }
        match (self.required_type(profile, path), action) {
            (Some(IodType::T1 | IodType::T1C), _) => Bounded::ToProfile,
            (Some(IodType::T2 | IodType::T2C), Action::Remove) => Bounded::Emptied,
            _ => Bounded::AsWritten,
        }
    }
}

/// The attributes a reader needs to find the frames in pixel data (PS3.3 C.7.6.3, and Number
/// of Frames, which a file may carry though its IOD has no Multi-frame module): at the top
/// level a rule's removal of one of them is bounded as a Type 1 attribute's, whatever the
/// file's IOD says, because the pixel data could no longer be read without it.
pub const READS_PIXEL_DATA: [Tag; 10] = [
    tags::SAMPLES_PER_PIXEL,
    tags::PHOTOMETRIC_INTERPRETATION,
    tags::ROWS,
    tags::COLUMNS,
    tags::BITS_ALLOCATED,
    tags::BITS_STORED,
    tags::HIGH_BIT,
    tags::PIXEL_REPRESENTATION,
    tags::PLANAR_CONFIGURATION,
    tags::NUMBER_OF_FRAMES,
];

/// What a rule's action becomes in the file's IOD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounded {
    /// The action as the rule writes it.
    AsWritten,
    /// A removal of a Type 2 attribute: emptied instead.
    Emptied,
    /// A removal or emptying of a Type 1 attribute: the profile decides.
    ToProfile,
}

impl Bounded {
    /// The action the run applies: `None` when the profile decides.
    pub fn applied(self, written: &Action) -> Option<Action> {
        match self {
            Bounded::AsWritten => Some(written.clone()),
            Bounded::Emptied => Some(Action::Empty),
            Bounded::ToProfile => None,
        }
    }

    /// Words for what happens beyond the written action (`None` when it stands as written).
    pub fn words(self) -> Option<&'static str> {
        match self {
            Bounded::AsWritten => None,
            Bounded::Emptied => Some("emptied: Type 2 in this IOD"),
            Bounded::ToProfile => Some("left to the profile: Type 1 in this IOD"),
        }
    }
}

/// The tags Frame Increment Pointer (0028,0009) names in a data set.
pub fn frame_pointers(dataset: &InMemDicomObject) -> Vec<Tag> {
    match dataset
        .get(tags::FRAME_INCREMENT_POINTER)
        .map(|e| e.value())
    {
        Some(Value::Primitive(PrimitiveValue::Tags(ts))) => ts.to_vec(),
        _ => Vec::new(),
    }
}
