//! The recipe language: one serde model read from TOML or JSON (and produced by the importers
//! of other tools' scripts). A recipe is a list of rules (selector, optional condition, action),
//! file filters (hold or exclude a file), parameters, lookup tables and its own UID root; the
//! engine applies the first rule that matches an element, and the profile under it to the rest.
//!
//! ```toml
//! name = "CT study, Siemens"
//! base = "research"                       # the preset underneath (profile options, identity)
//! uid_root = "{UIDROOT}"
//!
//! [params.UIDROOT]
//! description = "the project's registered UID root"
//! [params.DATEINC]
//! description = "days added to every date"
//! default = "-30"
//!
//! [[filters]]
//! when = { contains = { attr = "ImageType", value = "SCREEN SAVE" } }
//! then = "exclude"
//! reason = "screen captures may show PHI"
//!
//! [[rules]]
//! select = "(0029,\"SIEMENS CSA HEADER\",10)"
//! action = "keep"
//!
//! [[rules]]
//! select = "InstitutionName"
//! when = { equals = { attr = "Modality", value = "CT" } }
//! action = { replace = "Site {PROJECT}" }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::selector::Selector;

/// A de-identification recipe.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Recipe {
    /// A name for the log and the plan (informational).
    pub name: String,
    /// One line saying what the recipe is for (the presets' menu and `recipe show`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The preset underneath the rules (`basic`, `research`, `keep-list`: a preset recipe,
    /// [`super::presets`]): its settings, then this recipe's; this recipe's rules, then its.
    /// `None`: the job's preset (the CLI's `--preset`, a config's `preset`).
    pub base: Option<String>,
    /// The job's settings this recipe gives (what a preset sets): the keys and meaning of a
    /// `--config` file (`profile`, `patient_name`, `birth_date`, `keep_list`, `forced`, …;
    /// [`crate::config::Config`] reads and checks them, [`SETTINGS_KEYS`] lists those a
    /// recipe may set). Applied over the base preset's; a `--config` file's keys
    /// win over both.
    #[serde(skip_serializing_if = "Settings::is_empty")]
    pub settings: Settings,
    /// The recipe's own UID root, used instead of `2.25.` by [`Action::Uid`] and the profile's
    /// UID replacement; may be a placeholder (`"{UIDROOT}"`). Checked against PS3.5 9.1 after
    /// the parameters are filled in (digits and dots, no leading zero in a component, room for
    /// a suffix within 64 characters).
    pub uid_root: Option<String>,
    /// Parameters by name (`UIDROOT`, `DATEINC`, `PROJECT`…), referred to as `{NAME}` in
    /// values, the UID root and day counts. A parameter without a default must be given
    /// (`--param NAME=VALUE`, the API's `params`) or the recipe is refused.
    pub params: BTreeMap<String, Param>,
    /// File filters, in order; the first whose condition holds decides the file.
    pub filters: Vec<FileFilter>,
    /// Attribute rules, in order: the first rule whose selector and condition match an element
    /// decides it; elements no rule matches go to the profile (precedence: README).
    pub rules: Vec<Rule>,
    /// Lookup tables by name for [`LookupSource::Table`]: an element's original value → the
    /// replacement (CTP's lookup-table files, converted by the importer).
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
}

/// A recipe's `[settings]`: a table with a configuration's keys, read by
/// [`crate::config::Config`] (one model of the options: this is not a second copy of them).
pub type Settings = serde_json::Map<String, serde_json::Value>;

/// The configuration keys a recipe's settings may hold: what a preset sets. The others are the
/// run's own and stay with its options (the command line, a `--config` file, the page): the
/// preset itself (`base` says it), the recipe and its parameters, and the safeguards no recipe
/// may switch off (`verify`, the pixel rules and the policy for unreviewed images: no side door).
pub const SETTINGS_KEYS: [&str; 11] = [
    "profile",
    "id_prefix",
    "id_digits",
    "id_scheme",
    "patient_name",
    "birth_date",
    "default_anchor_date",
    "shift_min_days",
    "shift_max_days",
    "keep_list",
    "forced",
];

/// A parameter of a recipe.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Param {
    /// What the user is asked for (the page's prompt, the CLI's error when it is missing).
    pub description: String,
    /// The value when the user gives none; `None`: it must be given.
    pub default: Option<String>,
}

