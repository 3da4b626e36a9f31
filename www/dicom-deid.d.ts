// Types of the dicom-deid browser API (dicom-deid.js); the <dicom-deid> element's are in
// dicom-deid-element.d.ts. Plain ES modules, no build step: import them from where they are served.

/** What went wrong, as a stable code. */
export type DeidErrorCode = 'bad-options' | 'bad-mapping' | 'bad-key' | 'aborted' | 'unsupported' | 'io';

/**
 * The only error the API throws. `code` says what kind, `message` says what happened in words
 * (the engine's own message for options, mapping and key problems: line and column included),
 * `cause` keeps the underlying error when there is one.
 */
export declare class DeidError extends Error {
  constructor(code: DeidErrorCode, message: string, options?: { cause?: unknown });
  readonly name: 'DeidError';
  readonly code: DeidErrorCode;
}

/** A built-in preset (as the CLI's --preset). */
export type Preset = 'basic' | 'research' | 'keep-list';

/** The built-in presets. */
export declare const PRESETS: readonly Preset[];

/** PS3.15 Annex E options (the `[profile]` table of a CLI configuration file). */
export interface ProfileOptions {
  retain_safe_private?: boolean;
  retain_uids?: boolean;
  retain_device_identity?: boolean;
  retain_institution_identity?: boolean;
  retain_patient_characteristics?: boolean;
  retain_long_full_dates?: boolean;
  retain_long_modified_dates?: boolean;
  clean_descriptors?: boolean;
  clean_structured_content?: boolean;
  clean_graphics?: boolean;
}

/**
 * Options, with the CLI's names: a preset and the keys to change on top of it. Every key is
 * optional; what is not given comes from the preset (`basic` by default).
 */
export interface DeidOptions {
  preset?: Preset;
  profile?: ProfileOptions;
  /** At most 10 letters, digits, '_' or '-' (default SUBJ). */
  id_prefix?: string;
  /** 1 to 9 (default 4). */
  id_digits?: number;
  id_scheme?: 'sequential' | 'random';
  patient_name?: 'research_id' | 'research_id_ct_date';
  birth_date?: 'remove' | 'keep_year';
  /** YYYY-MM-DD */
  default_anchor_date?: string;
  shift_min_days?: number;
  shift_max_days?: number;
  /** Keywords kept in keep-list mode. */
  keep_list?: string[] | null;
  /** Actions forced for given tags, as in the CLI configuration. */
  forced?: Record<string, string>;
  /** Self-check every output (default true). */
  verify?: boolean;
  /** Pixel rules for burned-in text, consulted first (as the CLI's --pixel-rules). */
  pixel_rules?: PixelRule[];
  /** What happens to images that may show text and that no rule covers (default hold). */
  unreviewed_pixels?: 'hold' | 'keep' | 'exclude';
  /** Whether the shipped default pixel rules apply after the user's (default true). */
  default_pixel_rules?: boolean;
  /** A recipe: its TOML or JSON text (README, Recipes): rules applied before the profile. */
  recipe?: string;
  /** Values of the recipe's parameters (as the CLI's --param NAME=VALUE). */
  params?: Record<string, string>;
  [key: string]: unknown;
}

/** The full configuration: every option with its value. */
export type FullOptions = Required<Omit<DeidOptions, 'keep_list' | 'forced' | 'recipe' | 'params'>> & Pick<DeidOptions, 'keep_list' | 'forced' | 'recipe' | 'params'>;

/** A file and the source path the CLI would log for it (`folder/sub/file.dcm`). */
export interface SourceEntry {
  path: string;
  file: Blob;
}

/**
 * What can be de-identified: a picked folder, the files of an <input type=file> (with
 * `webkitdirectory` for a folder), File objects, entries, or an array mixing those. Zip files
 * are read inside, as by the CLI.
 */
export type DeidSource =
  | FileSystemDirectoryHandle
  | FileSystemFileHandle
  | FileList
  | File
  | SourceEntry
  | Iterable<FileSystemDirectoryHandle | FileSystemFileHandle | FileList | File | SourceEntry>
  | Selection;

/** One file to process (a whole file, or member `index` of the zip `file`). */
export interface SelectionItem {
  path: string;
  file: Blob;
  size: number;
  index?: number;
  zip?: string;
}

/** A source as listed before a run (listSource). */
export interface Selection {
  readonly entries: readonly SourceEntry[];
  readonly items: readonly SelectionItem[];
  /** `.zip` files that cannot be opened (logged as skipped). */
  readonly badZips: readonly { path: string; reason: string }[];
  /** Zips read inside. */
  readonly zips: number;
  /** Files that the run will log (items and bad zips). */
  readonly files: number;
  /** Total size of the items, in bytes. */
  readonly bytes: number;
}

