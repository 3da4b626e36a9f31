//! Burned-in identifiers (PS3.15 E.3.1, Clean Pixel Data Option; E.3.2 Clean Recognizable Visual
//! Features): which images may show text ([`gate`]), which regions to black out ([`rules`]), how
//! pixel data is decoded and re-encoded ([`rle`], [`jpeg`], [`jpegls`], [`j2k`], [`frames`]),
//! blacked out ([`blackout`]) and checked again ([`check`]), text segments of codestreams removed
//! ([`codestream`]); a dependency-free text detector ([`detect`])
//! for images that only *may* carry text.

pub mod blackout;
pub mod check;
pub mod clean;
pub mod codestream;
pub mod detect;
pub mod frames;
pub mod gate;
pub mod j2k;
pub mod jpeg;
pub mod jpegls;
pub mod review;
pub mod rle;
pub mod rules;

use serde::{Deserialize, Serialize};
use snafu::Snafu;

/// A rectangle of pixels: `x`, `y` of its top-left corner (column, row; 0-based) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "[u32; 4]", into = "[u32; 4]")]
pub struct Rect {
    /// First column.
    pub x: u32,
    /// First row.
    pub y: u32,
    /// Width in columns.
    pub w: u32,
    /// Height in rows.
    pub h: u32,
}

impl From<[u32; 4]> for Rect {
    fn from(a: [u32; 4]) -> Rect {
        Rect {
            x: a[0],
            y: a[1],
            w: a[2],
            h: a[3],
        }
    }
}

impl From<Rect> for [u32; 4] {
    fn from(r: Rect) -> [u32; 4] {
        [r.x, r.y, r.w, r.h]
    }
}

impl Rect {
    /// Whether the pixel at column `x`, row `y` lies inside.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && y >= self.y && (x - self.x) < self.w && (y - self.y) < self.h
    }

    /// A rectangle drawn over an image (`[x, y, width, height]` in image pixels, fractional,
    /// maybe past the edges, as the page's review draws them): its corners rounded to whole
    /// pixels (halves up) and clipped to an image of `cols` × `rows`; `None` when nothing is
    /// left or a number is not finite.
    pub fn from_drawn(drawn: [f64; 4], cols: u32, rows: u32) -> Option<Rect> {
        if drawn.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let [x, y, w, h] = drawn;
        // Rounded in f64 and clamped to the image before the cast: no overflow, no negatives.
        let at = |v: f64, max: u32| (v + 0.5).floor().clamp(0.0, f64::from(max)) as u32;
        let (x0, y0) = (at(x, cols), at(y, rows));
        let (x1, y1) = (at(x + w, cols).max(x0), at(y + h, rows).max(y0));
        (x1 > x0 && y1 > y0).then(|| Rect {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        })
    }

    /// The part of the rectangle inside an image of `cols` × `rows` (`None` when empty).
    pub fn clip(&self, cols: u32, rows: u32) -> Option<Rect> {
        let x1 = self.x.saturating_add(self.w).min(cols);
        let y1 = self.y.saturating_add(self.h).min(rows);
        (self.x < x1 && self.y < y1).then(|| Rect {
            x: self.x,
            y: self.y,
            w: x1 - self.x,
            h: y1 - self.y,
        })
    }
}

/// Why pixel data could not be decoded, cleaned or encoded.
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
pub enum PixelError {
    /// The pixel data is not what its header says (sizes, segments, markers).
    #[snafu(display("malformed pixel data: {detail}"))]
    Malformed {
        /// what is wrong
        detail: String,
    },
    /// A form of pixel data the engine cannot decode or clean (JPEG-LS, video, …).
    #[snafu(display("cannot clean {what}"))]
    Unsupported {
        /// the form
        what: String,
    },
    /// Decoding would need more memory than the engine allows for one file.
    #[snafu(display("pixel data too large to clean ({bytes} bytes decoded)"))]
    TooLarge {
        /// decoded size
        bytes: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::Rect;

    fn r(x: u32, y: u32, w: u32, h: u32) -> Option<Rect> {
        Some(Rect { x, y, w, h })
    }

    #[test]
    fn drawn_rectangles_are_rounded_and_clipped() {
        // Whole pixels inside the image stay as drawn.
        assert_eq!(
            Rect::from_drawn([10.0, 20.0, 30.0, 5.0], 640, 480),
            r(10, 20, 30, 5)
        );
        // Corners rounded halves up: 9.5 → 10, 40.4 → 40.
        assert_eq!(
            Rect::from_drawn([9.5, 0.49, 30.9, 5.0], 640, 480),
            r(10, 0, 30, 5)
        );
        // A detector box widened past the top-left corner starts at 0.
        assert_eq!(
            Rect::from_drawn([-4.0, -4.0, 20.0, 12.0], 640, 480),
            r(0, 0, 16, 8)
        );
        // Past the right and bottom edges: cut at the image.
        assert_eq!(
            Rect::from_drawn([600.0, 470.0, 100.0, 100.0], 640, 480),
            r(600, 470, 40, 10)
        );
        // Nothing left: empty, wholly outside, inverted, or not a number.
        assert_eq!(Rect::from_drawn([5.0, 5.0, 0.2, 10.0], 640, 480), None);
        assert_eq!(Rect::from_drawn([700.0, 5.0, 10.0, 10.0], 640, 480), None);
        assert_eq!(Rect::from_drawn([50.0, 5.0, -10.0, 10.0], 640, 480), None);
        assert_eq!(
            Rect::from_drawn([f64::NAN, 5.0, 10.0, 10.0], 640, 480),
            None
        );
        assert_eq!(
            Rect::from_drawn([0.0, 0.0, f64::INFINITY, 10.0], 640, 480),
            None
        );
    }
}
