//! A JPEG-LS decoder (ISO/IEC 14495-1, ITU-T T.87): lossless and near-lossless, 2 to 16 bits,
//! any number of components with interleave none, line or sample, default or preset coding
//! parameters (LSE id 1), restart markers. Not supported (an error, so the image is held):
//! mapping tables (LSE id 2/3, Tq ≠ 0), sub-sampling, point transforms, the HP colour
//! transforms (APP8 `mrfx` with a transform other than 0), oversize images (LSE id 4).
//!
//! Pure Rust, integer arithmetic only, so native and WebAssembly builds give the same samples.
//! Where the standard leaves room (the run interruption of sample-interleaved scans) it does what
//! CharLS does, which is what dcmtk's `dcmdjpls` and most DICOM tools decode with. Every loop is
//! bounded by the image size given in the frame header (checked against the caller's cap before
//! anything is allocated) or by the input's length.

use super::PixelError;

fn malformed(detail: impl Into<String>) -> PixelError {
    PixelError::Malformed {
        detail: format!("JPEG-LS: {}", detail.into()),
    }
}

fn unsupported(what: impl Into<String>) -> PixelError {
    PixelError::Unsupported {
        what: format!("JPEG-LS {}", what.into()),
    }
}

/// A decoded JPEG-LS image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Components.
    pub components: usize,
    /// Sample precision P (2 to 16).
    pub bits: u8,
    /// The largest NEAR of its scans (0: lossless).
    pub near: u16,
    /// The samples, one plane per component (all of component 0 row by row, then 1 …).
    pub samples: Vec<u16>,
}

/// The frame header (SOF55).
#[derive(Debug, Clone)]
struct Frame {
    bits: u8,
    width: usize,
    height: usize,
    ids: Vec<u8>,
}

/// The preset coding parameters of an LSE segment (0: the default).
#[derive(Debug, Clone, Copy, Default)]
struct Preset {
    maxval: i32,
    t1: i32,
    t2: i32,
    t3: i32,
    reset: i32,
}

/// The coding parameters of one scan (T.87 A.2, C.2.4.1).
#[derive(Debug, Clone, Copy)]
struct Params {
    near: i32,
    maxval: i32,
    range: i32,
    qbpp: u32,
    limit: u32,
    t1: i32,
    t2: i32,
    t3: i32,
    reset: i32,
}

fn ceil_log2(v: i32) -> u32 {
    let mut n = 0;
    while n < 31 && (1i64 << n) < i64::from(v) {
        n += 1;
    }
    n
}

impl Params {
    fn new(bits: u8, near: i32, p: Preset) -> Result<Params, PixelError> {
        let maxval = if p.maxval > 0 {
            p.maxval
        } else {
            (1i32 << bits) - 1
        };
        if maxval >= 1 << bits || near > (maxval / 2).min(255) {
            return Err(malformed(format!("MAXVAL {maxval} with NEAR {near}")));
        }
        let range = (maxval + 2 * near) / (2 * near + 1) + 1;
        let bpp = ceil_log2(maxval + 1).max(2);
        let (d1, d2, d3) = default_thresholds(maxval, near);
        let pick = |v: i32, d: i32| if v > 0 { v } else { d };
        let (t1, t2, t3) = (pick(p.t1, d1), pick(p.t2, d2), pick(p.t3, d3));
        if !(near < t1 && t1 <= t2 && t2 <= t3 && t3 <= maxval) {
            return Err(malformed(format!("thresholds {t1} {t2} {t3}")));
        }
        let reset = pick(p.reset, 64);
        if reset < 3 || reset > maxval.max(255) {
            return Err(malformed(format!("RESET {reset}")));
        }
        Ok(Params {
            near,
            maxval,
            range,
            qbpp: ceil_log2(range),
            limit: 2 * (bpp + bpp.max(8)),
            t1,
            t2,
            t3,
            reset,
        })
    }

