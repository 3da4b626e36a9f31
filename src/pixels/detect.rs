//! A dependency-free detector of burned-in text.
//!
//! [`text_boxes`] finds lines of text-like marks in an 8-bit luminance image; [`luminance`]
//! windows a frame of DICOM samples to such an image. The engine uses it to decide whether an
//! image that only *may* carry text (a derived reformat, a dose screen, a screen save) does.
//!
//! How (all integer arithmetic, so native and wasm32 give the same boxes):
//!
//! 1. For each polarity (bright marks on darker ground, then dark marks on lighter ground), a
//!    morphological top-hat: the image minus its opening by an 11×11 square. It keeps what is
//!    thinner than 11 px (glyph strokes) and drops what is wider (anatomy, ground, gradients).
//! 2. The top-hat is thresholded per 32×32 tile at `max(40, 3 × tile median + 12)`: noise or
//!    speckle raise the threshold where they are, text on a clean ground keeps it at 40.
//! 3. 8-connected components (iterative, no recursion) are kept as glyphs when their height is
//!    6 px to a tenth of the image's larger side (16–64 px), they hold at least one stroke's
//!    worth of pixels, and they are stroke-like rather than blobs (at most 3/4 of their box
//!    filled unless a thin bar, at most 4/5 of their pixels interior, stroke width estimated as
//!    2 × pixels / boundary pixels at most 0.4 × height). A component wider than twice its
//!    height (touching letters) counts as several glyphs only when a row crosses ≥ 4 strokes.
//! 4. Glyphs whose heights are within a factor 2, that share a top or a bottom line (± height/6)
//!    and lie within 2 heights of each other are grouped into lines. A line is text when it has
//!    at least 3 glyphs, two of them as close as letters of a word (gap ≤ height/2), it is not
//!    much taller than its tallest glyph (not a chain along a curve), and its box is not noisy:
//!    pixels just under the threshold (top-hat ≥ threshold/2) are at most a third of the
//!    foreground, and the foreground fills at most 3/4 of the box. Boxes are padded by 2 px,
//!    clipped, and overlapping ones merged.

use super::Rect;

/// Radius of the square opening of the top-hat (strokes up to `2 * RADIUS` px survive).
const RADIUS: usize = 5;
/// Lowest top-hat threshold (contrast of a stroke against its ground, 0–255).
const T_MIN: u32 = 40;
/// Side of the tiles over which the threshold adapts to noise.
const TILE: usize = 32;
/// Glyph heights accepted, in pixels.
const MIN_H: usize = 6;
/// See [`MIN_H`].
const MAX_H: usize = 64;
/// Glyphs a line needs to count as text.
const MIN_GLYPHS: usize = 3;
/// Padding added around each line's box.
const PAD: u32 = 2;
/// Upper bound on the neighbours examined per glyph when grouping (keeps grouping linear).
const MAX_LOOKAHEAD: usize = 512;

/// Boxes around text-like lines found in an 8-bit luminance image (row-major, `width*height`
/// bytes, 0 = black).
///
/// Empty when nothing text-like is found, or when `luma.len() != width * height`, or the image
/// is smaller than 8×8 or larger than `u32` coordinates. Boxes are sorted by row, then column,
/// padded by 2 px and clipped to the image; overlapping boxes are merged.
pub fn text_boxes(luma: &[u8], width: usize, height: usize) -> Vec<Rect> {
    let n = match width.checked_mul(height) {
        Some(n) if n == luma.len() => n,
        _ => return Vec::new(),
    };
    if width < 8 || height < 8 || u32::try_from(width).is_err() || u32::try_from(height).is_err() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut work = Work::new(n);
    lines_of(luma, width, height, &mut work, &mut found);
    let inverted: Vec<u8> = luma.iter().map(|&v| 255 - v).collect();
    lines_of(&inverted, width, height, &mut work, &mut found);
    finish(found, width as u32, height as u32)
}

/// How the samples of one frame are laid out, for [`luminance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleLayout {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Samples per pixel (1 or 3, interleaved).
    pub components: usize,
    /// Bytes per sample (1 or 2, little endian).
    pub bytes_per_sample: usize,
    /// Two's complement samples.
    pub signed: bool,
    /// MONOCHROME1: the lowest value is white.
    pub invert: bool,
}

impl SampleLayout {
    /// Unsigned grey samples, not inverted.
    pub fn grey(width: usize, height: usize, bytes_per_sample: usize) -> SampleLayout {
        SampleLayout {
            width,
            height,
            components: 1,
            bytes_per_sample,
            signed: false,
            invert: false,
        }
    }
}

