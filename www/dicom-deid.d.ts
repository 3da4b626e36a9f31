// Types of the dicom-deid browser API (dicom-deid.js); the <dicom-deid> element's are in
// dicom-deid-element.d.ts. Plain ES modules, no build step: import them from where they are served.
// The engine's own types (the configuration, pixel rules, signatures, outcomes, log rows, error
// codes) are generated from its Rust types into engine-types.d.ts (src/typescript.rs; a test
// fails when they drift); this file only narrows them for the API.
import type {
  Config, EngineErrorCode, LogRow, Outcome, PixelCondition, PixelGate, PixelRule, PixelSignature, Preset,
  ProfileOptions as FullProfileOptions, Rect, Summary,
} from './engine-types';

export type { Config, EngineErrorCode, LogRow, Outcome, PixelCondition, PixelGate, PixelRule, PixelSignature, Preset, Rect };

/** What went wrong, as a stable code. */
export type DeidErrorCode = 'bad-options' | 'bad-mapping' | 'bad-key' | 'aborted' | 'unsupported' | 'io' | 'unvouched' | 'send';

/**
 * The only error the API throws. `code` says what kind, `message` says what happened in words
 * (the engine's own message for options, mapping and key problems: line and column included),
 * `cause` keeps the underlying error when there is one. 'unvouched': a zip to send that does
 * not hold against its signed run statement (nothing of it is sent; `problems` has
 * `dicom-deid verify`'s lines), or an instance its manifest does not list.
 */
export declare class DeidError extends Error {
  constructor(code: DeidErrorCode, message: string, options?: { cause?: unknown });
  readonly name: 'DeidError';
  readonly code: DeidErrorCode;
  /** 'unvouched': what does not hold, one line a file (as `dicom-deid verify` prints them). */
  problems?: string[];
}


/** The built-in presets. */
export declare const PRESETS: readonly Preset[];

/** PS3.15 Annex E options (the `[profile]` table of a CLI configuration file); what is not given comes from the preset. */
export type ProfileOptions = Partial<FullProfileOptions>;

/**
 * Options, with the CLI's names (the engine's Config): a preset and the keys to change on top
 * of it. Every key is optional; what is not given comes from the preset (`basic` by default).
 */
export type DeidOptions = Partial<Omit<Config, 'preset' | 'profile'>> & { preset?: Preset; profile?: ProfileOptions };

/** The full configuration: every option with its value (the engine's Config). */
export type FullOptions = Config;

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

/** Counts of a run, as the summary line of the log CSV (held: images that may show burned-in text and that no rule covers; excluded: by a pixel rule or `unreviewed_pixels: "exclude"`). */
export type DeidSummary = Summary;

/** A row of the log for a file (not written: `problems`; cleaned: `cleaned`). */
export type DeidProblem = LogRow;

/** A project secret: text (as in a secret file; trimmed), a secret file, or raw bytes. */
export type DeidSecret = string | Blob | Uint8Array | ArrayBuffer;

/** A CSV list: its text, or a File / Blob holding it. */
export type DeidCsv = string | Blob;

/**
 * What the API asks the host's presign callback, in this order:
 * - `put`: a zip of at most `partSize` bytes, sent whole: answer {url, headers?}, a presigned
 *   PutObject URL;
 * - `create`: a larger zip: create a multipart upload and answer {uploadId};
 * - `part`: answer {url, headers?}, a presigned UploadPart URL for part `partNumber` (from 1) of
 *   `uploadId` (asked again, once, when the store answers 401);
 * - `complete`: complete `uploadId` with these parts and their ETags (as the store returned
 *   them) and answer {etag}, the ETag the store gave the object (checked by the API);
 * - `abort`: the upload failed or was cancelled: abort `uploadId` (the answer is not read).
 * `md5` is the body's MD5 in hex, `contentMd5` the same in base64 (the Content-MD5 header):
 * a host that signs Content-MD5 returns it in `headers`, and the store checks the body.
 */
export type S3PresignRequest =
  | { op: 'put'; size: number; md5: string; contentMd5: string }
  | { op: 'create'; size: number; partSize: number; parts: number }
  | { op: 'part'; uploadId: string; partNumber: number; size: number; md5: string; contentMd5: string }
  | { op: 'complete'; uploadId: string; parts: { partNumber: number; etag: string }[] }
  | { op: 'abort'; uploadId: string };

/** The host's answer to a presign request (the fields of its `op`, above). */
export interface S3PresignAnswer {
  /** put, part: the presigned URL the API PUTs the bytes to. */
  url?: string;
  /** put, part: headers to send with the PUT (e.g. Content-MD5 when signed); never credentials of the host. */
  headers?: Record<string, string>;
  /** create: the upload's id. */
  uploadId?: string;
  /** complete: the ETag the store gave the completed object. */
  etag?: string;
}