    /// Q(D) of T.87 A.3.3.
    fn quantize(&self, d: i32) -> i32 {
        if d <= -self.t3 {
            -4
        } else if d <= -self.t2 {
            -3
        } else if d <= -self.t1 {
            -2
        } else if d < -self.near {
            -1
        } else if d <= self.near {
            0
        } else if d < self.t1 {
            1
        } else if d < self.t2 {
            2
        } else if d < self.t3 {
            3
        } else {
            4
        }
    }

    /// A reconstructed sample: prediction plus the dequantized error, taken modulo the range
    /// (T.87 A.4.5) and clamped.
    fn reconstruct(&self, px: i32, err: i32) -> i32 {
        let step = 2 * self.near + 1;
        let mut v = px + err * step;
        if v < -self.near {
            v += self.range * step;
        } else if v > self.maxval + self.near {
            v -= self.range * step;
        }
        v.clamp(0, self.maxval)
    }
}

/// The default thresholds T1, T2, T3 (T.87 C.2.4.1.1).
fn default_thresholds(maxval: i32, near: i32) -> (i32, i32, i32) {
    let clamp = |i: i32, j: i32| if i > maxval || i < j { j } else { i };
    if maxval >= 128 {
        let f = (maxval.min(4095) + 128) / 256;
        let t1 = clamp(f + 2 + 3 * near, near + 1); // f * (BASIC_T1 - 2) + 2 + 3 NEAR
        let t2 = clamp(f * (7 - 3) + 3 + 5 * near, t1);
        (t1, t2, clamp(f * (21 - 4) + 4 + 7 * near, t2))
    } else {
        let f = 256 / (maxval + 1);
        let t1 = clamp((3 / f + 3 * near).max(2), near + 1);
        let t2 = clamp((7 / f + 5 * near).max(3), t1);
        (t1, t2, clamp((21 / f + 7 * near).max(4), t2))
    }
}

/// Reads the entropy-coded bits of a scan: after a 0xFF byte, the next byte carries 7 bits (a
/// byte of 0x80 or more after 0xFF is a marker, the end of the data).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    ff: bool,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits {
            data,
            pos,
            acc: 0,
            n: 0,
            ff: false,
        }
    }

    fn byte(&mut self) -> Result<(), PixelError> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| malformed("scan data ends early"))?;
        if self.ff {
            if b & 0x80 != 0 {
                return Err(malformed("scan data ends early (at a marker)"));
            }
            self.acc = (self.acc << 7) | u64::from(b);
            self.n += 7;
        } else {
            self.acc = (self.acc << 8) | u64::from(b);
            self.n += 8;
        }
        self.ff = b == 0xFF;
        self.pos += 1;
        Ok(())
    }

    /// The next `k` bits (k ≤ 32).
    fn bits(&mut self, k: u32) -> Result<i32, PixelError> {
        while self.n < k {
            self.byte()?;
        }
        self.n -= k;
        let v = (self.acc >> self.n) & ((1u64 << k) - 1);
        self.acc &= (1u64 << self.n) - 1;
        Ok(v as i32)
    }

    fn bit(&mut self) -> Result<bool, PixelError> {
        Ok(self.bits(1)? == 1)
    }

    /// The number of 0 bits before the next 1 bit (which is read), at most `cap`.
    fn zeros(&mut self, cap: u32) -> Result<u32, PixelError> {
        let mut z = 0;
        while !self.bit()? {
            z += 1;
            if z > cap {
                return Err(malformed("Golomb code longer than LIMIT"));
            }
        }
        Ok(z)
    }

    /// Drops the bits left in the current byte and returns where the next marker starts (its
    /// first 0xFF byte).
    fn marker_start(&mut self) -> Result<usize, PixelError> {
        self.acc = 0;
        self.n = 0;
        let mut p = self.pos;
        while p + 1 < self.data.len() {
            if self.data[p] == 0xFF && self.data[p + 1] >= 0x80 {
                return Ok(p);
            }
            p += 1;
        }
        Err(malformed("scan data without a marker after it"))
    }
}

/// The J table of run lengths (T.87 A.7.1.1).
const J: [u32; 32] = [
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13,
    14, 15,
];