/// Windows a frame of samples to 8-bit luminance for [`text_boxes`].
///
/// `samples` are little-endian ([`SampleLayout`]): `bytes_per_sample` 1 or 2, `signed` two's complement,
/// `components` 1 or 3 (interleaved, planar configuration 0; colour becomes its brightest
/// channel, so that saturated blue or red text stands out as much as white text). The values are windowed to their own min/max over the frame
/// (a flat frame gives 0), and `invert` (MONOCHROME1) turns 0 into 255. Only the first
/// `width * height * components * bytes_per_sample` bytes are read (trailing padding or further
/// frames are ignored); fewer bytes than that, or other parameters, give an empty result.
pub fn luminance(samples: &[u8], layout: SampleLayout) -> Vec<u8> {
    let SampleLayout {
        width,
        height,
        components,
        bytes_per_sample,
        signed,
        invert,
    } = layout;
    if !(components == 1 || components == 3) || !(bytes_per_sample == 1 || bytes_per_sample == 2) {
        return Vec::new();
    }
    let n = match width.checked_mul(height) {
        Some(n) if n > 0 => n,
        _ => return Vec::new(),
    };
    let need = n
        .checked_mul(components)
        .and_then(|v| v.checked_mul(bytes_per_sample));
    let data = match need {
        Some(need) if samples.len() >= need => &samples[..need],
        _ => return Vec::new(),
    };
    let raw: Vec<i32> = match (bytes_per_sample, signed) {
        (1, false) => data.iter().map(|&b| i32::from(b)).collect(),
        (1, true) => data.iter().map(|&b| i32::from(b as i8)).collect(),
        (_, false) => data
            .chunks_exact(2)
            .map(|c| i32::from(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        (_, true) => data
            .chunks_exact(2)
            .map(|c| i32::from(i16::from_le_bytes([c[0], c[1]])))
            .collect(),
    };
    let values: Vec<i32> = if components == 1 {
        raw
    } else {
        raw.chunks_exact(3)
            .map(|p| p[0].max(p[1]).max(p[2]))
            .collect()
    };
    let lo = values.iter().copied().min().unwrap_or(0);
    let hi = values.iter().copied().max().unwrap_or(0);
    let range = i64::from(hi) - i64::from(lo);
    values
        .iter()
        .map(|&v| {
            let g = if range > 0 {
                ((i64::from(v) - i64::from(lo)) * 255 / range) as u8
            } else {
                0
            };
            if invert {
                255 - g
            } else {
                g
            }
        })
        .collect()
}

/// Buffers reused between the two polarities.
struct Work {
    tophat: Vec<u8>,
    mask: Vec<bool>,
    labels: Vec<u32>,
    stack: Vec<usize>,
}

impl Work {
    fn new(n: usize) -> Work {
        Work {
            tophat: Vec::with_capacity(n),
            mask: Vec::with_capacity(n),
            labels: Vec::with_capacity(n),
            stack: Vec::new(),
        }
    }
}

/// A connected component of the foreground mask.
#[derive(Debug, Clone, Copy)]
struct Comp {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    count: usize,
    interior: usize,
}

impl Comp {
    fn w(&self) -> usize {
        self.x1 - self.x0 + 1
    }
    fn h(&self) -> usize {
        self.y1 - self.y0 + 1
    }
}

/// A glyph-like component: its box and how many glyphs it stands for.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    weight: usize,
}

impl Glyph {
    fn h(&self) -> usize {
        self.y1 - self.y0 + 1
    }
}

/// Text lines of one polarity (bright marks on darker ground) of `img`, appended to `out` as
/// unpadded boxes `[x0, y0, x1, y1]` (inclusive).
fn lines_of(img: &[u8], w: usize, h: usize, work: &mut Work, out: &mut Vec<[usize; 4]>) {
    let open = opening(img, w, h, RADIUS);
    work.tophat.clear();
    work.tophat
        .extend(img.iter().zip(&open).map(|(&a, &b)| a.saturating_sub(b)));
    drop(open);
    let thr = tile_thresholds(&work.tophat, w, h);
    let tiles_x = w.div_ceil(TILE);
    let threshold_at = |x: usize, y: usize| thr[(y / TILE) * tiles_x + x / TILE];
    work.mask.clear();
    for y in 0..h {
        let row = &work.tophat[y * w..(y + 1) * w];
        let tr = &thr[(y / TILE) * tiles_x..(y / TILE + 1) * tiles_x];
        for (chunk, &t) in row.chunks(TILE).zip(tr) {
            // thresholds above 255 let nothing through
            let t = t.min(256) as u16;
            work.mask.extend(chunk.iter().map(|&v| u16::from(v) >= t));
        }
    }
    let comps = components(&work.mask, w, h, &mut work.labels, &mut work.stack);
    // glyphs are at most a tenth of the image's larger side (at least 16 px, at most 64)
    let max_h = (w.max(h) / 10).clamp(16, MAX_H);
    let mut glyphs = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        if let Some(weight) = glyph_weight(c, &work.labels, w, i as u32 + 1, max_h) {
            glyphs.push(Glyph {
                x0: c.x0,
                y0: c.y0,
                x1: c.x1,
                y1: c.y1,
                weight,
            });
        }
    }
    for line in group(&mut glyphs) {
        if clean_line(&line, &work.tophat, &work.mask, w, &threshold_at) {
            out.push(line);
        }
    }
}

/// Grey-level opening (erosion then dilation) by a `(2r+1)²` square; outside the image counts
/// as neutral, so the opening never exceeds the image.
///
/// The image is copied into a frame with `r` pixels of padding on every side, so that a window
/// along the flat buffer (step 1 for rows, the padded width for columns) never mixes pixels of
/// the image with pixels of another row or column; each 1-D window is then a few element-wise
/// min/max passes over shifted copies of the whole buffer (doubling spans), which vectorise.
fn opening(img: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    let (pw, ph) = (w + 2 * r, h + 2 * r);
    let k = 2 * r + 1;
    let mut a = vec![u8::MAX; pw * ph];
    for y in 0..h {
        a[(y + r) * pw + r..(y + r) * pw + r + w].copy_from_slice(&img[y * w..(y + 1) * w]);
    }
    let mut b = vec![0u8; pw * ph];
    let mut c = vec![0u8; pw * ph];
    window::<true>(&mut a, &mut b, &mut c, 1, k);
    window::<true>(&mut a, &mut b, &mut c, pw, k);
    // padding becomes neutral for the dilation
    a[..r * pw].fill(0);
    a[(r + h) * pw..].fill(0);
    for y in r..r + h {
        a[y * pw..y * pw + r].fill(0);
        a[y * pw + r + w..(y + 1) * pw].fill(0);
    }
    window::<false>(&mut a, &mut b, &mut c, 1, k);
    window::<false>(&mut a, &mut b, &mut c, pw, k);
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        out.extend_from_slice(&a[(y + r) * pw + r..(y + r) * pw + r + w]);
    }
    out
}

