//! A dependency-free detector of burned-in text.