/// The adaptive state of a scan: 365 regular contexts, 2 run interruption contexts and the run
/// index of each component.
struct Coder<'a> {
    p: Params,
    bits: Bits<'a>,
    a: [i64; 365],
    b: [i32; 365],
    c: [i32; 365],
    n: [i32; 365],
    ra: [i64; 2],
    rn: [i32; 2],
    rnn: [i32; 2],
    run_index: Vec<usize>,
}

impl<'a> Coder<'a> {
    fn new(p: Params, bits: Bits<'a>, components: usize) -> Coder<'a> {
        let mut c = Coder {
            p,
            bits,
            a: [0; 365],
            b: [0; 365],
            c: [0; 365],
            n: [0; 365],
            ra: [0; 2],
            rn: [0; 2],
            rnn: [0; 2],
            run_index: vec![0; components],
        };
        c.reset();
        c
    }

    /// The initial state (T.87 A.2.1), at the start of a scan and after a restart marker.
    fn reset(&mut self) {
        let a = i64::from(((self.p.range + 32) / 64).max(2));
        self.a = [a; 365];
        self.b = [0; 365];
        self.c = [0; 365];
        self.n = [1; 365];
        self.ra = [a; 2];
        self.rn = [1; 2];
        self.rnn = [0; 2];
        self.run_index.iter_mut().for_each(|r| *r = 0);
    }

    /// A mapped error value coded with Golomb parameter `k` and length limit `limit`
    /// (T.87 A.5.3).
    fn golomb(&mut self, k: u32, limit: u32) -> Result<i32, PixelError> {
        let escape = limit.saturating_sub(self.p.qbpp + 1);
        let high = self.bits.zeros(escape)?;
        if high >= escape {
            return Ok(self.bits.bits(self.p.qbpp)? + 1);
        }
        if k > 24 {
            return Err(malformed("Golomb parameter out of range"));
        }
        let m = ((high as i32) << k) + if k > 0 { self.bits.bits(k)? } else { 0 };
        // A mapped error is below RANGE (T.87 A.5.2); a larger one is corrupt data.
        if m > 2 * self.p.range {
            return Err(malformed("error value out of range"));
        }
        Ok(m)
    }

    fn context(&self, q1: i32, q2: i32, q3: i32) -> i32 {
        81 * self.p.quantize(q1) + 9 * self.p.quantize(q2) + self.p.quantize(q3)
    }

    /// A sample in regular mode (T.87 A.4 to A.6), context `qs` (signed), prediction inputs.
    fn regular(&mut self, qs: i32, ra: i32, rb: i32, rc: i32) -> Result<i32, PixelError> {
        let sign = if qs < 0 { -1 } else { 1 };
        let q = qs.unsigned_abs() as usize;
        let q = q.min(364);
        let mut px = if rc >= ra.max(rb) {
            ra.min(rb)
        } else if rc <= ra.min(rb) {
            ra.max(rb)
        } else {
            ra + rb - rc
        };
        px = (px + sign * self.c[q]).clamp(0, self.p.maxval);
        let mut k = 0;
        while (i64::from(self.n[q]) << k) < self.a[q] {
            k += 1;
            if k > 30 {
                return Err(malformed("Golomb parameter out of range"));
            }
        }
        let m = self.golomb(k, self.p.limit)?;
        let mut err = if m % 2 == 0 { m / 2 } else { -(m + 1) / 2 };
        if k == 0 && self.p.near == 0 && 2 * self.b[q] <= -self.n[q] {
            err = -err - 1;
        }
        self.update(q, err);
        Ok(self.p.reconstruct(px, sign * err))
    }

    /// The context update and bias correction (T.87 A.6).
    fn update(&mut self, q: usize, err: i32) {
        self.a[q] += i64::from(err.unsigned_abs());
        self.b[q] += err * (2 * self.p.near + 1);
        if self.n[q] == self.p.reset {
            self.a[q] >>= 1;
            self.b[q] >>= 1;
            self.n[q] >>= 1;
        }
        self.n[q] += 1;
        let n = self.n[q];
        if self.b[q] + n <= 0 {
            self.b[q] += n;
            if self.b[q] <= -n {
                self.b[q] = -n + 1;
            }
            if self.c[q] > -128 {
                self.c[q] -= 1;
            }
        } else if self.b[q] > 0 {
            self.b[q] -= n;
            if self.b[q] > 0 {
                self.b[q] = 0;
            }
            if self.c[q] < 127 {
                self.c[q] += 1;
            }
        }
    }

    /// The length of a run of `left` samples at most (T.87 A.7.1); updates the run index.
    fn run_length(&mut self, r: usize, left: usize) -> Result<(usize, bool), PixelError> {
        let mut len = 0usize;
        while self.bits.bit()? {
            let full = 1usize << J[self.run_index[r]];
            let count = full.min(left - len);
            len += count;
            if count == full {
                self.run_index[r] = (self.run_index[r] + 1).min(31);
            }
            if len == left {
                return Ok((len, true));
            }
        }
        let j = J[self.run_index[r]];
        if j > 0 {
            len += self.bits.bits(j)? as usize;
        }
        if len > left {
            return Err(malformed("run longer than the line"));
        }
        Ok((len, len == left))
    }

    /// The error of a run interruption sample (T.87 A.7.2), context `t` (RItype).
    fn interruption_error(&mut self, r: usize, t: usize) -> Result<i32, PixelError> {
        let temp = self.ra[t] + i64::from((self.rn[t] >> 1) * t as i32);
        let mut k = 0;
        while (i64::from(self.rn[t]) << k) < temp {
            k += 1;
            if k > 30 {
                return Err(malformed("Golomb parameter out of range"));
            }
        }
        let limit = self.p.limit.saturating_sub(J[self.run_index[r]] + 1);
        let m = self.golomb(k, limit)?;
        let temp = m + t as i32;
        let map = temp & 1 == 1;
        let abs = (temp + i32::from(map)) / 2;
        let err = if (k != 0 || 2 * self.rnn[t] >= self.rn[t]) == map {
            -abs
        } else {
            abs
        };
        if err < 0 {
            self.rnn[t] += 1;
        }
        self.ra[t] += i64::from((m + 1 - t as i32) >> 1);
        if self.rn[t] == self.p.reset {
            self.ra[t] >>= 1;
            self.rn[t] >>= 1;
            self.rnn[t] >>= 1;
        }
        self.rn[t] += 1;
        Ok(err)
    }

    /// One line of one component (interleave none or line). `prev` and `cur` hold the line
    /// above and this line at indices 1..=width, with the edge samples around them.
    fn line(&mut self, r: usize, prev: &mut [i32], cur: &mut [i32]) -> Result<(), PixelError> {
        let w = prev.len() - 2;
        prev[w + 1] = prev[w];
        cur[0] = prev[1];
        let mut x = 1;
        while x <= w {
            let (ra, rb, rc, rd) = (cur[x - 1], prev[x], prev[x - 1], prev[x + 1]);
            let qs = self.context(rd - rb, rb - rc, rc - ra);
            if qs != 0 {
                cur[x] = self.regular(qs, ra, rb, rc)?;
                x += 1;
                continue;
            }
            let (len, end) = self.run_length(r, w + 1 - x)?;
            cur[x..x + len].fill(ra);
            x += len;
            if end {
                break;
            }
            let rb = prev[x];
            cur[x] = if (ra - rb).abs() <= self.p.near {
                let e = self.interruption_error(r, 1)?;
                self.p.reconstruct(ra, e)
            } else {
                let e = self.interruption_error(r, 0)?;
                self.p.reconstruct(rb, if rb < ra { -e } else { e })
            };
            self.run_index[r] = self.run_index[r].saturating_sub(1);
            x += 1;
        }
        Ok(())
    }

    /// One line of every component, sample-interleaved (as CharLS: a run needs every component
    /// in run mode; interruption samples use RItype 0).
    fn line_interleaved(
        &mut self,
        prev: &mut [Vec<i32>],
        cur: &mut [Vec<i32>],
    ) -> Result<(), PixelError> {
        let w = prev.first().map_or(0, |l| l.len() - 2);
        for (p, c) in prev.iter_mut().zip(cur.iter_mut()) {
            p[w + 1] = p[w];
            c[0] = p[1];
        }
        let nc = prev.len();
        let mut qs = vec![0i32; nc];
        let mut x = 1;
        while x <= w {
            for (i, q) in qs.iter_mut().enumerate() {
                let (ra, rb, rc, rd) = (cur[i][x - 1], prev[i][x], prev[i][x - 1], prev[i][x + 1]);
                *q = self.context(rd - rb, rb - rc, rc - ra);
            }
            if qs.iter().any(|&q| q != 0) {
                for i in 0..nc {
                    let (ra, rb, rc) = (cur[i][x - 1], prev[i][x], prev[i][x - 1]);
                    cur[i][x] = self.regular(qs[i], ra, rb, rc)?;
                }
                x += 1;
                continue;
            }
            let (len, end) = self.run_length(0, w + 1 - x)?;
            for c in cur.iter_mut() {
                let ra = c[x - 1];
                c[x..x + len].fill(ra);
            }
            x += len;
            if end {
                break;
            }
            for i in 0..nc {
                let (ra, rb) = (cur[i][x - 1], prev[i][x]);
                let e = self.interruption_error(0, 0)?;
                cur[i][x] = self.p.reconstruct(rb, if rb < ra { -e } else { e });
            }
            self.run_index[0] = self.run_index[0].saturating_sub(1);
            x += 1;
        }
        Ok(())
    }
}

/// A scan header (SOS): the frame's component indices, NEAR and the interleave mode.
struct ScanHeader {
    comps: Vec<usize>,
    near: i32,
    ilv: u8,
}

fn u16_at(d: &[u8], at: usize) -> Result<usize, PixelError> {
    match d.get(at..at + 2) {
        Some(b) => Ok(usize::from(u16::from_be_bytes([b[0], b[1]]))),
        None => Err(malformed("segment too short")),
    }
}

/// The payload of the marker segment whose length field starts at `pos`, and where it ends.
fn segment(data: &[u8], pos: usize) -> Result<(&[u8], usize), PixelError> {
    let len = u16_at(data, pos)?;
    if len < 2 || pos + len > data.len() {
        return Err(malformed(format!("segment length {len} at {pos}")));
    }
    Ok((&data[pos + 2..pos + len], pos + len))
}

/// The decoder's state between marker segments.
struct Decoder {
    frame: Option<Frame>,
    preset: Preset,
    restart: usize,
    out: Vec<u16>,
    done: Vec<bool>,
    near: u16,
    max_samples: usize,
}

impl Decoder {
    fn sof(&mut self, s: &[u8]) -> Result<(), PixelError> {
        if self.frame.is_some() {
            return Err(malformed("second frame header"));
        }
        let bits = *s
            .first()
            .ok_or_else(|| malformed("frame header too short"))?;
        let (height, width) = (u16_at(s, 1)?, u16_at(s, 3)?);
        let nc = usize::from(
            *s.get(5)
                .ok_or_else(|| malformed("frame header too short"))?,
        );
        if !(2..=16).contains(&bits) || nc == 0 || s.len() != 6 + 3 * nc {
            return Err(malformed(format!(
                "frame header: P {bits}, {nc} components"
            )));
        }
        if width == 0 || height == 0 {
            return Err(unsupported("images of unknown size (LSE 4, DNL)"));
        }
        let mut ids = Vec::with_capacity(nc);
        for c in s[6..].chunks_exact(3) {
            if c[1] != 0x11 || c[2] != 0 {
                return Err(unsupported("sub-sampling or mapping tables"));
            }
            ids.push(c[0]);
        }
        let total = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(nc))
            .filter(|&n| n <= self.max_samples)
            .ok_or(PixelError::TooLarge {
                bytes: width as u64 * height as u64 * nc as u64 * 2,
            })?;
        self.out = vec![0; total];
        self.done = vec![false; nc];
        self.frame = Some(Frame {
            bits,
            width,
            height,
            ids,
        });
        Ok(())
    }

