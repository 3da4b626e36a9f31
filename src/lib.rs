//! # dicom-deid
//!
//! A DICOM de-identification engine: PS3.15 Annex E (Table E.1-1, 2026c) with all its options,
//! keyed UID remapping, per-patient date shifting, research IDs from a mapping CSV, and a
//! self-check that rejects any output still holding an identifier of its input.
//!
//! The engine is pure: bytes in, bytes out. It has no file system, clock or global state,
//! and builds for `x86_64` and `wasm32-unknown-unknown`. The flow of a job is
//! scan → plan → rewrite → verify → sink ([`job::Job`]).
#![deny(missing_docs)]

pub mod archive;
pub mod audit;
pub mod charset;
pub mod codes;
pub mod config;
pub mod context;
pub mod dates;
pub mod deid;
pub mod deliver;
pub mod distribute;
pub mod error;
pub mod framing;
pub mod inspect;
pub mod job;
pub mod limits;
pub mod normalise;
pub mod padding;
pub mod phi;
pub mod pixels;
pub mod plan;
pub mod profile;
pub mod pseudonyms;
pub mod read;
pub mod recipe;
pub mod report;
pub mod scan;
pub mod statement;
pub mod structure;
#[cfg(test)]
mod typescript;
pub mod uid;
pub mod verify;
pub mod visit;

#[cfg(target_arch = "wasm32")]
pub mod web;
