//! PS3.15 Annex E: the Attribute Confidentiality Profile (Table E.1-1, 2026c) and its options,
//! turned into one [`Action`] per attribute.
//!
//! Compound codes are resolved by the attribute's Type in the IOD of the file's SOP class
//! ([`iod`], [`Code::for_placement`]): Type 3 → X, Type 2 (and 2C, the attribute being present)
//! → Z, Type 1 (and 1C) → D. Where the Type is not known (a SOP class the table does not hold, a
//! path inside a sequence it does not list) they are resolved conservatively, so that nothing
//! identifying survives and the attribute stays present where an IOD may require it
//! ([`Code::resolve`]): `X/Z` → Z, `X/D`, `Z/D`, `X/Z/D` → D, `X/Z/U*` → U (keep the sequence,
//! replace the UIDs inside). When several enabled options name the same attribute, C (clean) wins
//! over K (keep).

pub mod iod;
pub mod table;

use std::collections::HashMap;

use dicom_core::Tag;
use serde::{Deserialize, Serialize};

use iod::{IodType, Placement};
use table::{ProfileRow, PROFILE_ROWS, SAFE_PRIVATE_ROWS};

/// An action code of Table E.1-1a.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Code {
    /// Replace with a non-zero length dummy value.
    D,
    /// Replace with a zero length value.
    Z,
    /// Remove.
    X,
    /// Keep (sequences: keep, and apply the profile inside).
    K,
    /// Clean: replace with values of similar meaning that carry no identifying information.
    C,
    /// Replace the UID with a consistent new one.
    U,
    /// X unless Type 2 (then Z).
    XZ,
    /// X unless Type 1 (then D).
    XD,
    /// X, Z or D by type.
    XZD,
    /// Z unless Type 1 (then D).
    ZD,
    /// X, Z, or keep the sequence with its UIDs replaced.
    XZU,
}

impl Code {
    /// Parses a code as written in E.1-1 (`"X/Z/U*"` etc.).
    pub fn parse(s: &str) -> Option<Code> {
        Some(match s.trim() {
            "D" => Code::D,
            "Z" => Code::Z,
            "X" => Code::X,
            "K" => Code::K,
            "C" => Code::C,
            "U" => Code::U,
            "X/Z" => Code::XZ,
            "X/D" => Code::XD,
            "X/Z/D" => Code::XZD,
            "Z/D" => Code::ZD,
            "X/Z/U*" => Code::XZU,
            _ => return None,
        })
    }

    /// The single action this code is carried out as (see the module documentation).
    pub fn resolve(self) -> Action {
        match self {
            Code::D | Code::XD | Code::XZD | Code::ZD => Action::Dummy,
            Code::Z | Code::XZ => Action::Empty,
            Code::X => Action::Remove,
            Code::K => Action::Keep,
            Code::C => Action::Clean,
            Code::U | Code::XZU => Action::ReplaceUid,
        }
    }

    /// Whether this is a compound code (a choice by the attribute's Type).
    pub fn is_compound(self) -> bool {
        matches!(self, Code::XZ | Code::XD | Code::XZD | Code::ZD | Code::XZU)
    }

    /// The action for an attribute placed so in its file's IOD: Type 3 (or not part of the
    /// IOD) → removed; Type 2/2C → empty (X/D, which has no Z: a dummy); Type 1/1C → a dummy
    /// (X/Z/U*: the sequence kept with its UIDs replaced). Conditional Types count as required:
    /// the attribute is present, so its condition is taken to hold. Unknown placement, and
    /// codes that are not compound: [`Code::resolve`].
    pub fn for_placement(self, placement: Placement) -> Action {
        let ty = match placement {
            _ if !self.is_compound() => return self.resolve(),
            Placement::Unknown => return self.resolve(),
            Placement::NotInIod => IodType::T3,
            Placement::Typed(t) => t,
        };
        match (ty, self) {
            (IodType::T3, _) => Action::Remove,
            (IodType::T2 | IodType::T2C, Code::XD) => Action::Dummy,
            (IodType::T2 | IodType::T2C, _) => Action::Empty,
            (IodType::T1 | IodType::T1C, Code::XZU) => Action::ReplaceUid,
            (IodType::T1 | IodType::T1C, _) => Action::Dummy,
        }
    }
}