/** A progress report: `scan` reads every header, `process` rewrites the files. */
export interface DeidProgress {
  phase: 'scan' | 'process';
  done: number;
  total: number;
  /** Input bytes done and in total, in this phase. */
  bytes: number;
  totalBytes: number;
  /** Seconds since the phase started (since the start of the run for `scan`). */
  elapsed: number;
}

/** Counts of a run, as the summary line of the log CSV. */
export interface DeidSummary {
  seen: number;
  written: number;
  rejected: number;
  skipped: number;
  /** Images that may show burned-in text and that no pixel rule covers (not written). */
  held: number;
  /** Images left out by a pixel rule (action exclude) or `unreviewed_pixels: "exclude"`. */
  excluded: number;
  /** Counts by reason code (e.g. not_dicom, truncated, duplicate). */
  by_reason: Record<string, number>;
  bytes_in: number;
  bytes_out: number;
}

/** A row of the log for a file that was not written. */
export interface DeidProblem {
  source_path: string;
  outcome: 'rejected' | 'skipped' | 'no_mapping' | 'duplicate' | string;
  output_path: string;
  reason_code: string;
  reason: string;
  bytes_in: number;
  bytes_out: number;
}

/** A project secret: text (as in a secret file; trimmed), a secret file, or raw bytes. */
export type DeidSecret = string | Blob | Uint8Array | ArrayBuffer;

/** A CSV list: its text, or a File / Blob holding it. */
export type DeidCsv = string | Blob;

export interface DeidentifyOptions {
  source: DeidSource;
  /** Options object, or the JSON/TOML text of a CLI configuration file (default: basic). */
  options?: DeidOptions | string;
  /** Mapping CSV (MRN, Accession, New_Patient_ID, Surgery_Date, Anchor_Date, Notes). */
  mapping?: DeidCsv | null;
  /** The key CSV of an earlier batch: its patients keep their research IDs and shifts. */
  existingKey?: DeidCsv | null;
  secret: DeidSecret;
  onProgress?: (progress: DeidProgress) => void;
  signal?: AbortSignal;
  /** Where to write the zip (from showSaveFilePicker or OPFS); else it is spooled to OPFS, or memory. */
  output?: FileSystemFileHandle | null;
  /** Workers to use (default: one per core). */
  workers?: number;
  /**
   * Bytes of files (each up to 8 MiB) that the scan reads whole and keeps in the workers for the
   * rewrite, so that they are read once instead of twice (default 256 MiB; 0: every file is read
   * twice, least memory).
   */
  readOnceBytes?: number;
}

export interface DeidResult {
  /** The zip: the written file when `output` was given, else a spooled File or a Blob. */
  zip: Blob;
  /** Where the zip is: the picked file, the Origin Private File System, or memory. */
  zipLocation: 'picked' | 'opfs' | 'memory';
  /** The key: research IDs, MRNs, shifts (patient data: keep it apart from the zip). */
  keyCsv: string;
  /** The log: one row per input file, then a summary line. */
  logCsv: string;
  summary: DeidSummary;
  /** The log rows of the files not written (rejected, skipped, held, excluded…). */
  problems: DeidProblem[];
  /** The log rows of the files written with regions of burned-in text blacked out (reason_code pixels_cleaned). */
  cleaned: DeidProblem[];
  stats: { seconds: number; scanSeconds: number; processSeconds: number; bytesIn: number; workers: number };
  /** Deletes a zip spooled in OPFS (the `zip` Blob stops working). */
  discard(): Promise<void>;
}

/** De-identifies a source into a zip, a key and a log, exactly as the CLI does. */
export declare function deidentify(options: DeidentifyOptions): Promise<DeidResult>;

/** Loads the engine (wasm and a helper worker); rejects with 'unsupported'. */
export declare function loadEngine(): Promise<{ version: string }>;

/** Lists a source as a run would read it (zips opened); deidentify() takes the result as its source. */
export declare function listSource(source: DeidSource): Promise<Selection>;

/** The entries of a drop; call it inside the `drop` handler, before any await. */
export declare function entriesFromDrop(dataTransfer: DataTransfer): Promise<SourceEntry[]>;

/** The full configuration of a preset. */
export declare function presetOptions(name: Preset): Promise<FullOptions>;

/**
 * Checks options; resolves to the full configuration or rejects with 'bad-options'. `preset`:
 * the starting preset when the options name none (default 'basic').
 */
