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