/// What is done to one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    /// D: a dummy value valid for the VR.
    Dummy,
    /// Z: zero length (a sequence keeps no items).
    Empty,
    /// X: removed.
    Remove,
    /// K: kept (sequences: profile applied inside).
    Keep,
    /// C: cleaned (dates shifted, text scrubbed, sequences cleaned inside; binary removed).
    Clean,
    /// U: UIDs replaced by the keyed mapping.
    ReplaceUid,
}

/// The ten options of Table E.1-1 (PS3.15 E.3), in column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileOption {
    /// Retain Safe Private Option (E.3.10).
    RetainSafePrivate,
    /// Retain UIDs Option (E.3.9).
    RetainUids,
    /// Retain Device Identity Option (E.3.8).
    RetainDeviceIdentity,
    /// Retain Institution Identity Option (E.3.12).
    RetainInstitutionIdentity,
    /// Retain Patient Characteristics Option (E.3.7).
    RetainPatientCharacteristics,
    /// Retain Longitudinal Temporal Information With Full Dates Option (E.3.6).
    RetainLongFullDates,
    /// Retain Longitudinal Temporal Information With Modified Dates Option (E.3.6).
    RetainLongModifiedDates,
    /// Clean Descriptors Option (E.3.5).
    CleanDescriptors,
    /// Clean Structured Content Option (E.3.4).
    CleanStructuredContent,
    /// Clean Graphics Option (E.3.3).
    CleanGraphics,
}

impl ProfileOption {
    /// All options in the column order of Table E.1-1.
    pub const ALL: [ProfileOption; 10] = [
        ProfileOption::RetainSafePrivate,
        ProfileOption::RetainUids,
        ProfileOption::RetainDeviceIdentity,
        ProfileOption::RetainInstitutionIdentity,
        ProfileOption::RetainPatientCharacteristics,
        ProfileOption::RetainLongFullDates,
        ProfileOption::RetainLongModifiedDates,
        ProfileOption::CleanDescriptors,
        ProfileOption::CleanStructuredContent,
        ProfileOption::CleanGraphics,
    ];

    /// The CID 7050 (De-identification Method) code of this option: (code value, meaning).
    pub fn cid7050(self) -> (&'static str, &'static str) {
        match self {
            ProfileOption::RetainSafePrivate => ("113111", "Retain Safe Private Option"),
            ProfileOption::RetainUids => ("113110", "Retain UIDs Option"),
            ProfileOption::RetainDeviceIdentity => ("113109", "Retain Device Identity Option"),
            ProfileOption::RetainInstitutionIdentity => {
                ("113112", "Retain Institution Identity Option")
            }
            ProfileOption::RetainPatientCharacteristics => {
                ("113108", "Retain Patient Characteristics Option")
            }
            ProfileOption::RetainLongFullDates => (
                "113106",
                "Retain Longitudinal Temporal Information Full Dates Option",
            ),
            ProfileOption::RetainLongModifiedDates => (
                "113107",
                "Retain Longitudinal Temporal Information Modified Dates Option",
            ),
            ProfileOption::CleanDescriptors => ("113105", "Clean Descriptors Option"),
            ProfileOption::CleanStructuredContent => ("113104", "Clean Structured Content Option"),
            ProfileOption::CleanGraphics => ("113103", "Clean Graphics Option"),
        }
    }

    /// Column index in Table E.1-1's option columns.
    pub fn column(self) -> usize {
        ProfileOption::ALL
            .iter()
            .position(|o| *o == self)
            .unwrap_or(0)
    }
}

/// The set of enabled options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileOptions {
    /// Retain Safe Private.
    pub retain_safe_private: bool,
    /// Retain UIDs.
    pub retain_uids: bool,
    /// Retain Device Identity.
    pub retain_device_identity: bool,
    /// Retain Institution Identity.
    pub retain_institution_identity: bool,
    /// Retain Patient Characteristics.
    pub retain_patient_characteristics: bool,
    /// Retain Longitudinal Temporal Information with Full Dates.
    pub retain_long_full_dates: bool,
    /// Retain Longitudinal Temporal Information with Modified Dates (per-patient shift).
    pub retain_long_modified_dates: bool,
    /// Clean Descriptors.
    pub clean_descriptors: bool,
    /// Clean Structured Content.
    pub clean_structured_content: bool,
    /// Clean Graphics.
    pub clean_graphics: bool,
}