/// Replaces `a[i]` by the min (`MIN`) or max of the `k` (odd) values `a[i + j*step]`,
/// `j = -(k/2) ..= k/2`, wherever that window lies inside `a` (elsewhere `a` is left as is);
/// `b` and `c` are scratch of the same length.
fn window<const MIN: bool>(a: &mut [u8], b: &mut [u8], c: &mut [u8], step: usize, k: usize) {
    let n = a.len();
    if k < 2 || (k - 1) * step >= n {
        return;
    }
    let op = |x: u8, y: u8| if MIN { x.min(y) } else { x.max(y) };
    // cur[i] = op of a[i], a[i + step], …, a[i + (span-1)*step]
    b.copy_from_slice(a);
    let (mut cur, mut next) = (b, c);
    let mut span = 1;
    while span * 2 <= k {
        let d = span * step;
        for (o, (&x, &y)) in next[..n - d]
            .iter_mut()
            .zip(cur[..n - d].iter().zip(&cur[d..]))
        {
            *o = op(x, y);
        }
        std::mem::swap(&mut cur, &mut next);
        span *= 2;
    }
    // the window [i, i + (k-1)*step] is the union of two spans; its centre is i + (k/2)*step
    let (e, off, m) = ((k - span) * step, (k / 2) * step, n - (k - 1) * step);
    for (o, (&x, &y)) in a[off..off + m]
        .iter_mut()
        .zip(cur[..m].iter().zip(&cur[e..e + m]))
    {
        *o = op(x, y);
    }
}

/// Per-tile thresholds on the top-hat: `max(T_MIN, 3 × median + 12)`, row-major over tiles.
fn tile_thresholds(tophat: &[u8], w: usize, h: usize) -> Vec<u32> {
    let (tx, ty) = (w.div_ceil(TILE), h.div_ceil(TILE));
    let mut thr = Vec::with_capacity(tx * ty);
    let mut hist = [0u32; 256];
    for j in 0..ty {
        for i in 0..tx {
            hist.fill(0);
            let (x0, x1) = (i * TILE, ((i + 1) * TILE).min(w));
            let (y0, y1) = (j * TILE, ((j + 1) * TILE).min(h));
            for y in y0..y1 {
                for &v in &tophat[y * w + x0..y * w + x1] {
                    hist[usize::from(v)] += 1;
                }
            }
            let half = ((x1 - x0) * (y1 - y0)).div_ceil(2) as u32;
            let mut seen = 0;
            let mut median = 0u32;
            for (v, &c) in hist.iter().enumerate() {
                seen += c;
                if seen >= half {
                    median = v as u32;
                    break;
                }
            }
            thr.push(T_MIN.max(3 * median + 12));
        }
    }
    thr
}

/// 8-connected components of `mask`; `labels` gets 1-based component numbers (0 = ground).
fn components(
    mask: &[bool],
    w: usize,
    h: usize,
    labels: &mut Vec<u32>,
    stack: &mut Vec<usize>,
) -> Vec<Comp> {
    labels.clear();
    labels.resize(mask.len(), 0);
    let mut comps = Vec::new();
    let fg = |x: usize, y: usize| mask[y * w + x];
    for start in 0..mask.len() {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        let Ok(label) = u32::try_from(comps.len() + 1) else {
            break;
        };
        let (sx, sy) = (start % w, start / w);
        let mut c = Comp {
            x0: sx,
            y0: sy,
            x1: sx,
            y1: sy,
            count: 0,
            interior: 0,
        };
        labels[start] = label;
        stack.clear();
        stack.push(start);
        while let Some(p) = stack.pop() {
            let (x, y) = (p % w, p / w);
            c.count += 1;
            c.x0 = c.x0.min(x);
            c.x1 = c.x1.max(x);
            c.y0 = c.y0.min(y);
            c.y1 = c.y1.max(y);
            if x > 0
                && x + 1 < w
                && y > 0
                && y + 1 < h
                && fg(x - 1, y)
                && fg(x + 1, y)
                && fg(x, y - 1)
                && fg(x, y + 1)
            {
                c.interior += 1;
            }
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let q = ny * w + nx;
                    if mask[q] && labels[q] == 0 {
                        labels[q] = label;
                        stack.push(q);
                    }
                }
            }
        }
        comps.push(c);
    }
    comps
}

