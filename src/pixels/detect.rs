//! A dependency-free detector of burned-in text.

use super::Rect;

/// Boxes around text-like lines (stub until the detector lands).
pub fn text_boxes(_luma: &[u8], _width: usize, _height: usize) -> Vec<Rect> {
    Vec::new()
}

/// Windows samples to 8-bit luminance (stub until the detector lands).
pub fn luminance(
    _samples: &[u8],
    width: usize,
    height: usize,
    _components: usize,
    _bytes_per_sample: usize,
    _signed: bool,
    _invert: bool,
) -> Vec<u8> {
    vec![0; width * height]
}
