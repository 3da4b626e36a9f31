//! Encapsulated JPEG frames: text segments (COM, APPn) stripped, frames decoded.