/// How many glyphs component `c` (label `label`) stands for, or `None` when it is not glyph-like.
fn glyph_weight(c: &Comp, labels: &[u32], w: usize, label: u32, max_h: usize) -> Option<usize> {
    let (cw, ch) = (c.w(), c.h());
    if !(MIN_H..=max_h).contains(&ch) || c.count < ch {
        return None;
    }
    let area = cw * ch;
    // solid blobs: more than 3/4 of the box filled, unless a thin bar (l, I, 1)
    if c.count * 4 > area * 3 && cw * 3 > ch {
        return None;
    }
    // thick strokes: more than 4/5 of the pixels are interior, or the stroke width estimated as
    // 2 × pixels / boundary pixels is over 0.4 × the height (discs, blobs)
    let boundary = c.count - c.interior;
    if c.interior * 5 > c.count * 4 || c.count * 5 > ch * boundary {
        return None;
    }
    if cw <= 2 * ch {
        return Some(1);
    }
    if cw > 20 * ch {
        return None;
    }
    // touching letters: count the strokes crossed by rows at 1/3, 1/2 and 2/3 of the height
    let crossings = [ch / 3, ch / 2, 2 * ch / 3]
        .iter()
        .map(|&dy| {
            let row = &labels[(c.y0 + dy) * w + c.x0..=(c.y0 + dy) * w + c.x1];
            let mut runs = 0;
            let mut inside = false;
            for &l in row {
                let on = l == label;
                if on && !inside {
                    runs += 1;
                }
                inside = on;
            }
            runs
        })
        .max()
        .unwrap_or(0);
    // a word has about two strokes per letter, a letter is about 0.6 heights wide
    let letters = cw * 10 / (ch * 6);
    if crossings * 2 >= letters && crossings >= 4 {
        Some(letters.min(crossings).max(2))
    } else {
        None
    }
}

/// Union-find root with path halving.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Groups glyphs into lines; returns the boxes `[x0, y0, x1, y1]` of lines of at least
/// [`MIN_GLYPHS`] glyphs.
fn group(glyphs: &mut [Glyph]) -> Vec<[usize; 4]> {
    glyphs.sort_by_key(|g| (g.x0, g.y0, g.x1, g.y1));
    let n = glyphs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let max_reach = 2 * MAX_H + 1;
    // whether a group holds two glyphs as close as letters of a word (or a run of touching ones)
    let mut tight: Vec<bool> = glyphs.iter().map(|g| g.weight >= 2).collect();
    for i in 0..n {
        let a = glyphs[i];
        for (j, b) in glyphs.iter().enumerate().skip(i + 1).take(MAX_LOOKAHEAD) {
            if b.x0 > a.x1 + max_reach {
                break;
            }
            let (ha, hb) = (a.h(), b.h());
            let (hmin, hmax) = (ha.min(hb), ha.max(hb));
            if hmax > 2 * hmin {
                continue;
            }
            let gap = b.x0.saturating_sub(a.x1 + 1);
            if gap > 2 * hmax + 1 {
                continue;
            }
            let tol = hmax / 6 + 1;
            let tops = a.y0.abs_diff(b.y0) <= tol;
            let bottoms = a.y1.abs_diff(b.y1) <= tol;
            let overlap = a.y1.min(b.y1) as isize - a.y0.max(b.y0) as isize + 1;
            if !(tops || bottoms) || overlap * 2 < hmin as isize {
                continue;
            }
            // stacked rather than side by side
            let xover = a.x1.min(b.x1) as isize - b.x0 as isize + 1;
            let wmin = (a.x1 - a.x0 + 1).min(b.x1 - b.x0 + 1) as isize;
            if xover * 2 > wmin {
                continue;
            }
            let (ra, rb) = (root(&mut parent, i), root(&mut parent, j));
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            parent[hi] = lo;
            tight[lo] |= tight[hi] || gap <= hmax / 2 + 1;
        }
    }
    // per group: box, glyph count, tallest glyph
    let mut acc: Vec<Option<([usize; 4], usize, usize)>> = vec![None; n];
    for (i, &g) in glyphs.iter().enumerate() {
        let r = root(&mut parent, i);
        acc[r] = Some(match acc[r] {
            None => ([g.x0, g.y0, g.x1, g.y1], g.weight, g.h()),
            Some((b, k, hmax)) => (
                [
                    b[0].min(g.x0),
                    b[1].min(g.y0),
                    b[2].max(g.x1),
                    b[3].max(g.y1),
                ],
                k + g.weight,
                hmax.max(g.h()),
            ),
        });
    }
    // a line is about as tall as its tallest glyph (a chain drifting along a curve is not)
    acc.into_iter()
        .zip(tight)
        .filter_map(|(a, tight)| {
            let (b, k, hmax) = a?;
            let straight = b[3] - b[1] < hmax + hmax / 2;
            (tight && straight && k >= MIN_GLYPHS).then_some(b)
        })
        .collect()
}

/// Whether a candidate line stands out from its ground: within its box, pixels that are almost
/// foreground (top-hat at least half the threshold, but under it) must be at most a third of the
/// foreground (in noise and anatomy they are about as many), and the foreground must not fill
/// more than 3/4 of the box.
fn clean_line(
    b: &[usize; 4],
    tophat: &[u8],
    mask: &[bool],
    w: usize,
    threshold_at: &impl Fn(usize, usize) -> u32,
) -> bool {
    let (mut fg, mut almost, mut all) = (0usize, 0usize, 0usize);
    for y in b[1]..=b[3] {
        for x in b[0]..=b[2] {
            let i = y * w + x;
            all += 1;
            if mask[i] {
                fg += 1;
            } else if 2 * u32::from(tophat[i]) >= threshold_at(x, y) {
                almost += 1;
            }
        }
    }
    3 * almost <= fg && fg * 4 <= all * 3
}