/** The bounds of retrying a request (the engine's RetryPolicy; default 6 attempts, 500 ms doubled, at most 30 s). */
export interface RetryPolicy {
  max_attempts: number;
  base_delay_ms: number;
  max_delay_ms: number;
}

/**
 * S3 (or a store with S3's PUT and multipart upload): the zip is uploaded with URLs the host
 * presigns on its server (credentials never reach the page). The bucket's CORS rule must allow
 * the page's origin to PUT and expose the ETag header.
 */
export interface S3Destination {
  kind: 's3';
  presign(request: S3PresignRequest): S3PresignAnswer | void | Promise<S3PresignAnswer | void>;
  /** Bytes per part (default 16 MiB, at least 64 KiB; S3 takes 5 MiB or more but for the last part); a zip of at most this size is one PUT. */
  partSize?: number;
  retry?: RetryPolicy;
}

/** How the zip's upload ended: `done` (its ETag checked), `cancelled` or `error` (the zip stays the result; uploadToS3 or sendResult tries again). */
export interface S3Delivery {
  kind: 's3';
  state: 'done' | 'cancelled' | 'error';
  /** One PUT, or a multipart upload. */
  mode?: 'put' | 'multipart';
  /** The ETag the store gave the object (the MD5 of the zip, or of its parts' MD5s and `-N`). */
  etag?: string;
  bytes?: number;
  parts?: number;
  /** PUT requests made, retries included. */
  attempts?: number;
  seconds?: number;
  /** When state is `error`: the DeidError's code and message. */
  code?: DeidErrorCode;
  error?: string;
}

export interface DeidentifyOptions {
  source: DeidSource;
  /** Options object, or the JSON/TOML text of a CLI configuration file (default: basic). */
  options?: DeidOptions | string;
  /** Mapping CSV (MRN, Accession, New_Patient_ID, Surgery_Date, Anchor_Date, Notes). */
  mapping?: DeidCsv | null;
  /** The key CSV of an earlier batch: its patients keep their research IDs and shifts. */
  existingKey?: DeidCsv | null;
  secret: DeidSecret;
  onProgress?: (progress: DeidProgress | SendProgress) => void;
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
  /**
   * The run's date and time, recorded in the zip's run statement (default: now). The same time,
   * input, options and secret give the same zip, byte for byte (as the CLI's `--run-time`).
   */
  runTime?: Date | string;
  /**
   * Where the written instances go (after the self-check; never the key, the log or the run
   * statement): sent when the run is complete, or as they are written (`stream: true`). An S3
   * destination takes the zip instead (it holds the run statement and manifest; never the key or
   * the log), uploaded when the run is complete.
   */
  destination?: DeidDestination | null;
}

/** A DICOMweb archive that takes STOW-RS (`url`: the URL posted to, e.g. `…/dicom-web/studies`). */
export interface StowDestination {
  kind: 'stow';
  url: string;
  /** Request headers (e.g. Authorization); never written to any file or log. */
  headers?: Record<string, string>;
  /** Called for the headers before the first request, and again after one 401. */
  getHeaders?: () => Record<string, string> | Promise<Record<string, string>>;
  /** Send each instance as it is written instead of after the run. */
  stream?: boolean;
  /** Bounds of one request (default: 1,000,000 bytes, 100 instances). */
  limits?: { max_bytes?: number; max_count?: number };
  /** Retries (default: 6 attempts, backoff from 500 ms, waits at most 30 s). */
  retry?: { max_attempts: number; base_delay_ms: number; max_delay_ms: number };
}

export type DeidDestination = StowDestination | S3Destination;

/** What became of one written instance at the destination. */
export interface DeliveryResult {
  /** The instance's path in the zip. */
  path: string;
  sop_instance_uid?: string;
  sha256?: string;
  /** already_stored: the ledger holds it (same bytes); not_storable: never sent (reason). */
  status: 'stored' | 'warning' | 'failed' | 'already_stored' | 'not_storable';
  reason: string;
  size: number;
}

/** A run's sending: every instance's result and the counts. */
export interface DeidDelivery {
  url: string;
  state: 'done' | 'cancelled' | 'error';
  /** Why it ended in 'error' when the API knows ('unvouched': the zip was refused, nothing sent). */
  code?: DeidErrorCode;
  error?: string;
  results: DeliveryResult[];
  counts: {
    total: number; stored: number; warning: number; failed: number; already: number; not_storable: number;
    /** Bytes of the instances stored, and requests made (retries included). */
    bytes: number; requests: number;
  };
  seconds: number;
}