impl ProfileOptions {
    /// Whether `opt` is enabled.
    pub fn has(&self, opt: ProfileOption) -> bool {
        match opt {
            ProfileOption::RetainSafePrivate => self.retain_safe_private,
            ProfileOption::RetainUids => self.retain_uids,
            ProfileOption::RetainDeviceIdentity => self.retain_device_identity,
            ProfileOption::RetainInstitutionIdentity => self.retain_institution_identity,
            ProfileOption::RetainPatientCharacteristics => self.retain_patient_characteristics,
            ProfileOption::RetainLongFullDates => self.retain_long_full_dates,
            ProfileOption::RetainLongModifiedDates => self.retain_long_modified_dates,
            ProfileOption::CleanDescriptors => self.clean_descriptors,
            ProfileOption::CleanStructuredContent => self.clean_structured_content,
            ProfileOption::CleanGraphics => self.clean_graphics,
        }
    }

    /// Enables or disables `opt`.
    pub fn set(&mut self, opt: ProfileOption, on: bool) {
        let f = match opt {
            ProfileOption::RetainSafePrivate => &mut self.retain_safe_private,
            ProfileOption::RetainUids => &mut self.retain_uids,
            ProfileOption::RetainDeviceIdentity => &mut self.retain_device_identity,
            ProfileOption::RetainInstitutionIdentity => &mut self.retain_institution_identity,
            ProfileOption::RetainPatientCharacteristics => &mut self.retain_patient_characteristics,
            ProfileOption::RetainLongFullDates => &mut self.retain_long_full_dates,
            ProfileOption::RetainLongModifiedDates => &mut self.retain_long_modified_dates,
            ProfileOption::CleanDescriptors => &mut self.clean_descriptors,
            ProfileOption::CleanStructuredContent => &mut self.clean_structured_content,
            ProfileOption::CleanGraphics => &mut self.clean_graphics,
        };
        *f = on;
    }

    /// The enabled options, in column order.
    pub fn enabled(&self) -> Vec<ProfileOption> {
        ProfileOption::ALL
            .iter()
            .copied()
            .filter(|o| self.has(*o))
            .collect()
    }
}

/// Which group rule of E.1-1 a tag falls under, when it has no row of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A row of its own (index into [`PROFILE_ROWS`]).
    Row(usize),
    /// Not in E.1-1: a standard attribute, kept by the Basic Profile.
    NotListed,
}

/// Table E.1-1 resolved for one set of options: tag → action.
#[derive(Debug, Clone)]
pub struct Profile {
    options: ProfileOptions,
    by_tag: HashMap<u32, (usize, Action)>,
    curve: (usize, Action),
    overlay_data: (usize, Action),
    overlay_comments: (usize, Action),
    private: (usize, Action),
    safe_private: HashMap<(String, u16, u8), ()>,
    /// Tags whose code under these options is compound (resolved per file by IOD Type).
    compound: HashMap<u32, Code>,
}

/// Errors in the profile options.
#[derive(Debug, snafu::Snafu)]
pub enum ProfileError {
    /// Full and modified dates cannot both be retained.
    #[snafu(display(
        "the Retain Longitudinal Full Dates and Modified Dates options cannot be combined"
    ))]
    ConflictingDateOptions,
    /// A code in the table could not be parsed (a bug in the data).
    #[snafu(display("unknown action code {code:?} for {tag} in Table E.1-1"))]
    BadCode {
        /// the code
        code: String,
        /// the row's tag
        tag: String,
    },
}

fn parse_tag(s: &str) -> Option<u32> {
    let (g, e) = s.split_once(',')?;
    let g = u16::from_str_radix(g, 16).ok()?;
    let e = u16::from_str_radix(e, 16).ok()?;
    Some(((g as u32) << 16) | e as u32)
}

impl Profile {
    /// Builds the action table for these options.
    pub fn new(options: &ProfileOptions) -> Result<Profile, ProfileError> {
        if options.retain_long_full_dates && options.retain_long_modified_dates {
            return Err(ProfileError::ConflictingDateOptions);
        }
        let mut by_tag = HashMap::with_capacity(PROFILE_ROWS.len());
        let mut curve = (0, Action::Remove);
        let mut overlay_data = (0, Action::Remove);
        let mut overlay_comments = (0, Action::Remove);
        let mut private = (0, Action::Remove);
        let mut compound = HashMap::new();
        for (i, row) in PROFILE_ROWS.iter().enumerate() {
            let code = Self::row_code(row, options)?;
            let action = code.resolve();
            match row.tag {
                "50xx,xxxx" => curve = (i, action),
                "60xx,3000" => overlay_data = (i, action),
                "60xx,4000" => overlay_comments = (i, action),
                "gggg,eeee" => private = (i, action),
                t => {
                    let tag = parse_tag(t).ok_or_else(|| ProfileError::BadCode {
                        code: String::new(),
                        tag: t.to_string(),
                    })?;
                    by_tag.insert(tag, (i, action));
                    if code.is_compound() {
                        compound.insert(tag, code);
                    }
                }
            }
        }
        let mut safe_private = HashMap::new();
        for (tag, creator, _vr) in SAFE_PRIVATE_ROWS {
            if let Some((g, e)) = tag.split_once(',') {
                if let (Ok(g), Ok(lo)) =
                    (u16::from_str_radix(g, 16), u8::from_str_radix(&e[2..], 16))
                {
                    safe_private.insert((creator.trim().to_string(), g, lo), ());
                }
            }
        }
        Ok(Profile {
            options: options.clone(),
            by_tag,
            curve,
            overlay_data,
            overlay_comments,
            private,
            safe_private,
            compound,
        })
    }