    fn lse(&mut self, s: &[u8]) -> Result<(), PixelError> {
        match s.first() {
            Some(1) if s.len() == 11 => {
                self.preset = Preset {
                    maxval: u16_at(s, 1)? as i32,
                    t1: u16_at(s, 3)? as i32,
                    t2: u16_at(s, 5)? as i32,
                    t3: u16_at(s, 7)? as i32,
                    reset: u16_at(s, 9)? as i32,
                };
                Ok(())
            }
            Some(1) => Err(malformed("preset parameters of the wrong length")),
            Some(id) => Err(unsupported(format!("LSE segment of id {id}"))),
            None => Err(malformed("empty LSE segment")),
        }
    }

    fn sos(&self, s: &[u8]) -> Result<ScanHeader, PixelError> {
        let f = self
            .frame
            .as_ref()
            .ok_or_else(|| malformed("scan before frame header"))?;
        let ns = usize::from(*s.first().ok_or_else(|| malformed("empty scan header"))?);
        if ns == 0 || s.len() != 4 + 2 * ns {
            return Err(malformed("scan header length"));
        }
        let mut comps = Vec::with_capacity(ns);
        for c in s[1..1 + 2 * ns].chunks_exact(2) {
            let i = f
                .ids
                .iter()
                .position(|&id| id == c[0])
                .ok_or_else(|| malformed(format!("scan of unknown component {}", c[0])))?;
            if c[1] != 0 {
                return Err(unsupported("mapping tables"));
            }
            if comps.contains(&i) || self.done[i] {
                return Err(malformed("component in two scans"));
            }
            comps.push(i);
        }
        let (near, ilv, pt) = (s[1 + 2 * ns], s[2 + 2 * ns], s[3 + 2 * ns]);
        if pt != 0 {
            return Err(unsupported("point transform"));
        }
        if ilv > 2 || (ilv == 0) != (ns == 1) {
            return Err(malformed(format!(
                "interleave mode {ilv} with {ns} components"
            )));
        }
        Ok(ScanHeader {
            comps,
            near: i32::from(near),
            ilv,
        })
    }