/**
 * The progress of a sending (`onProgress` with phase 'send'). To S3, the zip's parts are
 * counted (done, total, sent) and `totalBytes` is the zip's size.
 */
export interface SendProgress {
  phase: 'send';
  done: number;
  total: number;
  sent: number;
  failed: number;
  bytes: number;
  elapsed: number;
  /** Instances stored per second, and MB/s. */
  rate: number;
  mbps: number;
  totalBytes?: number;
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
  /** The written instances: their path in the zip and where their bytes are (stored entries). */
  instances: { path: string; at: number; size: number }[];
  /** The project's public key (64 hex digits) the run signed its statement with: sendResult
   * sends only a zip signed by it (a zip re-signed with another key is refused). */
  publicKey: string;
  /** The sending to `destination` (to S3: the zip's upload), or null without one. */
  delivery: DeidDelivery | S3Delivery | null;
}

/**
 * Sends a finished run's instances to `destination`: those the browser's ledger does not hold
 * as stored there (so a second call sends the failed ones only), and only what the zip's
 * signed statement and manifest vouch for: rejects with 'unvouched' (nothing sent) otherwise.
 */
export declare function sendResult(
  result: DeidResult,
  options: { destination: DeidDestination; signal?: AbortSignal; onProgress?: (progress: SendProgress) => void },
): Promise<DeidDelivery | S3Delivery>;

/** De-identifies a source into a zip, a key and a log, exactly as the CLI does. */
export declare function deidentify(options: DeidentifyOptions): Promise<DeidResult>;

/**
 * Uploads a zip (deidentify()'s) to S3 with the host's presigned URLs, every ETag checked;
 * rejects with 'unvouched' (the zip does not hold against its signed statement: nothing is
 * uploaded), 'send' (the delivery failed) or 'aborted'.
 */
export declare function uploadToS3(
  zip: Blob,
  destination: S3Destination,
  options?: {
    signal?: AbortSignal;
    onProgress?: (progress: SendProgress) => void;
    /** The project's public key (text, File or Blob; deidentify()'s `publicKey`): the zip must be signed by it. */
    publicKey?: string | Blob;
  },
): Promise<S3Delivery>;

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
 * the starting preset when the options name none (default 'basic'). `recipe` (its text): the
 * preset named by its base, then its settings, then the options' keys (as the CLI's --recipe
 * under --config); the recipe itself is not added to the result.
 */
export declare function checkOptions(options: DeidOptions | string, preset?: Preset, recipe?: string): Promise<FullOptions>;

/** The recipe text (TOML) of a preset, as shipped with the engine: a site's recipe starts from it. */
export declare function presetRecipe(name: Preset): Promise<string>;

/** Checks a mapping and/or key CSV; rejects with 'bad-options', 'bad-mapping' or 'bad-key'. */
export declare function checkLists(lists: { options?: DeidOptions | string; mapping?: DeidCsv | null; existingKey?: DeidCsv | null }): Promise<void>;

/** A new random secret: 64 hexadecimal characters (the CLI's secret-file format). */
export declare function generateSecret(): string;

/** The secret in a secret file (UTF-8 text, trimmed, as the CLI reads --secret-file). */
export declare function readSecretFile(file: Blob): Promise<string>;

/** First 4 bytes of the SHA-256 of a secret, in hex: the same fingerprint means the same secret. */
export declare function secretFingerprint(secret: DeidSecret): Promise<string>;

/** One row of a recipe's import report. */
export interface RecipeReportRow {
  source: string;
  construct: string;
  status: 'imported' | 'approximated' | 'unsupported' | 'ignored';
  detail: string;
}

/** What a recipe is, before the run (recipeInfo). */
export interface RecipeInfo {
  format: 'ctp' | 'deid' | 'native';
  name: string;
  base: Preset | null;
  /** The settings it gives the job (a configuration's keys: profile, patient_name, keep_list…). */
  settings: Partial<FullOptions>;
  params: { name: string; description: string; default: string | null }[];
  report: { format: string; rows: RecipeReportRow[]; unkeyed_md5: boolean } | null;
  counts: { imported: number; approximated: number; unsupported: number; ignored: number } | null;
  /** The report lists unsupported rows: the options need `accept_import_report: true`. */
  needs_acceptance: boolean;
  /** The recipe uses CTP's unkeyed MD5 pseudonyms (reversible by dictionary attack, PS3.15 E.1.1). */
  unkeyed_md5: boolean;
  /** SHA-256 of the recipe as the run statement records it. */
  sha256: string;
}