export declare function checkOptions(options: DeidOptions | string, preset?: Preset): Promise<FullOptions>;

/** Checks a mapping and/or key CSV; rejects with 'bad-options', 'bad-mapping' or 'bad-key'. */
export declare function checkLists(lists: { options?: DeidOptions | string; mapping?: DeidCsv | null; existingKey?: DeidCsv | null }): Promise<void>;

/** A new random secret: 64 hexadecimal characters (the CLI's secret-file format). */
export declare function generateSecret(): string;

/** The secret in a secret file (UTF-8 text, trimmed, as the CLI reads --secret-file). */
export declare function readSecretFile(file: Blob): Promise<string>;

/** First 4 bytes of the SHA-256 of a secret, in hex: the same fingerprint means the same secret. */
export declare function secretFingerprint(secret: DeidSecret): Promise<string>;

/** Element rows of a file, as the preview shows them. */
export interface PreviewRow {
  path: string;
  keyword: string;
  vr: string;
  value: string;
}

/** One file before and after, planned as if it were the whole job. */
export interface DeidPreview {
  before: PreviewRow[] | null;
  after: PreviewRow[] | null;
  /** Why the file would not be written (null when it would be): the log's reason code, outcome and words. */
  rejection: { code: string; outcome: string; message: string } | null;
  thumb: { width: number; height: number; rgba: Uint8Array } | null;
  error: string | null;
}

export declare function previewFile(
  item: SelectionItem,
  options: { options?: DeidOptions | string; secret: DeidSecret; mapping?: DeidCsv | null; existingKey?: DeidCsv | null },
): Promise<DeidPreview>;

/** What the browser offers for the output zip. */
export declare function outputSupport(): Promise<{ savePicker: boolean; opfs: boolean }>;

/** Asks where to save the zip (showSaveFilePicker); call it first thing in a click handler. */
export declare function pickOutputFile(suggestedName?: string): Promise<FileSystemFileHandle>;

/** Removes zips spooled in OPFS by earlier runs of this origin. */
export declare function clearSpool(): Promise<void>;

/** The message of anything thrown, for display. */
export declare function messageOf(error: unknown): string;

/** A condition of a pixel rule: an exact value (trimmed), a number (Rows, Columns) or a case-insensitive substring. */
export type PixelCondition = string | number | { contains: string };

/** A pixel rule (a `[[rule]]` of a rules file): the first rule that matches an image decides. */
export interface PixelRule {
  name: string;
  source?: string;
  action: 'clean' | 'keep' | 'exclude';
  /** Regions to black out (clean): [x, y, width, height] in image pixels. */
  regions?: [number, number, number, number][];
  match: Partial<Record<'Modality' | 'Manufacturer' | 'ManufacturerModelName' | 'Rows' | 'Columns' | 'ImageType' | 'SOPClassUID' | 'PhotometricInterpretation', PixelCondition>>;
}

/** The header values pixel rules match on. */
export interface PixelSignature {
  modality: string;
  manufacturer: string;
  model: string;
  rows: number;
  columns: number;
  image_type: string;
  sop_class: string;
  photometric: string;
  transfer_syntax: string;
  burned_in_annotation: string;
  recognizable_visual_features: string;
}

/** The pixel gate's decision from the header. */
export interface PixelGate {
  class: 'pass' | 'possible' | 'carrier';
  reasons: string[];
}

/** The images of a selection the pixel gate flags (headers only). */
export declare function scanPixelGate(
  source: DeidSource,
  options?: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void; workers?: number },
): Promise<{ item: SelectionItem; signature: PixelSignature; gate: PixelGate }[]>;

/** One frame decoded by the engine for the pixel review. */
export interface PixelPreview {
  width: number;
  height: number;
  frames: number;
  frame: number;
  rgba: Uint8ClampedArray;
  info: {
    signature: PixelSignature;
    gate: PixelGate;
    /** The name of the rule that matches (the options' rules, then the defaults), or null. */
    rule: string | null;
    rule_regions: [number, number, number, number][];
    /** Text-like boxes the engine's detector finds. */
    detected: [number, number, number, number][];
  };
}

export declare function pixelPreview(item: SelectionItem, options?: { frame?: number; options?: DeidOptions | string }): Promise<PixelPreview>;

/** Pixel rules as a rules file (TOML) for the CLI's --pixel-rules. */
export declare function pixelRulesToml(rules: PixelRule[]): Promise<string>;

/** The rules of a rules file (TOML or JSON), checked. */
export declare function parsePixelRules(text: string | Blob): Promise<PixelRule[]>;
