// Generated from the engine's Rust types by src/typescript.rs: do not edit. Run
// `UPDATE_GENERATED=1 cargo test --release --lib typescript` after changing them.

/** Every option of a job: the full configuration the engine returns (`presetOptions`, `checkOptions`). */
export type Config = { 
/**
 * Name of the preset this configuration started from (informational).
 */
preset: Preset, 
/**
 * The PS3.15 options.
 */
profile: ProfileOptions, 
/**
 * Prefix of generated research IDs (`SUBJ` → `SUBJ0042`).
 */
id_prefix: string, 
/**
 * Digits of the zero-padded number of generated research IDs.
 */
id_digits: number, 
/**
 * Sequential or random numbering.
 */
id_scheme: IdScheme, 
/**
 * PatientName replacement.
 */
patient_name: PatientNameMode, 
/**
 * PatientBirthDate handling.
 */
birth_date: BirthDateMode, 
/**
 * Anchor date (YYYY-MM-DD) used when a mapping row has a surgery date but no anchor.
 */
default_anchor_date: string, 
/**
 * Range (inclusive, days) of the keyed per-patient shift when no surgery date is given.
 */
shift_min_days: number, 
/**
 * Upper end of the keyed shift range.
 */
shift_max_days: number, 
/**
 * Keep-list mode: only these top-level keywords survive (identity rules still apply).
 */
keep_list: Array<string> | null, 
/**
 * Forced values, applied last: keyword or `GGGG,EEEE` → value.
 */
forced: { [key in string]: string }, 
/**
 * Pixel rules (`--pixel-rules`, the page's review): consulted before the default rules.
 */
pixel_rules: Array<PixelRule>, 
/**
 * Whether the shipped default pixel rules (`data/pixel_rules.toml`) apply after the user's.
 */
default_pixel_rules: boolean, 
/**
 * What happens to images that may show text and that no pixel rule covers.
 */
unreviewed_pixels: UnreviewedPixels, 
/**
 * Re-read every output and reject it if an identifier of its input is found (on by default;
 * switch off only for benchmarking).
 */
verify: boolean, 
/**
 * A recipe (its text: this project's TOML or JSON; see [`crate::recipe`]): rules applied
 * before the profile, file filters, parameters, a UID root.
 */
recipe: string | null, 
/**
 * Values of the recipe's parameters (`--param NAME=VALUE`).
 */
params: { [key in string]: string }, };

/** A built-in preset (as the CLI's --preset). */
export type Preset = "basic" | "research" | "keep-list";

export type ProfileOptions = { 
/**
 * Retain Safe Private.
 */
retain_safe_private: boolean, 
/**
 * Retain UIDs.
 */
retain_uids: boolean, 
/**
 * Retain Device Identity.
 */
retain_device_identity: boolean, 
/**
 * Retain Institution Identity.
 */
retain_institution_identity: boolean, 
/**
 * Retain Patient Characteristics.
 */
retain_patient_characteristics: boolean, 
/**
 * Retain Longitudinal Temporal Information with Full Dates.
 */
retain_long_full_dates: boolean, 
/**
 * Retain Longitudinal Temporal Information with Modified Dates (per-patient shift).
 */
retain_long_modified_dates: boolean, 
/**
 * Clean Descriptors.
 */
clean_descriptors: boolean, 
/**
 * Clean Structured Content.
 */
clean_structured_content: boolean, 
/**
 * Clean Graphics.
 */
clean_graphics: boolean, };

export type IdScheme = "sequential" | "random";

export type PatientNameMode = "research_id" | "research_id_ct_date";

export type BirthDateMode = "remove" | "keep_year";

export type UnreviewedPixels = "hold" | "keep" | "exclude";

export type PixelRule = { 
/**
 * A name, shown in the log and the page.
 */
name: string, 
/**
 * Where the rule comes from (free text).
 */
source?: string | null, 
/**
 * What to do.
 */
action: PixelAction, 
/**
 * Regions to black out (`clean`): `[x, y, width, height]`.
 */
regions?: Array<Rect>, 
/**
 * The conditions.
 */
match: PixelMatch, };

export type Rect = [number, number, number, number];

export type PixelRuleSet = { 
/**
 * The rules, first match wins.
 */
rule: Array<PixelRule>, };