/** Reads a recipe (text, File or Blob) of any format; rejects with 'bad-options'. */
export declare function recipeInfo(recipe: string | Blob): Promise<RecipeInfo>;

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
  rejection: { code: string; outcome: Outcome; message: string } | null;
  thumb: { width: number; height: number; rgba: Uint8Array } | null;
  /** Who decides each top-level attribute, by path `(gggg,eeee)`: the recipe's rule or the profile's row (the CLI's --explain). */
  why: Record<string, string>;
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

/** The images of a selection the pixel gate flags (headers only). */
export declare function scanPixelGate(
  source: DeidSource,
  options?: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void; workers?: number },
): Promise<{ item: SelectionItem; signature: PixelSignature; gate: PixelGate }[]>;

/** An attribute found by the audit, with what the run does with it and the rule that decides. */
export interface AuditAttribute {
  /** `(gggg,eeee)`. */
  tag: string;
  keyword: string;
  /** Files in which it occurs (at the top level, or in sequences for `nested_attributes`). */
  files: number;
  action: 'kept' | 'removed' | 'emptied' | 'replaced' | 'uid replaced' | 'cleaned';
  rule: string;
}

/** The audit's summary (audit-summary.json; no PHI). */
export interface AuditSummary {
  format: string;
  files: number;
  patients: number;
  studies: number;
  series: number;
  modalities: Record<string, number>;
  sop_classes: Record<string, number>;
  transfer_syntaxes: Record<string, number>;
  /** Files by the outcome the run will give them (the log's outcome names). */
  outcomes: Record<string, number>;
  /** Files not written, by reason code. */
  reasons: Record<string, number>;
  pixel_review_pending: number;
  attributes: AuditAttribute[];
  nested_attributes: AuditAttribute[];
  private_creators: { group: string; creator: string; files: number; elements: number; action: string }[];
  date_shift_days: [number, number] | null;
  research_ids: number;
  risk: {
    quasi_identifiers: string[];
    patients: number;
    classes: number;
    k: number;
    unique_patients: number;
    unique_by: Record<string, number>;
  };
}

/** The audit of a selection: the summary and the texts of the CLI's three files. */
export interface DeidAudit {
  summary: AuditSummary;
  /** audit-summary.json (no PHI), the CLI's bytes. */
  summaryJson: string;
  /** audit-summary.html (no PHI). */
  summaryHtml: string;
  /** audit-detail.csv: PHI, one row per file; keep it apart like the key. */
  detailCsv: string;
}

/** The audit (the CLI's --audit): a dry run over the selection; nothing is written. */
export declare function auditSource(options: Omit<DeidentifyOptions, 'onProgress' | 'output' | 'readOnceBytes' | 'runTime'> & {
  onProgress?: (p: { phase: 'audit'; done: number; total: number; bytes: number; totalBytes: number }) => void;
}): Promise<DeidAudit>;

/** What the check of a received zip found (the CLI's `dicom-deid verify`). */
export interface ZipVerdict {
  ok: boolean;
  /** One line per problem, each naming the file (the CLI's words); empty when ok. */
  problems: string[];
  /** When ok: the signing key's fingerprint, the entries checked and the run's time. */
  keyFingerprint?: string;
  entries?: number;
  runTime?: string;
  /** Whether a public key was given (else only the statement's own key was used). */
  keyGiven: boolean;
  /** Bytes hashed. */
  bytes: number;
}

/** Checks a received zip against its signed run statement (optionally the project's public key). */
export declare function verifyZip(zip: Blob, options?: { publicKey?: string | Blob | null }): Promise<ZipVerdict>;

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
    rule_regions: Rect[];
    /** Text-like boxes the engine's detector finds. */
    detected: Rect[];
  };
}

export declare function pixelPreview(item: SelectionItem, options?: { frame?: number; options?: DeidOptions | string }): Promise<PixelPreview>;

/** Pixel rules as a rules file (TOML) for the CLI's --pixel-rules. */
export declare function pixelRulesToml(rules: PixelRule[]): Promise<string>;

/** The rules of a rules file (TOML or JSON), checked. */
export declare function parsePixelRules(text: string | Blob): Promise<PixelRule[]>;

/**
 * The first of `rules` that matches an image's signature, or undefined: the engine's own
 * matching (the CLI's). Synchronous, once the engine is loaded (else DeidError 'unsupported').
 */
export declare function firstMatchingRule(rules: PixelRule[], signature: PixelSignature): PixelRule | undefined;

/**
 * Rectangles drawn over an image ([x, y, width, height], fractional, maybe past the edges) as a
 * pixel rule's regions: rounded to whole pixels and clipped to width × height by the engine,
 * empty ones dropped. Synchronous, once the engine is loaded (else DeidError 'unsupported').
 */
export declare function clipRegions(rects: readonly (readonly number[])[], width: number, height: number): Rect[];
