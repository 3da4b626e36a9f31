//! Why a recipe cannot be read or used.

use snafu::Snafu;

/// Errors in reading or preparing a recipe.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub enum RecipeError {
    /// Not UTF-8 text.
    #[snafu(display("the recipe is not UTF-8 text"))]
    NotText,
    /// A CTP script or deid recipe that cannot be read.
    #[snafu(display("{message}"))]
    Import {
        /// why
        message: String,
    },
    /// An imported recipe with unsupported rows, not accepted.
    #[snafu(display(
        "the imported recipe has rows that are not supported (the profile would decide those \
         elements); read the report and accept it to run the recipe (--accept-import-report, the \
         options' accept_import_report):\n{report}"
    ))]
    ImportNotAccepted {
        /// the import report as text
        report: String,
    },
    /// Not valid JSON for a recipe.
    #[snafu(display("the recipe is not valid JSON: {source}"))]
    Json {
        /// cause
        source: serde_json::Error,
    },
    /// Not valid TOML for a recipe.
    #[snafu(display("the recipe is not valid TOML: {source}"))]
    Toml {
        /// cause
        source: toml::de::Error,
    },
    /// A parameter without default was not given.
    #[snafu(display(
        "the recipe needs the parameter {name} ({description}): give it with --param {name}=VALUE"
    ))]
    MissingParam {
        /// the parameter
        name: String,
        /// its description
        description: String,
    },
    /// A parameter given that the recipe does not declare.
    #[snafu(display("the recipe has no parameter {name} (it declares: {declared})"))]
    UnknownParam {
        /// the name given
        name: String,
        /// the recipe's parameters
        declared: String,
    },
    /// A placeholder names no parameter.
    #[snafu(display("{context} uses {{{name}}}, which is not a parameter of the recipe"))]
    UndeclaredPlaceholder {
        /// where
        context: String,
        /// the placeholder
        name: String,
    },
    /// The UID root breaks PS3.5 9.1.
    #[snafu(display("uid_root {root:?} is not a valid UID root: {reason}"))]
    BadUidRoot {
        /// the root after parameters
        root: String,
        /// why
        reason: String,
    },
    /// A `base` (or preset) that names no preset.
    #[snafu(display("unknown preset {name:?} (known: basic, research, keep-list)"))]
    UnknownBase {
        /// the name given
        name: String,
    },
    /// A setting a recipe may not give (the run's own option, or a safeguard).
    #[snafu(display(
        "a recipe's settings cannot set {key:?}: it is the run's own option (the command line, \
         a --config file, the page); a recipe may set {}",
        super::model::SETTINGS_KEYS.join(", ")
    ))]
    SettingNotAllowed {
        /// the key given
        key: String,
    },
    /// A rule or filter is not usable as written.
    #[snafu(display("{context}: {message}"))]
    BadRule {
        /// which rule
        context: String,
        /// what is wrong
        message: String,
    },
}
