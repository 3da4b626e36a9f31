//! Why a file is not written. Every rejection carries a reason a coordinator can act on.

use serde::{Deserialize, Serialize};
use snafu::Snafu;

use crate::codes::Code;
use crate::report::Outcome;

/// The reason an input file produced no output.
#[derive(Debug, Clone, PartialEq, Eq, Snafu, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Rejection {
    /// Not a DICOM file (skipped, listed in the log).
    #[snafu(display("not DICOM: {detail}"))]
    NotDicom {
        /// why it was not recognised (most often a constant text: not copied for every file
        /// of a batch of many files that are not DICOM)
        detail: std::borrow::Cow<'static, str>,
    },
    /// A DICOMDIR: never copied (it holds PHI); the files it references are processed as found.
    #[snafu(display(
        "DICOMDIR not copied (it lists patient data); its files are processed on their own"
    ))]
    Dicomdir,
    /// The file could not be parsed completely.
    #[snafu(display("cannot be parsed: {detail}"))]
    Unparseable {
        /// parser message
        detail: String,
    },
    /// A rule of the profile could not be applied.
    #[snafu(display("cannot be de-identified: {detail}"))]
    RuleFailed {
        /// what failed
        detail: String,
    },
    /// The output could not be encoded.
    #[snafu(display("cannot be written: {detail}"))]
    WriteFailed {
        /// writer message
        detail: String,
    },
    /// The self-check found an identifier of the input in the output.
    #[snafu(display("self-check failed: {detail}"))]
    Leak {
        /// which identifier was found where (the value itself is not repeated)
        detail: String,
    },
    /// The patient is not in the mapping CSV.
    #[snafu(display("no mapping found for this patient/accession"))]
    NoMapping,
    /// The same SOP Instance UID was already written from another file.
    #[snafu(display("duplicate of {other} (same SOP Instance UID)"))]
    Duplicate {
        /// the file that was written
        other: String,
    },
    /// An image that may show identifying text in its pixels and that no pixel rule covers:
    /// held for review (PS3.15 E.3.1), not written.
    #[snafu(display("held for pixel review: {detail}"))]
    PixelReview {
        /// why the gate flagged it
        detail: String,
    },
    /// Left out by a pixel rule (or by the policy for unreviewed images).
    #[snafu(display("excluded: {detail}"))]
    PixelExcluded {
        /// the rule and the gate's reasons
        detail: String,
    },
    /// The pixels should be cleaned, but cannot be (undecodable syntax, malformed data).
    #[snafu(display("held: burned-in text cannot be removed: {detail}"))]
    PixelCannotClean {
        /// what failed
        detail: String,
    },
    /// Held by a recipe's file filter (or a lookup whose fallback is to hold): not written.
    #[snafu(display("held by the recipe: {detail}"))]
    RecipeHeld {
        /// the filter's reason, or the rule
        detail: String,
    },
    /// Excluded by a recipe's file filter: not written.
    #[snafu(display("excluded by the recipe: {detail}"))]
    RecipeExcluded {
        /// the filter's reason
        detail: String,
    },
    /// Not planned (the plan was made without this file).
    #[snafu(display("file was not part of the scanned set"))]
    NotPlanned,
}

impl Rejection {
    /// A short outcome label for the log: `skipped` for non-DICOM and DICOMDIR, `no_mapping`,
    /// `duplicate`, `held` (pixels need review or cannot be cleaned), `excluded` (by a pixel
    /// rule), otherwise `rejected`.
    pub fn outcome(&self) -> Outcome {
        match self {
            Rejection::NotDicom { .. } | Rejection::Dicomdir => Outcome::Skipped,
            Rejection::NoMapping => Outcome::NoMapping,
            Rejection::Duplicate { .. } => Outcome::Duplicate,
            Rejection::PixelReview { .. } | Rejection::PixelCannotClean { .. } => Outcome::Held,
            Rejection::RecipeHeld { .. } => Outcome::Held,
            Rejection::PixelExcluded { .. } | Rejection::RecipeExcluded { .. } => Outcome::Excluded,
            _ => Outcome::Rejected,
        }
    }

    /// A stable short code for grouping in summaries (the log's `reason_code`).
    pub fn code(&self) -> Code {
        match self {
            Rejection::NotDicom { .. } => Code::NotDicom,
            Rejection::Dicomdir => Code::Dicomdir,
            Rejection::Unparseable { .. } => Code::Unparseable,
            Rejection::RuleFailed { .. } => Code::RuleFailed,
            Rejection::WriteFailed { .. } => Code::WriteFailed,
            Rejection::Leak { .. } => Code::SelfCheck,
            Rejection::NoMapping => Code::NoMapping,
            Rejection::Duplicate { .. } => Code::Duplicate,
            Rejection::NotPlanned => Code::NotPlanned,
            Rejection::PixelReview { .. } => Code::PixelReviewNeeded,
            Rejection::PixelExcluded { .. } => Code::PixelExcluded,
            Rejection::PixelCannotClean { .. } => Code::PixelCannotClean,
            Rejection::RecipeHeld { .. } => Code::RecipeHeld,
            Rejection::RecipeExcluded { .. } => Code::RecipeExcluded,
        }
    }
}