    /// The action of one row under `options`: the Basic Profile code, overridden by the enabled
    /// options' codes (C wins over K when several apply).
    /// Compound codes resolved conservatively ([`Code::resolve`]).
    pub fn row_action(row: &ProfileRow, options: &ProfileOptions) -> Result<Action, ProfileError> {
        Ok(Self::row_code(row, options)?.resolve())
    }

    /// The code of one row under `options`: the Basic Profile code, overridden by the enabled
    /// options' codes (C wins over K when several apply).
    pub fn row_code(row: &ProfileRow, options: &ProfileOptions) -> Result<Code, ProfileError> {
        let bad = |code: &str| ProfileError::BadCode {
            code: code.to_string(),
            tag: row.tag.to_string(),
        };
        let mut code = Code::parse(row.basic).ok_or_else(|| bad(row.basic))?;
        let mut overridden: Option<Code> = None;
        for opt in ProfileOption::ALL {
            let cell = row.options[opt.column()];
            if cell.is_empty() || !options.has(opt) {
                continue;
            }
            let c = Code::parse(cell).ok_or_else(|| bad(cell))?;
            overridden = Some(match (overridden, c) {
                (Some(Code::C), _) | (_, Code::C) => Code::C,
                (_, c) => c,
            });
        }
        if let Some(c) = overridden {
            code = c;
        }
        Ok(code)
    }

    /// The compound code of a public tag under these options, if its row has one.
    pub fn compound(&self, tag: Tag) -> Option<Code> {
        let key = ((tag.group() as u32) << 16) | tag.element() as u32;
        self.compound.get(&key).copied()
    }

    /// The options this profile was built with.
    pub fn options(&self) -> &ProfileOptions {
        &self.options
    }

    /// The action for a public (even-group) or group-rule tag, and the E.1-1 row it comes from.
    /// Private tags are handled by [`Profile::private_action`].
    pub fn action(&self, tag: Tag) -> (Option<&'static ProfileRow>, Option<Action>) {
        let key = ((tag.group() as u32) << 16) | tag.element() as u32;
        if let Some((i, a)) = self.by_tag.get(&key) {
            return (Some(&PROFILE_ROWS[*i]), Some(*a));
        }
        let g = tag.group();
        if (0x5000..=0x501E).contains(&g) && g % 2 == 0 {
            return (Some(&PROFILE_ROWS[self.curve.0]), Some(self.curve.1));
        }
        if (0x6000..=0x601E).contains(&g) && g % 2 == 0 {
            match tag.element() {
                0x3000 => {
                    return (
                        Some(&PROFILE_ROWS[self.overlay_data.0]),
                        Some(self.overlay_data.1),
                    )
                }
                0x4000 => {
                    return (
                        Some(&PROFILE_ROWS[self.overlay_comments.0]),
                        Some(self.overlay_comments.1),
                    )
                }
                _ => {}
            }
        }
        (None, None)
    }

    /// Whether a private data element (odd group, element ≥ 0x1000) with the given private
    /// creator is kept: only under Retain Safe Private and only if listed in Table E.3.10-1.
    pub fn private_kept(&self, creator: Option<&str>, tag: Tag) -> bool {
        if self.private.1 == Action::Remove {
            return false;
        }
        let Some(creator) = creator else { return false };
        let lo = (tag.element() & 0xFF) as u8;
        self.safe_private
            .contains_key(&(creator.trim().to_string(), tag.group(), lo))
    }

    /// The action of the E.1-1 "Private Attributes" row under the current options.
    pub fn private_row_action(&self) -> Action {
        self.private.1
    }
}
