//! Pixel rules: which regions of which images to black out, or which images to keep as they are
//! or leave out, matched on header values. The CLI reads them with `--pixel-rules FILE` (TOML or
//! JSON); the page writes the same format; a default set converted from pydicom deid's recipe
//! ships in `data/pixel_rules.toml`.
//!
//! ```toml
//! [[rule]]
//! name = "ACME SONO 1 640x480 banner"
//! action = "clean"              # clean | keep | exclude
//! regions = [[0, 0, 640, 60]]   # x, y, width, height (columns, rows)
//! [rule.match]                  # every condition must hold
//! Manufacturer = "ACME"         # exact, after trimming spaces
//! ManufacturerModelName = { contains = "SONO" }   # case-insensitive substring
//! Columns = 640
//! ```
//! The first rule that matches a file decides.

use serde::{Deserialize, Serialize};
use snafu::Snafu;

use super::gate::Signature;
use super::Rect;

/// What happens to a text carrier that no rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreviewed {
    /// Not written; the log says `held` with the reasons (the default: fail closed).
    #[default]
    Hold,
    /// Written as it is; the log says so (an accepted risk).
    Keep,
    /// Not written; the log says `excluded`.
    Exclude,
}

/// What a rule does to the images it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Black out the rule's regions in every frame; write the file.
    Clean,
    /// Write the pixels as they are (an accepted risk, written to the log).
    Keep,
    /// Do not write the file (log: excluded).
    Exclude,
}

/// One condition on a header value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cond {
    /// Equal to this number (Rows, Columns).
    Number(u32),
    /// Equal to this text after trimming spaces (case-sensitive, as DICOM values are).
    Exact(String),
    /// Contains this text, ignoring case.
    Contains {
        /// the text
        contains: String,
    },
}

impl Cond {
    fn holds_text(&self, v: &str) -> bool {
        let v = v.trim();
        match self {
            Cond::Number(n) => v.parse::<u32>().is_ok_and(|x| x == *n),
            Cond::Exact(s) => v == s.trim(),
            Cond::Contains { contains } => {
                v.to_lowercase().contains(&contains.trim().to_lowercase())
            }
        }
    }

    fn holds_number(&self, v: u32) -> bool {
        match self {
            Cond::Number(n) => v == *n,
            Cond::Exact(s) => s.trim().parse::<u32>().is_ok_and(|n| n == v),
            Cond::Contains { contains } => v.to_string().contains(contains.trim()),
        }
    }
}

/// The conditions of a rule, by DICOM keyword (others are refused).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// Modality (0008,0060).
    #[serde(rename = "Modality", default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<Cond>,
    /// Manufacturer (0008,0070).
    #[serde(
        rename = "Manufacturer",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub manufacturer: Option<Cond>,
    /// Manufacturer's Model Name (0008,1090).
    #[serde(
        rename = "ManufacturerModelName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub model: Option<Cond>,
    /// Rows (0028,0010).
    #[serde(rename = "Rows", default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Cond>,
    /// Columns (0028,0011).
    #[serde(rename = "Columns", default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Cond>,
    /// Image Type (0008,0008), values joined with `\`.
    #[serde(rename = "ImageType", default, skip_serializing_if = "Option::is_none")]
    pub image_type: Option<Cond>,
    /// SOP Class UID (0008,0016).
    #[serde(
        rename = "SOPClassUID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sop_class: Option<Cond>,
    /// Photometric Interpretation (0028,0004).
    #[serde(
        rename = "PhotometricInterpretation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub photometric: Option<Cond>,
}

impl Match {
    /// Whether every condition holds for the signature (a rule without conditions matches all).
    pub fn matches(&self, s: &Signature) -> bool {
        let text = |c: &Option<Cond>, v: &str| c.as_ref().is_none_or(|c| c.holds_text(v));
        let num = |c: &Option<Cond>, v: u32| c.as_ref().is_none_or(|c| c.holds_number(v));
        text(&self.modality, &s.modality)
            && text(&self.manufacturer, &s.manufacturer)
            && text(&self.model, &s.model)
            && num(&self.rows, s.rows)
            && num(&self.columns, s.columns)
            && text(&self.image_type, &s.image_type)
            && text(&self.sop_class, &s.sop_class)
            && text(&self.photometric, &s.photometric)
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A name, shown in the log and the page.
    pub name: String,
    /// Where the rule comes from (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What to do.
    pub action: Action,
    /// Regions to black out (`clean`): `[x, y, width, height]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Rect>,
    /// The conditions.
    #[serde(rename = "match", default)]
    pub when: Match,
}

/// A rules file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// The rules, first match wins.
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
}

