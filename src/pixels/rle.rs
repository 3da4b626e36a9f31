//! RLE Lossless (PS3.5 Annex G): decoding and encoding one frame.

use super::PixelError;

/// Decodes one RLE frame (stub until the codec lands).
pub fn decode_frame(
    _data: &[u8],
    _rows: usize,
    _cols: usize,
    _samples: usize,
    _bits_allocated: usize,
) -> Result<Vec<u8>, PixelError> {
    Err(PixelError::Unsupported { what: "RLE".into() })
}

/// Encodes one RLE frame (stub until the codec lands).
pub fn encode_frame(
    _pixels: &[u8],
    _rows: usize,
    _cols: usize,
    _samples: usize,
    _bits_allocated: usize,
) -> Result<Vec<u8>, PixelError> {
    Err(PixelError::Unsupported { what: "RLE".into() })
}