/// Pads, clips, merges overlapping boxes and sorts them.
fn finish(found: Vec<[usize; 4]>, w: u32, h: u32) -> Vec<Rect> {
    let mut boxes: Vec<[u32; 4]> = found
        .iter()
        .map(|b| {
            let x0 = (b[0] as u32).saturating_sub(PAD);
            let y0 = (b[1] as u32).saturating_sub(PAD);
            let x1 = (b[2] as u32).saturating_add(PAD).min(w - 1);
            let y1 = (b[3] as u32).saturating_add(PAD).min(h - 1);
            [x0, y0, x1, y1]
        })
        .collect();
    // merge overlapping boxes until stable (a pass absorbs all it can into each box)
    let mut merged = true;
    while merged {
        merged = false;
        let mut i = 0;
        while i < boxes.len() {
            let mut j = i + 1;
            while j < boxes.len() {
                let (a, b) = (boxes[i], boxes[j]);
                if a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3] {
                    boxes[i] = [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ];
                    boxes.swap_remove(j);
                    merged = true;
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
    }
    let mut out: Vec<Rect> = boxes
        .iter()
        .map(|b| Rect {
            x: b[0],
            y: b[1],
            w: b[2] - b[0] + 1,
            h: b[3] - b[1] + 1,
        })
        .collect();
    out.sort_by_key(|r| (r.y, r.x, r.h, r.w));
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 5×7 bitmap font (rows top to bottom, bit 4 = leftmost column).
    fn glyph(c: char) -> [u8; 7] {
        match c {
            'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
            'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
            'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
            'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
            'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
            'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
            'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
            'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
            'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
            'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
            'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
            'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
            'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
            'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
            'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
            'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
            'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
            'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
            'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
            'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
            'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
            'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
            'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
            'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
            'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
            'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
            '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
            '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
            '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
            '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
            '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
            '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
            '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
            '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
            '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
            '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
            '^' => [0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00],
            '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
            '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
            ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
            '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
            _ => [0; 7],
        }
    }

    /// A grey image (row-major bytes), with text drawn in a 5×7 bitmap font; the pixel tests
    /// of other modules draw with it too.
    pub(crate) struct Img {
        pub(crate) w: usize,
        pub(crate) h: usize,
        pub(crate) px: Vec<u8>,
    }

    impl Img {
        pub(crate) fn new(w: usize, h: usize, v: u8) -> Img {
            Img {
                w,
                h,
                px: vec![v; w * h],
            }
        }

        /// Draws `text` at (x, y) with `scale`; returns the positions of its lit pixels.
        pub(crate) fn text(
            &mut self,
            text: &str,
            x: usize,
            y: usize,
            scale: usize,
            v: u8,
        ) -> Vec<(usize, usize)> {
            let mut lit = Vec::new();
            for (k, c) in text.chars().enumerate() {
                let g = glyph(c);
                for (row, bits) in g.iter().enumerate() {
                    for col in 0..5 {
                        if bits & (0x10 >> col) == 0 {
                            continue;
                        }
                        for dy in 0..scale {
                            for dx in 0..scale {
                                let px = x + (k * 6 + col) * scale + dx;
                                let py = y + row * scale + dy;
                                if px < self.w && py < self.h {
                                    self.px[py * self.w + px] = v;
                                    lit.push((px, py));
                                }
                            }
                        }
                    }
                }
            }
            lit
        }

        /// Adds uniform noise in `[-amp, amp]`.
        fn noise(&mut self, amp: i32, rng: &mut Rng) {
            if amp == 0 {
                return;
            }
            for p in &mut self.px {
                let d = (rng.next() % (2 * amp as u32 + 1)) as i32 - amp;
                *p = (i32::from(*p) + d).clamp(0, 255) as u8;
            }
        }

        /// 3×3 box blur (anti-aliased look).
        fn blur(&mut self) {
            let src = self.px.clone();
            for y in 1..self.h - 1 {
                for x in 1..self.w - 1 {
                    let mut s = 0u32;
                    for dy in 0..3 {
                        for dx in 0..3 {
                            s += u32::from(src[(y + dy - 1) * self.w + x + dx - 1]);
                        }
                    }
                    self.px[y * self.w + x] = (s / 9) as u8;
                }
            }
        }

        fn boxes(&self) -> Vec<Rect> {
            text_boxes(&self.px, self.w, self.h)
        }
    }

    /// xorshift32.
    struct Rng(u32);

    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0
        }
    }

    fn assert_covered(boxes: &[Rect], lit: &[(usize, usize)], what: &str) {
        let missed = lit
            .iter()
            .filter(|&&(x, y)| !boxes.iter().any(|b| b.contains(x as u32, y as u32)))
            .count();
        assert!(
            missed == 0,
            "{what}: {missed} of {} text pixels outside {boxes:?}",
            lit.len()
        );
    }

    const SAMPLES: [&str; 3] = [
        "DOE^JOHN 12345678 19700101",
        "ID: 0042-7781/B",
        "ACC.NO 987 W",
    ];

    #[test]
    fn white_on_black_at_several_scales() {
        for scale in 1..=4 {
            for text in SAMPLES {
                let mut img = Img::new(40 + 30 * 6 * scale, 40 + 8 * scale, 0);
                let lit = img.text(text, 20, 20, scale, 255);
                let boxes = img.boxes();
                assert_covered(&boxes, &lit, &format!("{text} ×{scale}"));
                assert!(boxes.len() <= 2, "{text} ×{scale}: {boxes:?}");
                for b in &boxes {
                    assert!(b.h as usize <= 7 * scale + 2 * PAD as usize + 2, "{b:?}");
                }
            }
        }
    }

    #[test]
    fn several_lines_on_an_image_corner() {
        let mut rng = Rng(7);
        let mut img = Img::new(512, 512, 0);
        // anatomy: a bright noisy disc in the middle
        for y in 0..512 {
            for x in 0..512 {
                let (dx, dy) = (x as i64 - 300, y as i64 - 300);
                if dx * dx + dy * dy < 180 * 180 {
                    img.px[y * 512 + x] = 140;
                }
            }
        }
        img.noise(12, &mut rng);
        let mut lit = img.text("DOE^JOHN", 8, 8, 2, 230);
        lit.extend(img.text("MRN 12345678", 8, 26, 2, 230));
        lit.extend(img.text("DOB 1970/01/01", 8, 44, 2, 230));
        let boxes = img.boxes();
        assert_covered(&boxes, &lit, "corner");
        for b in &boxes {
            assert!(b.y < 70 && b.x < 200, "stray box {b:?}");
        }
    }

    #[test]
    fn grey_on_noisy_grey() {
        for (scale, amp) in [(1, 6), (2, 10), (3, 15), (4, 20)] {
            let mut rng = Rng(99 + scale as u32);
            let mut img = Img::new(60 + 27 * 6 * scale, 60 + 8 * scale, 110);
            let lit = img.text(SAMPLES[0], 30, 30, scale, 200);
            img.noise(amp, &mut rng);
            let boxes = img.boxes();
            assert_covered(&boxes, &lit, &format!("grey ×{scale} ±{amp}"));
        }
    }

    #[test]
    fn dark_on_white_and_antialiased() {
        for scale in 1..=4 {
            let mut img = Img::new(40 + 27 * 6 * scale, 40 + 8 * scale, 255);
            let lit = img.text(SAMPLES[0], 20, 20, scale, 0);
            assert_covered(&img.boxes(), &lit, &format!("dark ×{scale}"));
        }
        for scale in 2..=4 {
            let mut img = Img::new(40 + 27 * 6 * scale, 40 + 8 * scale, 20);
            let lit = img.text(SAMPLES[0], 20, 20, scale, 240);
            img.blur();
            assert_covered(&img.boxes(), &lit, &format!("blurred ×{scale}"));
        }
    }

    #[test]
    fn colour_text_through_luminance_and_text_over_anatomy() {
        // yellow text on black, RGB interleaved, next to a grey "sector"
        let (w, h) = (320usize, 200usize);
        let mut grey = Img::new(w, h, 0);
        let lit = grey.text("DOE^JOHN 19700101", 10, 10, 2, 1);
        let mut rgb = vec![0u8; w * h * 3];
        for (i, &v) in grey.px.iter().enumerate() {
            let (x, y) = (i % w, i / w);
            let px = if v == 1 {
                [255, 255, 0]
            } else if y > 60 && x.abs_diff(160) < (y - 60) {
                [90, 90, 90]
            } else {
                [0, 0, 0]
            };
            rgb[i * 3..i * 3 + 3].copy_from_slice(&px);
        }
        let luma = luminance(
            &rgb,
            SampleLayout {
                components: 3,
                ..SampleLayout::grey(w, h, 1)
            },
        );
        let boxes = text_boxes(&luma, w, h);
        assert_covered(&boxes, &lit, "yellow");
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        // white annotation over a noisy, smoothly varying tissue
        let mut rng = Rng(21);
        let mut img = Img::new(w, h, 0);
        for y in 0..h {
            for x in 0..w {
                img.px[y * w + x] = (60 + x / 4 + y / 5) as u8;
            }
        }
        let lit = img.text("R 12/03 L4-5", 40, 90, 2, 250);
        img.noise(8, &mut rng);
        assert_covered(&img.boxes(), &lit, "annotation");
    }

    fn assert_none(img: &Img, what: &str) {
        let boxes = img.boxes();
        assert!(boxes.is_empty(), "{what}: {boxes:?}");
    }

    #[test]
    fn anatomy_like_images_give_nothing() {
        let (w, h) = (384usize, 320usize);
        assert_none(&Img::new(w, h, 0), "black");
        assert_none(&Img::new(w, h, 255), "white");
        // smooth radial gradient
        let mut img = Img::new(w, h, 0);
        for y in 0..h {
            for x in 0..w {
                let d2 = (x as i64 - 190).pow(2) + (y as i64 - 150).pow(2);
                img.px[y * w + x] = (255 - (d2 / 160).min(255)) as u8;
            }
        }
        assert_none(&img, "radial gradient");
        for amp in [4, 10, 25] {
            let mut g = Img {
                w,
                h,
                px: img.px.clone(),
            };
            g.noise(amp, &mut Rng(3 + amp as u32));
            assert_none(&g, &format!("radial gradient ±{amp}"));
        }
        // large bright ellipse with noise; a thin ring; a thick ring
        for (what, inner, outer) in [
            ("ellipse", -1i64, 1000i64),
            ("ring", 900, 1000),
            ("thick ring", 600, 1000),
        ] {
            for amp in [0, 8, 30] {
                let mut img = Img::new(w, h, 30);
                for y in 0..h {
                    for x in 0..w {
                        let (dx, dy) = (x as i64 - 190, y as i64 - 160);
                        let r = dx * dx * 1000 / (150 * 150) + dy * dy * 1000 / (120 * 120);
                        if r > inner && r <= outer {
                            img.px[y * w + x] = 210;
                        }
                    }
                }
                img.noise(amp, &mut Rng(11 + amp as u32));
                assert_none(&img, &format!("{what} ±{amp}"));
            }
        }
        // noise at several amplitudes on mid-grey, and full-range random bytes
        for amp in [2, 8, 20, 50, 100, 127] {
            let mut img = Img::new(w, h, 128);
            img.noise(amp, &mut Rng(1234 + amp as u32));
            assert_none(&img, &format!("noise ±{amp}"));
        }
        let mut rng = Rng(42);
        let img = Img {
            w,
            h,
            px: (0..w * h).map(|_| rng.next() as u8).collect(),
        };
        assert_none(&img, "random bytes");
        // sparse bright specks and small round blobs (vessels, calcifications)
        let mut img = Img::new(w, h, 40);
        let mut rng = Rng(5);
        for _ in 0..120 {
            let (cx, cy, r) = (
                rng.next() as usize % w,
                rng.next() as usize % h,
                2 + rng.next() as usize % 6,
            );
            for y in cy.saturating_sub(r)..(cy + r + 1).min(h) {
                for x in cx.saturating_sub(r)..(cx + r + 1).min(w) {
                    if (x.abs_diff(cx)).pow(2) + (y.abs_diff(cy)).pow(2) <= r * r {
                        img.px[y * w + x] = 220;
                    }
                }
            }
        }
        assert_none(&img, "blobs");
    }

    #[test]
    fn bad_inputs_give_nothing() {
        assert!(text_boxes(&[], 0, 0).is_empty());
        assert!(text_boxes(&[0; 10], 5, 3).is_empty());
        assert!(text_boxes(&[0; 16], 4, 4).is_empty());
        assert!(text_boxes(&[0; 64], usize::MAX, 2).is_empty());
        assert!(luminance(&[0; 10], SampleLayout::grey(5, 3, 1)).is_empty());
        assert!(luminance(&[0; 10], SampleLayout::grey(usize::MAX, 3, 1)).is_empty());
        assert!(luminance(
            &[0; 12],
            SampleLayout {
                components: 2,
                ..SampleLayout::grey(2, 2, 1)
            }
        )
        .is_empty());
        assert!(luminance(&[0; 12], SampleLayout::grey(2, 2, 4)).is_empty());
        assert!(luminance(&[0; 12], SampleLayout::grey(0, 2, 1)).is_empty());
        // odd shapes and tiny images do not panic
        for (w, h) in [(8, 8), (9, 1000), (1000, 9), (1, 64), (64, 1)] {
            let px: Vec<u8> = (0..w * h).map(|i| (i * 37 % 256) as u8).collect();
            let _ = text_boxes(&px, w, h);
        }
    }

    #[test]
    fn luminance_windows_and_converts() {
        // 16-bit signed, little-endian: -100, 0, 100, 300
        let s: Vec<u8> = [-100i16, 0, 100, 300]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            luminance(
                &s,
                SampleLayout {
                    signed: true,
                    ..SampleLayout::grey(2, 2, 2)
                }
            ),
            vec![0, 63, 127, 255]
        );
        assert_eq!(
            luminance(
                &s,
                SampleLayout {
                    signed: true,
                    invert: true,
                    ..SampleLayout::grey(2, 2, 2)
                }
            ),
            vec![255, 192, 128, 0]
        );
        // unsigned reading of the same bytes: -100 is 65436, the largest
        assert_eq!(luminance(&s, SampleLayout::grey(2, 2, 2))[0], 255);
        // colour by its brightest channel: black, white, pure green, pure blue, dark red
        let rgb = [0, 0, 0, 255, 255, 255, 0, 255, 0, 0, 0, 255, 51, 0, 0];
        assert_eq!(
            luminance(
                &rgb,
                SampleLayout {
                    components: 3,
                    ..SampleLayout::grey(5, 1, 1)
                }
            ),
            vec![0, 255, 255, 255, 51]
        );
        // flat frame; trailing bytes ignored
        assert_eq!(
            luminance(&[7, 7, 7, 7, 9], SampleLayout::grey(2, 2, 1)),
            vec![0; 4]
        );
        assert_eq!(
            luminance(
                &[0x80, 0x7f],
                SampleLayout {
                    signed: true,
                    ..SampleLayout::grey(2, 1, 1)
                }
            ),
            vec![0, 255]
        );
    }

    #[test]
    fn a_1024_image_is_fast_enough() {
        let mut rng = Rng(77);
        let mut img = Img::new(1024, 1024, 0);
        for y in 0..1024 {
            for x in 0..1024 {
                let (dx, dy) = (x as i64 - 512, y as i64 - 540);
                if dx * dx + dy * dy < 420 * 420 {
                    img.px[y * 1024 + x] = (100 + (dx * dx + dy * dy) / 3000) as u8;
                }
            }
        }
        img.noise(10, &mut rng);
        let lit = img.text("DOE^JOHN 12345678 19700101", 10, 10, 2, 255);
        let mut took = std::time::Duration::MAX;
        let mut boxes = Vec::new();
        for _ in 0..5 {
            let t = std::time::Instant::now();
            boxes = img.boxes();
            took = took.min(t.elapsed());
        }
        eprintln!("1024x1024: {} boxes, best of 5 runs {took:?}", boxes.len());
        assert_covered(&boxes, &lit, "1024");
    }

    #[test]
    fn opening_matches_the_naive_one() {
        let mut rng = Rng(77);
        for (w, h) in [(97usize, 61usize), (8, 40), (40, 8), (12, 12)] {
            let img: Vec<u8> = (0..w * h)
                .map(|i| ((i % w) * 3 + (rng.next() % 40) as usize) as u8)
                .collect();
            let r = RADIUS as isize;
            let at = |x: isize, y: isize, v: &[u8], outside: u8| {
                if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
                    outside
                } else {
                    v[y as usize * w + x as usize]
                }
            };
            let filter = |v: &[u8], min: bool| -> Vec<u8> {
                let mut out = vec![0u8; w * h];
                for y in 0..h as isize {
                    for x in 0..w as isize {
                        let mut m = if min { 255 } else { 0 };
                        for dy in -r..=r {
                            for dx in -r..=r {
                                let p = at(x + dx, y + dy, v, m);
                                m = if min { m.min(p) } else { m.max(p) };
                            }
                        }
                        out[y as usize * w + x as usize] = m;
                    }
                }
                out
            };
            let naive = filter(&filter(&img, true), false);
            assert_eq!(opening(&img, w, h, RADIUS), naive, "{w}x{h}");
        }
    }

    /// Every file under `root`, sorted.
    fn files_under(root: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut dirs = vec![root.to_path_buf()];
        let mut files = Vec::new();
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
    }

    /// The luminance of a native 8/16-bit, 1- or 3-sample image: (luma, width, height, samples
    /// per pixel, bits allocated).
    fn native_luma(obj: &crate::read::Object) -> Option<(Vec<u8>, usize, usize, usize, u32)> {
        use dicom_core::value::Value;
        use dicom_dictionary_std::tags;
        let get = |t| obj.get(t).and_then(|e| e.to_int::<u32>().ok());
        let rows = get(tags::ROWS)?;
        let cols = get(tags::COLUMNS)?;
        let bits = get(tags::BITS_ALLOCATED)?;
        let spp = get(tags::SAMPLES_PER_PIXEL).unwrap_or(1) as usize;
        let Value::Primitive(p) = obj.get(tags::PIXEL_DATA)?.value() else {
            return None;
        };
        if !(bits == 8 || bits == 16) || !(spp == 1 || spp == 3) {
            return None;
        }
        let (w, h, bps) = (cols as usize, rows as usize, bits as usize / 8);
        let mut data = p.to_bytes().into_owned();
        if spp == 3 && get(tags::PLANAR_CONFIGURATION) == Some(1) && data.len() >= w * h * 3 * bps {
            let n = w * h;
            let mut il = vec![0u8; n * 3 * bps];
            for i in 0..n {
                for k in 0..3 {
                    for b in 0..bps {
                        il[(i * 3 + k) * bps + b] = data[(k * n + i) * bps + b];
                    }
                }
            }
            data = il;
        }
        let signed = get(tags::PIXEL_REPRESENTATION) == Some(1);
        let invert = text_of(obj, tags::PHOTOMETRIC_INTERPRETATION) == "MONOCHROME1";
        let luma = luminance(
            &data,
            SampleLayout {
                components: spp,
                signed,
                invert,
                ..SampleLayout::grey(w, h, bps)
            },
        );
        Some((luma, w, h, spp, bits))
    }

    fn text_of(obj: &crate::read::Object, t: dicom_core::Tag) -> String {
        obj.get(t)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// A PPM of the luminance with the boxes in red, for inspection (`DETECT_DUMP=dir`).
    fn dump_ppm(dir: &std::ffi::OsStr, rel: &str, luma: &[u8], w: usize, h: usize, boxes: &[Rect]) {
        let mut ppm = format!("P6 {w} {h} 255\n").into_bytes();
        for (i, &g) in luma.iter().enumerate() {
            let (x, y) = ((i % w) as u32, (i / w) as u32);
            let edge = boxes.iter().any(|b| {
                b.contains(x, y)
                    && (x == b.x || y == b.y || x + 1 == b.x + b.w || y + 1 == b.y + b.h)
            });
            ppm.extend_from_slice(&if edge { [255, 0, 0] } else { [g, g, g] });
        }
        let name = rel.replace('/', "_");
        let _ = std::fs::write(std::path::Path::new(dir).join(format!("{name}.ppm")), ppm);
    }

    /// Every native 8/16-bit, 1- or 3-sample image of `tests/data`: ORIGINAL CT/MR give no
    /// boxes; the others are printed.
    #[test]
    fn corpus_originals_give_nothing() {
        use dicom_dictionary_std::tags;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut failures = Vec::new();
        let mut seen = 0;
        for path in files_under(&root) {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok((obj, _)) = crate::read::parse_whole(&bytes) else {
                continue;
            };
            let Some((luma, w, h, spp, bits)) = native_luma(&obj) else {
                continue;
            };
            let boxes = text_boxes(&luma, w, h);
            let image_type = text_of(&obj, tags::IMAGE_TYPE);
            let modality = text_of(&obj, tags::MODALITY);
            let rel = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            eprintln!(
                "{rel}: {modality} {image_type} {w}x{h}x{spp} {bits}b: {} boxes {boxes:?}",
                boxes.len()
            );
            seen += 1;
            if let Some(dir) = std::env::var_os("DETECT_DUMP") {
                dump_ppm(&dir, &rel, &luma, w, h, &boxes);
            }
            if image_type.starts_with("ORIGINAL")
                && (modality == "CT" || modality == "MR")
                && !boxes.is_empty()
            {
                failures.push(format!("{rel}: {boxes:?}"));
            }
        }
        assert!(seen > 0, "no native images found under {}", root.display());
        assert!(
            failures.is_empty(),
            "text found on original CT/MR: {failures:#?}"
        );
    }
}
