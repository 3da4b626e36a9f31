//! Encapsulated JPEG frames: text segments (COM, APPn) stripped, frames decoded.

use super::PixelError;

/// Strips text segments (stub until the codec lands).
pub fn strip_text_segments(_frame: &[u8]) -> Result<Option<Vec<u8>>, PixelError> {
    Ok(None)
}

/// A decoded frame.
pub struct Decoded {
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
    /// Components.
    pub components: usize,
    /// 8 or 16.
    pub bits: usize,
    /// Interleaved samples, 16-bit little-endian.
    pub samples: Vec<u8>,
}

/// Decodes one frame (stub until the codec lands).
pub fn decode(_frame: &[u8], _max_bytes: usize) -> Result<Decoded, PixelError> {
    Err(PixelError::Unsupported { what: "JPEG".into() })
}
