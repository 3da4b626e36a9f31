//! Why the command-line program stops (before or while writing its outputs).

use std::path::PathBuf;

use dicom_deid::archive::output::SinkError;
use dicom_deid::config::ConfigError;
use dicom_deid::distribute::ShardError;
use dicom_deid::job::JobError;
use dicom_deid::pixels::rules::RulesError;
use dicom_deid::statement::StatementError;
use snafu::Snafu;

/// An error of the command-line program, shown as `dicom-deid: <message>` (exit status 1).
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub enum CliError {
    /// A file given on the command line cannot be read.
    #[snafu(display("cannot read {what} {}: {source}", path.display()))]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The configuration file is not valid.
    #[snafu(display("{}: {source}", path.display()))]
    ConfigFile { path: PathBuf, source: ConfigError },
    /// `--preset` names no preset.
    #[snafu(display("{source}"))]
    Preset { source: ConfigError },
    /// A pixel rules file is not valid.
    #[snafu(display("{}: {source}", path.display()))]
    PixelRules { path: PathBuf, source: RulesError },
    /// `--param` is not `NAME=VALUE`.
    #[snafu(display("--param {given:?} is not NAME=VALUE"))]
    BadParam { given: String },
    /// The recipe file is not text.
    #[snafu(display("recipe {}: not UTF-8 text", path.display()))]
    RecipeText { path: PathBuf },
    /// The recipe cannot be used (also `--explain`'s attribute).
    #[snafu(display("{detail}"))]
    Recipe { detail: String },
    /// The secret file is empty.
    #[snafu(display("secret file {} is empty", path.display()))]
    EmptySecret { path: PathBuf },
    /// No random secret can be drawn.
    #[snafu(display("cannot generate a secret: {detail}"))]
    Random { detail: String },
    /// The new secret file cannot be created.
    #[snafu(display("cannot create secret file {}: {source}", path.display()))]
    CreateSecret {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The secret file cannot be read.
    #[snafu(display("cannot read secret file {}: {source}", path.display()))]
    ReadSecret {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The job cannot start or cannot be planned.
    #[snafu(display("{source}"))]
    Job { source: JobError },
    /// `--out`, `--key` and `--log` name the same file.
    #[snafu(display("--out, --key and --log must be different files"))]
    SameOutputs,
    /// An input does not exist.
    #[snafu(display("input {} does not exist", path.display()))]
    MissingInput { path: PathBuf },
    /// An output file cannot be created.
    #[snafu(display("cannot create {}: {source}", path.display()))]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An output file cannot be written.
    #[snafu(display("cannot write {}: {source}", path.display()))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The output zip cannot be written.
    #[snafu(display("{source}"))]
    Sink { source: SinkError },
    /// A plan, a shard or the parts of a merge cannot be used.
    #[snafu(display("{source}"))]
    Shard { source: ShardError },
    /// A merge input is neither a part's zip, key nor log.
    #[snafu(display(
        "{} is not a part of a sharded run (a .zip, or a key or log CSV written by a shard)",
        path.display()
    ))]
    NotAPart { path: PathBuf },
    /// A merge lacks some part's key or log.
    #[snafu(display(
        "--merge needs every part's zip, key and log (given: {zips} zips, {keys} keys, {logs} logs)"
    ))]
    PartsMissing {
        zips: usize,
        keys: usize,
        logs: usize,
    },
    /// A part's zip is not a zip, or one of its entries cannot be found.
    #[snafu(display("part {}: {source}", path.display()))]
    PartZip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    /// An entry of a part's zip cannot be read.
    #[snafu(display("part {}: {source}", path.display()))]
    PartRead {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An entry of a part's zip is compressed (a shard stores every entry).
    #[snafu(display("part {}: entry {name} is compressed", path.display()))]
    PartCompressed { path: PathBuf, name: String },
    /// A file the parts' logs list as written is in no part's zip.
    #[snafu(display("{name} is written according to the logs but is in no part's zip"))]
    MissingEntry { name: String },
    /// A part's zip holds an entry its log does not list.
    #[snafu(display("part {}: entry {name} is not listed as written in any part's log", path.display()))]
    UnexpectedEntry { path: PathBuf, name: String },
    /// The run's time cannot be used.
    #[snafu(display("the run's time: {detail}"))]
    RunTime { detail: String },
    /// The run statement cannot be made.
    #[snafu(display("{source}"))]
    Statement { source: StatementError },
    /// A public key file that is not 64 hex digits.
    #[snafu(display("{} is not a public key (64 hex digits on its first line)", path.display()))]
    BadPublicKey { path: PathBuf },
    /// A zip given to `verify` cannot be read.
    #[snafu(display("{}: {source}", path.display()))]
    VerifyRead {
        path: PathBuf,
        source: dicom_deid::statement::received::ReadError,
    },
    /// The parts' run statements cannot make the merged one.
    #[snafu(display("{detail}"))]
    PartStatement { detail: String },
    /// A `--stow-header` (or a line of the header file) that is not `Name: value`; the value
    /// is not repeated (it may be a credential).
    #[snafu(display("{what} is not a 'Name: value' header"))]
    StowHeader { what: String },
    /// The ledger cannot be read.
    #[snafu(display("ledger {}: {source}", path.display()))]
    Ledger {
        path: PathBuf,
        source: dicom_deid::deliver::ledger::LedgerError,
    },
    /// A STOW-RS request cannot be built.
    #[snafu(display("{source}"))]
    StowRequest {
        source: dicom_deid::deliver::stow::StowError,
    },
    /// The zip to send cannot be read.
    #[snafu(display("{}: {source}", path.display()))]
    SendZip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    /// An entry of the zip to send cannot be read.
    #[snafu(display("{}: entry {name}: {source}", path.display()))]
    SendEntry {
        path: PathBuf,
        name: String,
        source: std::io::Error,
    },
    /// An entry larger than any instance the engine writes.
    #[snafu(display("{}: entry {name} of {size} bytes is larger than an instance may be", path.display()))]
    SendEntryTooLarge {
        path: PathBuf,
        name: String,
        size: u64,
    },
    /// A zip to send that does not hold against its signed run statement: refused as a whole,
    /// with `verify`'s lines.
    #[snafu(display("{}: {refusal}", path.display()))]
    SendRefused {
        path: PathBuf,
        refusal: dicom_deid::deliver::vouched::Refused,
    },
    /// An instance read to be sent that the manifest does not vouch for (the zip changed
    /// after its check): the send stops.
    #[snafu(display("{}: {source}", path.display()))]
    SendUnvouched {
        path: PathBuf,
        source: dicom_deid::deliver::vouched::Unvouched,
    },
    /// Some storable instances were not stored (the send log says which and why).
    #[snafu(display("{failed} of {storable} storable instances were not stored (see {})", log.display()))]
    NotAllStored {
        failed: usize,
        storable: usize,
        log: PathBuf,
    },
    /// `--cstore` or `--calling-aet` cannot be used.
    #[snafu(display("{detail}"))]
    CStoreTarget { detail: String },
    /// The C-STORE destination cannot be used at all (closed port, refused association).
    #[snafu(display("{detail} (the send log: {})", log.display()))]
    CStoreUnusable { detail: String, log: PathBuf },
}
