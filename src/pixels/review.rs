//! A frame of an image as the page's pixel review shows it: decoded by the engine (native, RLE,
//! JPEG), windowed to 8-bit RGBA at full size (so that rectangles drawn on it are in image
//! pixels), with the gate's decision, the rule that matches and the detector's boxes.

use serde::Serialize;

use super::frames;
use super::gate::{gate, signature_of, Gate, Signature};
use super::rules::RuleSet;
use super::{detect, Rect};
use crate::error::Rejection;
use crate::padding::Unpadded as _;

/// What the review needs to show one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FramePreview {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Frames in the file.
    pub frames: u32,
    /// The frame shown (0-based).
    pub frame: u32,
    /// RGBA bytes, row by row (`width * height * 4`).
    #[serde(skip)]
    pub rgba: Vec<u8>,
    /// The header values the rules match on.
    pub signature: Signature,
    /// The gate's decision.
    pub gate: Gate,
    /// The rule that matches (first match), if any.
    pub rule: Option<String>,
    /// That rule's regions (clean rules).
    pub rule_regions: Vec<Rect>,
    /// Text-like lines the detector finds in the frame.
    pub detected: Vec<Rect>,
}

/// Decodes frame `frame` (clamped to the last) of a file for the review. `rules`: the rules in
/// force (the user's and the defaults), to say which matches.
pub fn frame_preview(bytes: &[u8], frame: u32, rules: &RuleSet) -> Result<FramePreview, Rejection> {
    let (obj, _) = crate::read::parse(bytes, false)?;
    let ts = obj.meta().transfer_syntax().unpadded().to_string();
    let signature = signature_of(&obj, &ts);
    let g = gate(&signature);
    let rule = rules.find(&signature);
    let cannot = |e: super::PixelError| Rejection::PixelCannotClean {
        detail: e.to_string(),
    };
    let source = frames::FrameSource::new(&obj, &ts).map_err(cannot)?;
    let geo = &source.geometry;
    let k = (frame as usize).min(source.len().saturating_sub(1));
    let f = &source.frame(k).map_err(cannot)?;
    let interleaved = frames::planar_to_interleaved(f, geo.spp, geo.bytes_per_sample());
    let luma = frames::luma_of(f, geo);
    let detected = detect::text_boxes(&luma, geo.cols, geo.rows);
    let rgba = if geo.spp == 3 && geo.bytes_per_sample() == 1 && !geo.photometric.starts_with("YBR")
    {
        interleaved
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect()
    } else {
        luma.iter().flat_map(|&v| [v, v, v, 255]).collect()
    };
    Ok(FramePreview {
        width: geo.cols as u32,
        height: geo.rows as u32,
        frames: source.len() as u32,
        frame: k as u32,
        rgba,
        rule: rule.map(|r| r.name.clone()),
        rule_regions: rule.map(|r| r.regions.clone()).unwrap_or_default(),
        signature,
        gate: g,
        detected,
    })
}
