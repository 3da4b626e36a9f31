//! Zip archives: reading inputs (with limits against hostile archives) and writing the
//! de-identified output as a deterministic streaming zip (stored entries, fixed timestamps,
//! Zip64 when needed).

pub mod input;
pub mod output;