/// A filter on whole files (CTP's `@quarantine`, deid's `%filter`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFilter {
    /// The condition on the file's header.
    pub when: Condition,
    /// What happens to a file for which it holds.
    pub then: FilterAction,
    /// Why, written in the log row of the file.
    #[serde(default)]
    pub reason: String,
}

/// What a file filter does to a file whose header matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterAction {
    /// Not written; logged as held for review (like an unreviewed image).
    Hold,
    /// Not written; logged as excluded.
    Exclude,
}

/// One attribute rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Which elements (keyword, tag, mask, VR, keyword pattern, private by creator, path).
    pub select: Selector,
    /// A condition on the file's header; the rule applies only where it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// What is done to a matching element.
    pub action: Action,
    /// Required to keep an identifying attribute (names, IDs, birth date, addresses…: the
    /// self-check's identifiers) verbatim with [`Action::Keep`]; the self-check then skips
    /// exactly that attribute and the log names the rule. Without it such a recipe is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accept_risk: bool,
    /// A label for the log and `--explain` (default: `rule N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a rule does to an element.
///
/// In TOML and JSON a unit variant is a string (`action = "keep"`), the others a one-key table
/// (`action = { replace = "ANON" }`, `action = { hash = { digits = 8 } }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Keep the value; text is still cleaned of the file's identifiers (names, IDs, dates), and
    /// the self-check still applies, unless the rule has `accept_risk`.
    Keep,
    /// Remove the element (X).
    Remove,
    /// Keep the element with an empty value (Z; a sequence keeps no items).
    Empty,
    /// Replace the value with this text; `{NAME}` placeholders are parameters.
    Replace(String),
    /// The profile decides, as if no rule matched (ends the search: later rules are not tried).
    Profile,
    /// A keyed pseudonym of the value: HMAC-SHA-256 of the project secret (the same value gives
    /// the same pseudonym in every batch with the secret), as hex cut to the VR's length.
    Pseudonym,
    /// Replace each UID with a keyed one (today's `2.25.` derivation, or under the recipe's
    /// `uid_root`); references to it elsewhere get the same replacement.
    Uid {
        /// Keyed (default) or CTP's `@hashuid`.
        #[serde(default)]
        compat: HashCompat,
    },
    /// Shift dates (DA, DT; also a TM next to a shifted date is kept) by the file's
    /// per-patient shift: the mapping CSV's surgery date, else the keyed offset (today's).
    ShiftDate,
    /// Add a number of days to a date (DA, DT): an integer or a `{PARAM}`.
    IncrementDate {
        /// Days (negative: earlier), e.g. `-30` or `"{DATEINC}"`.
        days: String,
    },
    /// Round numbers (DS, IS, binary numbers) to a multiple of `step`; ages (AS) to bins of
    /// `step` years (`052Y` with step 5 → `050Y`).
    Round {
        /// The multiple.
        step: f64,
    },
    /// A hash of the value as decimal digits, cut to `digits` (and to the VR's length).
    Hash {
        /// Number of digits kept (1..=64).
        digits: u32,
        /// Keyed (default) or CTP's `@hash`.
        #[serde(default)]
        compat: HashCompat,
    },
    /// CTP's `@hashdate(this, Element)`: every date of the element (DA, DT) moved by the
    /// unkeyed day offset CTP derives from another element's value (last four digits of its
    /// decimal MD5, modulo 3650, negated; never 0): that element's original value in
    /// the same data set (the top level, or the item the date is in; empty when absent). A
    /// value CTP cannot read becomes empty, as in CTP.
    HashDate {
        /// The element whose value sets the offset (CTP's scripts use `PatientID`); a keyword or
        /// tag of the same data set.
        from: Selector,
    },
    /// CTP's `@hashname(this, length, words)`: the decimal MD5 (unkeyed) of the person name's
    /// first `words` components (all when absent), upper case, without spaces, commas,
    /// apostrophes, carets and dots, cut to `length` digits.
    HashName {
        /// Number of digits kept (1..=64).
        length: u32,
        /// Number of name components hashed (family name first); all when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        words: Option<u32>,
    },
    /// CTP's `@hashptid(site, this, length)`: the decimal MD5 (unkeyed) of `[site]value`, cut to
    /// `length` digits (all 39 at most when absent); composed as CTP composes a script's text and
    /// calls (`@param(@SHORTNAME)-@hashptid(@SITEID,this,10)`): `prefix`, the digits, `suffix`,
    /// the whole cut to the VR's length.
    HashPatientId {
        /// The site's ID, e.g. `"{SITEID}"`.
        site: String,
        /// Number of digits kept (1..=64); all when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        length: Option<u32>,
        /// Text written before the digits, e.g. `"{SHORTNAME}-"` (`{NAME}` placeholders allowed).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        prefix: String,
        /// Text written after the digits.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        suffix: String,
    },
    /// CTP's `@initials(this)`: the first letter of each word of a person name, the family
    /// name's last, in upper case (`Doe^John^Quincy` → `JQD`; `X` for an empty name). Initials
    /// narrow down who a person is: they are not a pseudonym.
    Initials,
    /// A value from the mapping CSV (or a recipe table), with a fallback when there is none.
    Lookup {
        /// Where the value comes from.
        from: LookupSource,
        /// What happens when no value is found.
        #[serde(default)]
        fallback: Fallback,
    },
}