export type PixelAction = "clean" | "keep" | "exclude";

export type PixelMatch = { 
/**
 * Modality (0008,0060).
 */
Modality?: PixelCondition | null, 
/**
 * Manufacturer (0008,0070).
 */
Manufacturer?: PixelCondition | null, 
/**
 * Manufacturer's Model Name (0008,1090).
 */
ManufacturerModelName?: PixelCondition | null, 
/**
 * Rows (0028,0010).
 */
Rows?: PixelCondition | null, 
/**
 * Columns (0028,0011).
 */
Columns?: PixelCondition | null, 
/**
 * Image Type (0008,0008), values joined with `\`.
 */
ImageType?: PixelCondition | null, 
/**
 * SOP Class UID (0008,0016).
 */
SOPClassUID?: PixelCondition | null, 
/**
 * Photometric Interpretation (0028,0004).
 */
PhotometricInterpretation?: PixelCondition | null, };

export type PixelCondition = number | string | { 
/**
 * the text
 */
contains: string, };

export type PixelSignature = { 
/**
 * Modality (0008,0060).
 */
modality: string, 
/**
 * Manufacturer (0008,0070).
 */
manufacturer: string, 
/**
 * Manufacturer's Model Name (0008,1090).
 */
model: string, 
/**
 * Rows (0028,0010), 0 when absent.
 */
rows: number, 
/**
 * Columns (0028,0011), 0 when absent.
 */
columns: number, 
/**
 * Image Type (0008,0008), values joined with `\`.
 */
image_type: string, 
/**
 * SOP Class UID.
 */
sop_class: string, 
/**
 * Photometric Interpretation (0028,0004).
 */
photometric: string, 
/**
 * Transfer Syntax UID of the file.
 */
transfer_syntax: string, 
/**
 * Burned In Annotation (0028,0301), as written.
 */
burned_in_annotation: string, 
/**
 * Recognizable Visual Features (0028,0302), as written.
 */
recognizable_visual_features: string, };

export type PixelGate = { 
/**
 * The class.
 */
class: PixelClass, 
/**
 * Why (empty for [`Class::Pass`]).
 */
reasons: Array<string>, };

export type PixelClass = "pass" | "possible" | "carrier";

/** Counts of a run, as the summary line of the log CSV. */
export type Summary = { 
/**
 * Input files seen.
 */
seen: number, 
/**
 * Written to the zip.
 */
written: number, 
/**
 * Rejected (could not be cleaned, or the self-check failed).
 */
rejected: number, 
/**
 * Skipped (not DICOM, DICOMDIR, duplicates, no mapping).
 */
skipped: number, 
/**
 * Held: images that may show text in their pixels, not written until reviewed.
 */
held: number, 
/**
 * Excluded by a pixel rule or the policy for unreviewed images.
 */
excluded: number, 
/**
 * Counts by reason code.
 */
by_reason: { [key in string]: number }, 
/**
 * Bytes read.
 */
bytes_in: number, 
/**
 * Bytes written (DICOM files).
 */
bytes_out: number, };

/** One row of the log CSV: what happened to one input file. */
export type LogRow = { 
/**
 * Source path (PHI: folder names often hold MRNs).
 */
source_path: string, 
/**
 * What happened to it.
 */
outcome: Outcome, 
/**
 * Path in the zip, when written.
 */
output_path: string, 
/**
 * Short reason code.
 */
reason_code: string, 
/**
 * Reason in words.
 */
reason: string, 
/**
 * Input size.
 */
bytes_in: number, 
/**
 * Output size.
 */
bytes_out: number, };

/** What happened to one input file: the log's `outcome` column. */
export type Outcome = "written" | "rejected" | "skipped" | "no_mapping" | "duplicate" | "held" | "excluded";

/** The `code` of an error thrown by the engine (src/codes.rs). */
export type EngineErrorCode = "bad_options" | "empty_secret" | "id_space_too_small" | "bad_mapping" | "mapping_dates_not_shifted" | "bad_key" | "bad_spec" | "bad_value" | "bad_zip" | "unreadable" | "zip_output" | "bad_ledger" | "bad_stow_response" | "bad_stow_request";