    /// Decodes the scan whose data starts at `pos`; returns where the marker after it starts.
    fn scan(&mut self, data: &[u8], pos: usize, h: &ScanHeader) -> Result<usize, PixelError> {
        let f = self
            .frame
            .clone()
            .ok_or_else(|| malformed("scan before frame header"))?;
        let p = Params::new(f.bits, h.near, self.preset)?;
        let nc = h.comps.len();
        let mut coder = Coder::new(p, Bits::new(data, pos), nc);
        let blank = vec![vec![0i32; f.width + 2]; nc];
        let (mut prev, mut cur) = (blank.clone(), blank.clone());
        let mut interval = 0u8;
        for y in 0..f.height {
            if self.restart > 0 && y > 0 && y % self.restart == 0 {
                restart_marker(&mut coder.bits, interval)?;
                interval = interval.wrapping_add(1);
                coder.reset();
                prev.clone_from(&blank);
                cur.clone_from(&blank);
            }
            if h.ilv == 2 {
                coder.line_interleaved(&mut prev, &mut cur)?;
            } else {
                for (r, (pl, cl)) in prev.iter_mut().zip(cur.iter_mut()).enumerate() {
                    coder.line(r, pl, cl)?;
                }
            }
            for (r, &c) in h.comps.iter().enumerate() {
                let at = (c * f.height + y) * f.width;
                for (o, &v) in self.out[at..at + f.width]
                    .iter_mut()
                    .zip(&cur[r][1..=f.width])
                {
                    *o = v as u16;
                }
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        for &c in &h.comps {
            self.done[c] = true;
        }
        self.near = self.near.max(h.near as u16);
        coder.bits.marker_start()
    }
}

/// Reads the restart marker RSTm (m: `interval` modulo 8) that ends a restart interval and
/// starts the bits after it.
fn restart_marker(bits: &mut Bits<'_>, interval: u8) -> Result<(), PixelError> {
    let mut p = bits.marker_start()?;
    while bits.data.get(p + 1) == Some(&0xFF) {
        p += 1;
    }
    if bits.data.get(p + 1) != Some(&(0xD0 + interval % 8)) {
        return Err(malformed("restart marker missing or out of order"));
    }
    *bits = Bits::new(bits.data, p + 2);
    Ok(())
}

/// Checks an APPn segment a decoder must read: HP's colour transform (APP8 `mrfx`).
fn app8(s: &[u8]) -> Result<(), PixelError> {
    if s.len() == 5 && &s[..4] == b"mrfx" && s[4] != 0 {
        return Err(unsupported(format!("colour transform {} (HP)", s[4])));
    }
    Ok(())
}

/// Decodes one JPEG-LS codestream of at most `max_samples` samples.
pub fn decode(data: &[u8], max_samples: usize) -> Result<Image, PixelError> {
    if data.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(malformed("codestream does not start with SOI"));
    }
    let mut d = Decoder {
        frame: None,
        preset: Preset::default(),
        restart: 0,
        out: Vec::new(),
        done: Vec::new(),
        near: 0,
        max_samples,
    };
    let mut pos = 2;
    loop {
        if data.get(pos) != Some(&0xFF) {
            return Err(malformed(format!("no marker at {pos}")));
        }
        while data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *data.get(pos + 1).ok_or_else(|| malformed("no EOI"))?;
        pos += 2;
        if marker == 0xD9 {
            break;
        }
        let (s, end) = segment(data, pos)?;
        pos = end;
        match marker {
            0xF7 => d.sof(s)?,
            0xF8 => d.lse(s)?,
            0xDD => d.restart = dri(s)?,
            0xDA => {
                let h = d.sos(s)?;
                pos = d.scan(data, pos, &h)?;
            }
            0xE8 => app8(s)?,
            0xE0..=0xEF | 0xFE => {}
            m => return Err(unsupported(format!("marker 0xFF{m:02X}"))),
        }
    }
    let f = d.frame.ok_or_else(|| malformed("no frame header"))?;
    if d.done.iter().any(|&x| !x) {
        return Err(malformed("a component has no scan"));
    }
    Ok(Image {
        width: f.width,
        height: f.height,
        components: f.ids.len(),
        bits: f.bits,
        near: d.near,
        samples: d.out,
    })
}

/// The restart interval of a DRI segment (2, 3 or 4 bytes).
fn dri(s: &[u8]) -> Result<usize, PixelError> {
    if !(2..=4).contains(&s.len()) {
        return Err(malformed("DRI length"));
    }
    Ok(s.iter().fold(0usize, |v, &b| (v << 8) | usize::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A codestream of one scan: SOI, SOF55 (P bits, `w` x `h`, one component), optional LSE,
    /// SOS (NEAR, interleave none), the entropy-coded bytes, EOI.
    fn stream(bits: u8, w: u16, h: u16, near: u8, lse: Option<[u16; 5]>, data: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xF7, 0, 11, bits];
        v.extend(h.to_be_bytes());
        v.extend(w.to_be_bytes());
        v.extend([1, 1, 0x11, 0]);
        if let Some(p) = lse {
            v.extend([0xFF, 0xF8, 0, 13, 1]);
            p.iter().for_each(|x| v.extend(x.to_be_bytes()));
        }
        v.extend([0xFF, 0xDA, 0, 8, 1, 1, 0, near, 0, 0]);
        v.extend(data);
        v.extend([0xFF, 0xD9]);
        v
    }

    #[test]
    fn a_flat_image_is_one_run_per_line() {
        // Line 1: four 1 bits (runs of 1, the run index climbs to 4); line 2: two 1 bits (runs of
        // 2 with J = 1).
        let img = decode(&stream(8, 4, 2, 0, None, &[0b1111_1100]), 100).expect("decodes");
        assert_eq!((img.width, img.height, img.components), (4, 2, 1));
        assert_eq!(img.samples, vec![0; 8]);
        // The same bits at 16-bit precision.
        let img = decode(&stream(16, 4, 2, 0, None, &[0b1111_1100]), 100).expect("decodes");
        assert_eq!(img.samples, vec![0; 8]);
    }

    #[test]
    fn a_run_interrupted_by_another_value() {
        // Three samples of 0 (1 1 1), end of run (0, J = 0: no remainder bits), then the
        // interruption sample 5 with Ra = Rb (RItype 1): k = 2, mapped error 9 = 001 01.
        let img =
            decode(&stream(8, 4, 1, 0, None, &[0b1110_0010, 0b1000_0000]), 100).expect("decodes");
        assert_eq!(img.samples, vec![0, 0, 0, 5]);
    }

    #[test]
    fn near_lossless_reconstructs_within_near() {
        // NEAR 2: one run sample, then the interruption sample coded as error 2 (× 5 = 10, for a
        // source value of 8 to 12): mapped 3 with k = 1 = 01 1.
        let img = decode(&stream(8, 2, 1, 2, None, &[0b1001_1000]), 100).expect("decodes");
        assert_eq!(img.samples, vec![0, 10]);
        assert_eq!(img.near, 2);
    }

    #[test]
    fn preset_parameters_are_read_and_checked() {
        // MAXVAL 100 for 8 bits with default thresholds: a flat image decodes the same.
        let lse = Some([100, 0, 0, 0, 0]);
        let img = decode(&stream(8, 4, 2, 0, lse, &[0b1111_1100]), 100).expect("decodes");
        assert_eq!(img.samples, vec![0; 8]);
        // Thresholds out of order, MAXVAL above 2^P - 1, RESET below 3: errors.
        for bad in [[0, 9, 5, 20, 0], [300, 0, 0, 0, 0], [0, 0, 0, 0, 2]] {
            let r = decode(&stream(8, 4, 2, 0, Some(bad), &[0b1111_1100]), 100);
            assert!(
                matches!(r, Err(PixelError::Malformed { .. })),
                "{bad:?}: {r:?}"
            );
        }
        assert_eq!(default_thresholds(255, 0), (3, 7, 21));
        assert_eq!(default_thresholds(4095, 0), (18, 67, 276));
        assert_eq!(default_thresholds(65535, 0), (18, 67, 276));
    }

    #[test]
    fn restart_markers_reset_the_coder() {
        // DRI of one line: each line of a flat 4 x 3 image starts afresh (run index 0: four 1
        // bits), after RST0 and RST1.
        let mut s = stream(
            8,
            4,
            3,
            0,
            None,
            &[0xF0, 0xFF, 0xD0, 0xF0, 0xFF, 0xD1, 0xF0],
        );
        s.splice(15..15, [0xFF, 0xDD, 0, 4, 0, 1]);
        let img = decode(&s, 100).expect("decodes");
        assert_eq!(img.samples, vec![0; 12]);
        // Without the restart the second line would be two runs of 2 (J = 1): not these bits.
        // Markers out of order: an error.
        let mut wrong = s.clone();
        let at = wrong
            .windows(2)
            .position(|w| w == [0xFF, 0xD1])
            .expect("RST1");
        wrong[at + 1] = 0xD2;
        assert!(decode(&wrong, 100).is_err());
    }

    #[test]
    fn an_image_over_the_cap_is_refused_before_decoding() {
        let r = decode(&stream(8, 4, 2, 0, None, &[0b1111_1100]), 7);
        assert!(matches!(r, Err(PixelError::TooLarge { .. })), "{r:?}");
    }

    #[test]
    fn truncated_and_corrupted_streams_are_errors_not_panics() {
        let good = [
            stream(8, 4, 2, 0, None, &[0b1111_1100]),
            stream(8, 4, 1, 0, None, &[0b1110_0010, 0b1000_0000]),
            stream(8, 2, 1, 2, Some([0, 0, 0, 0, 0]), &[0b1001_1000]),
        ];
        for s in &good {
            for cut in 0..s.len() {
                assert!(decode(&s[..cut], 100).is_err(), "cut at {cut}");
            }
            for at in 0..s.len() {
                for x in [0x01, 0x80, 0xFF] {
                    let mut c = s.clone();
                    c[at] ^= x;
                    let _ = decode(&c, 100);
                }
            }
        }
    }
}