/// Which hash function an action uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashCompat {
    /// Keyed with the project secret (HMAC-SHA-256): cannot be reversed without the secret.
    #[default]
    Keyed,
    /// RSNA CTP's own definitions (`@hash`: MD5 of the UTF-8 text as an unsigned decimal;
    /// `@hashuid`: the UID form under the root, `9` after the root when the digest starts with
    /// 0, cut to 64), so a new batch stays linkable with a site's CTP batches. Unkeyed: MD5 of
    /// an ID or name can be reversed by a dictionary attack (PS3.15 E.1.1); the CLI and page
    /// say so. The functions live in `src/recipe/ctp*` (the CTP importer's module); the
    /// actions [`Action::HashDate`], [`Action::HashName`] and [`Action::HashPatientId`] are
    /// CTP's too, so unkeyed in the same way.
    Ctp,
}

/// Where [`Action::Lookup`] finds a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LookupSource {
    /// A column of the file's row of the mapping CSV.
    Mapping(MappingColumn),
    /// A recipe table ([`Recipe::tables`]), keyed by the element's original value.
    Table(String),
}

/// A column of the mapping CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingColumn {
    /// New_Patient_ID (the research ID).
    NewPatientId,
    /// Surgery_Date (YYYYMMDD).
    SurgeryDate,
    /// Anchor_Date (YYYYMMDD).
    AnchorDate,
    /// Notes.
    Notes,
}

/// What [`Action::Lookup`] does when it finds no value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fallback {
    /// The profile decides (as [`Action::Profile`]).
    #[default]
    Profile,
    /// Keep the value (cleaned as every kept value).
    Keep,
    /// Remove the element.
    Remove,
    /// Empty the element.
    Empty,
    /// This value (`{NAME}` placeholders allowed).
    Default(String),
    /// Do not write the file (logged as held).
    Hold,
}

/// A condition on a file's header values (top-level attributes, private ones by creator).
///
/// `{ equals = { attr = "Modality", value = "CT" } }`,
/// `{ all = [ { exists = "BurnedInAnnotation" }, { not = { blank = "PatientAge" } } ] }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Some value of the attribute equals `value` (trailing padding ignored; case-sensitive).
    Equals(Test),
    /// Some value of the attribute contains `value` (case-insensitive).
    Contains(Test),
    /// Some value of the attribute matches the regular expression `value`.
    Matches(Test),
    /// The value is greater than `value`: as numbers when both are numbers, else as text
    /// (dates `YYYYMMDD` compare right as text).
    GreaterThan(Test),
    /// The attribute is present (even empty).
    Exists(Selector),
    /// The attribute is absent, empty or only spaces.
    Blank(Selector),
    /// Every condition holds (true when empty).
    All(Vec<Condition>),
    /// Some condition holds (false when empty).
    Any(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
}

/// An attribute and a value to compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Test {
    /// The attribute (keyword, tag, private by creator, or a path into a sequence).
    pub attr: Selector,
    /// The value compared with (`{NAME}` placeholders allowed).
    pub value: String,
}