/// Why a rules file cannot be used.
#[derive(Debug, Snafu)]
pub enum RulesError {
    /// Not valid TOML for a rules file.
    #[snafu(display("pixel rules are not valid TOML: {source}"))]
    Toml {
        /// cause
        source: toml::de::Error,
    },
    /// Not valid JSON for a rules file.
    #[snafu(display("pixel rules are not valid JSON: {source}"))]
    Json {
        /// cause
        source: serde_json::Error,
    },
    /// A rule that cannot work.
    #[snafu(display("pixel rule {name:?}: {problem}"))]
    Invalid {
        /// the rule's name
        name: String,
        /// what is wrong
        problem: String,
    },
}

/// The largest region side accepted (DICOM Rows/Columns are 16-bit).
const MAX_SIDE: u32 = 65535;

impl RuleSet {
    /// Parses a rules file, TOML or JSON (JSON when it starts with `{`), and checks every rule.
    pub fn parse(text: &str) -> Result<RuleSet, RulesError> {
        let text = text.trim_start_matches('\u{feff}');
        let set: RuleSet = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|source| RulesError::Json { source })?
        } else {
            toml::from_str(text).map_err(|source| RulesError::Toml { source })?
        };
        set.validate()?;
        Ok(set)
    }

    /// Checks every rule: a name, regions for `clean` (none empty, within 16-bit images).
    pub fn validate(&self) -> Result<(), RulesError> {
        for r in &self.rules {
            let bad = |problem: &str| {
                Err(RulesError::Invalid {
                    name: r.name.clone(),
                    problem: problem.to_string(),
                })
            };
            if r.name.trim().is_empty() {
                return bad("a rule needs a name");
            }
            if r.action == Action::Clean && r.regions.is_empty() {
                return bad("action clean needs at least one region [x, y, width, height]");
            }
            if r.action != Action::Clean && !r.regions.is_empty() {
                return bad("regions are only used with action clean");
            }
            if r.regions
                .iter()
                .any(|g| g.w == 0 || g.h == 0 || g.x >= MAX_SIDE || g.y >= MAX_SIDE)
            {
                return bad("a region has zero width or height, or starts outside any image");
            }
        }
        Ok(())
    }

    /// The rules file as TOML (what the page downloads).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// The first rule matching the signature.
    pub fn find(&self, s: &Signature) -> Option<&Rule> {
        self.rules.iter().find(|r| r.when.matches(s))
    }
}

/// The default rules shipped with the engine (`data/pixel_rules.toml`).
pub const DEFAULT_RULES: &str = include_str!("../../data/pixel_rules.toml");

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[rule]]
name = "ACME SONO 1 640x480 banner"
action = "clean"
regions = [[0, 0, 640, 60]]
[rule.match]
Manufacturer = "ACME"
ManufacturerModelName = { contains = "sono" }
Columns = 640
Rows = "480"

[[rule]]
name = "keep every OT"
action = "keep"
[rule.match]
Modality = "OT"
"#;

    fn sig() -> Signature {
        Signature {
            modality: "US".into(),
            manufacturer: "ACME ".into(),
            model: "SONO 1".into(),
            rows: 480,
            columns: 640,
            ..Signature::default()
        }
    }

    #[test]
    fn parse_match_and_round_trip() {
        let set = RuleSet::parse(EXAMPLE).expect("parses");
        assert_eq!(set.rules.len(), 2);
        let r = set.find(&sig()).expect("matches");
        assert_eq!(
            r.regions,
            vec![Rect {
                x: 0,
                y: 0,
                w: 640,
                h: 60
            }]
        );
        let mut other = sig();
        other.columns = 800;
        assert!(set.find(&other).is_none());
        other.modality = "OT".into();
        assert_eq!(set.find(&other).map(|r| r.action), Some(Action::Keep));
        // TOML and JSON round trips give the same rules.
        assert_eq!(RuleSet::parse(&set.to_toml()).expect("toml"), set);
        let json = serde_json::to_string(&set).expect("json");
        assert_eq!(RuleSet::parse(&json).expect("json parses"), set);
    }

    #[test]
    fn refuses_unknown_keywords_and_bad_rules() {
        let typo = EXAMPLE.replace("ManufacturerModelName", "ManufacturerModel");
        assert!(RuleSet::parse(&typo).is_err());
        let no_regions = "[[rule]]\nname = \"a\"\naction = \"clean\"\n";
        assert!(RuleSet::parse(no_regions).is_err());
        let empty = "[[rule]]\nname = \"a\"\naction = \"clean\"\nregions = [[0, 0, 0, 5]]\n";
        assert!(RuleSet::parse(empty).is_err());
        let unknown_action = "[[rule]]\nname = \"a\"\naction = \"blur\"\n";
        assert!(RuleSet::parse(unknown_action).is_err());
    }

    #[test]
    fn default_rules_parse() {
        let set = RuleSet::parse(DEFAULT_RULES).expect("the shipped rules parse");
        let mut names: Vec<&str> = set.rules.iter().map(|r| r.name.as_str()).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "rule names are unique");
    }
}
