//! RLE Lossless (PS3.5 Annex G): decoding and encoding one frame.
