//! JPEG 2000 codestreams (ITU-T T.800) decoded with `openjp2`, a Rust port of OpenJPEG (the
//! decoder most DICOM tools use). The port keeps OpenJPEG's C interface, so this module is the
//! crate's one place with `unsafe` code: a byte-slice stream handed to the decoder through its
//! callbacks, the decoded components read back, everything freed on every path.
//!
//! Before the decoder sees a byte, the SIZ segment is read here and checked against the image's
//! geometry (size, components, precision, no sub-sampling, a bounded number of tiles), so what
//! the decoder allocates is bounded by the memory the engine allows for the image. The decoder
//! runs in strict mode (a truncated codestream is an error, not a partial image) and silent
//! (no message handlers print).
//!
//! On `wasm32-unknown-unknown` there is no C library: the port's calls to `malloc`, `calloc`,
//! `realloc`, `free` and `strcpy` are served by [`wasm_libc`] on Rust's allocator.

use std::ffi::c_void;

use openjp2::openjpeg::*;

use super::PixelError;

fn malformed(detail: impl Into<String>) -> PixelError {
    PixelError::Malformed {
        detail: format!("JPEG 2000: {}", detail.into()),
    }
}

/// The most tiles a codestream may have (the decoder keeps a structure per tile).
const MAX_TILES: u64 = 4096;

/// What the SIZ segment says (T.800 A.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siz {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Components.
    pub components: usize,
    /// Bit depth of each component (1 to 38).
    pub depth: Vec<u8>,
    /// Whether each component is signed.
    pub signed: Vec<bool>,
}

fn be32(d: &[u8], at: usize) -> Result<u64, PixelError> {
    d.get(at..at + 4)
        .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        .ok_or_else(|| malformed("SIZ segment too short"))
}

/// Reads the SIZ segment that must follow SOC.
pub fn siz(d: &[u8]) -> Result<Siz, PixelError> {
    if d.get(..4) != Some(&[0xFF, 0x4F, 0xFF, 0x51]) {
        return Err(PixelError::Unsupported {
            what: "JPEG 2000 data that is not a raw codestream (SOC, SIZ)".into(),
        });
    }
    let len = d
        .get(4..6)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or_else(|| malformed("SIZ segment too short"))?;
    let seg = d
        .get(4..4 + len)
        .ok_or_else(|| malformed("SIZ segment too short"))?;
    let v = |i: usize| be32(seg, 4 + 4 * i);
    let (x, y, x0, y0) = (v(0)?, v(1)?, v(2)?, v(3)?);
    let (tw, th, tx0, ty0) = (v(4)?, v(5)?, v(6)?, v(7)?);
    let nc = seg
        .get(36..38)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or_else(|| malformed("SIZ segment too short"))?;
    if x <= x0 || y <= y0 || tw == 0 || th == 0 || tx0 > x0 || ty0 > y0 || nc == 0 {
        return Err(malformed("SIZ: empty image or tiling"));
    }
    let tiles = (x - tx0).div_ceil(tw) * (y - ty0).div_ceil(th);
    if tiles > MAX_TILES || seg.len() != 38 + 3 * nc {
        return Err(malformed(format!("SIZ: {tiles} tiles, {nc} components")));
    }
    let (mut depth, mut signed) = (Vec::new(), Vec::new());
    for c in seg[38..].chunks_exact(3) {
        if c[1] != 1 || c[2] != 1 {
            return Err(PixelError::Unsupported {
                what: "sub-sampled JPEG 2000 components".into(),
            });
        }
        depth.push((c[0] & 0x7F) + 1);
        signed.push(c[0] & 0x80 != 0);
    }
    Ok(Siz {
        width: usize::try_from(x - x0).map_err(|_| malformed("SIZ: width"))?,
        height: usize::try_from(y - y0).map_err(|_| malformed("SIZ: height"))?,
        components: nc,
        depth,
        signed,
    })
}

/// A decoded image: one plane of `i32` samples per component, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// What the SIZ segment says.
    pub siz: Siz,
    /// The samples, all of component 0, then 1 …
    pub samples: Vec<i32>,
}

/// The codestream being read, handed to the decoder's callbacks.
struct Source {
    data: Vec<u8>,
    pos: usize,
}

extern "C" fn read_fn(buf: *mut c_void, n: usize, user: *mut c_void) -> usize {
    // SAFETY: `user` is the `Source` given to `opj_stream_set_user_data`, alive until the
    // stream frees it; `buf` has room for `n` bytes (the decoder's buffer).
    let s = unsafe { &mut *(user as *mut Source) };
    if buf.is_null() || n == 0 || s.pos >= s.data.len() {
        return usize::MAX;
    }
    let k = n.min(s.data.len() - s.pos);
    // SAFETY: see above; `k <= n`.
    let out = unsafe { std::slice::from_raw_parts_mut(buf as *mut u8, k) };
    out.copy_from_slice(&s.data[s.pos..s.pos + k]);
    s.pos += k;
    k
}

extern "C" fn skip_fn(n: i64, user: *mut c_void) -> i64 {
    // SAFETY: as in `read_fn`.
    let s = unsafe { &mut *(user as *mut Source) };
    let len = i64::try_from(s.data.len()).unwrap_or(i64::MAX);
    let from = i64::try_from(s.pos).unwrap_or(i64::MAX);
    let to = from.saturating_add(n).clamp(0, len);
    s.pos = usize::try_from(to).unwrap_or(s.data.len());
    to - from
}

extern "C" fn seek_fn(to: i64, user: *mut c_void) -> i32 {
    // SAFETY: as in `read_fn`.
    let s = unsafe { &mut *(user as *mut Source) };
    match usize::try_from(to) {
        Ok(p) if p <= s.data.len() => {
            s.pos = p;
            1
        }
        _ => 0,
    }
}

extern "C" fn free_fn(user: *mut c_void) {
    // SAFETY: `user` came from `Box::into_raw` in `stream`; the stream calls this once.
    drop(unsafe { Box::from_raw(user as *mut Source) });
}

extern "C" fn quiet(_: *const std::ffi::c_char, _: *mut c_void) {}

/// A decoder input stream over a copy of `data` (freed with the stream).
fn stream(data: &[u8]) -> *mut opj_stream_t {
    let len = data.len() as u64;
    let user = Box::into_raw(Box::new(Source {
        data: data.to_vec(),
        pos: 0,
    })) as *mut c_void;
    // SAFETY: a new stream; the callbacks match the `Source` handed as user data, which the
    // stream owns (and frees with `free_fn`).
    unsafe {
        let s = opj_stream_default_create(1);
        opj_stream_set_read_function(s, Some(read_fn));
        opj_stream_set_skip_function(s, Some(skip_fn));
        opj_stream_set_seek_function(s, Some(seek_fn));
        opj_stream_set_user_data_length(s, len);
        opj_stream_set_user_data(s, user, Some(free_fn));
        s
    }
}

/// The decoded components of `image` as planes, if each is `w` x `h` with data.
///
/// # Safety
/// `image` is null or an image the decoder returned, not yet destroyed.
unsafe fn planes(image: *mut opj_image_t, w: usize, h: usize) -> Option<Vec<i32>> {
    let img = image.as_ref()?;
    if img.comps.is_null() {
        return None;
    }
    let comps = std::slice::from_raw_parts(img.comps, img.numcomps as usize);
    let mut out = Vec::with_capacity(w * h * comps.len());
    for c in comps {
        if c.data.is_null() || c.w as usize != w || c.h as usize != h {
            return None;
        }
        out.extend_from_slice(std::slice::from_raw_parts(c.data, w * h));
    }
    Some(out)
}

/// Decodes a JPEG 2000 codestream of at most `max_samples` samples and precision at most 16.
pub fn decode(data: &[u8], max_samples: usize) -> Result<Image, PixelError> {
    let siz = siz(data)?;
    let samples = siz.width as u64 * siz.height as u64 * siz.components as u64;
    if samples > max_samples as u64 {
        return Err(PixelError::TooLarge { bytes: samples * 4 });
    }
    if siz.depth.iter().any(|&d| d > 16) {
        return Err(PixelError::Unsupported {
            what: "JPEG 2000 components of more than 16 bits".into(),
        });
    }
    let s = stream(data);
    let null = std::ptr::null_mut();
    // SAFETY: the codec, stream and image are created here, used in the order OpenJPEG's API
    // documents, and destroyed once each, whatever the outcome.
    let planes = unsafe {
        let codec = opj_create_decompress(OPJ_CODEC_J2K);
        opj_set_info_handler(codec, Some(quiet), null);
        opj_set_warning_handler(codec, Some(quiet), null);
        opj_set_error_handler(codec, Some(quiet), null);
        let mut params = opj_dparameters_t::default();
        opj_set_default_decoder_parameters(&mut params);
        let mut image: *mut opj_image_t = std::ptr::null_mut();
        let ok = opj_setup_decoder(codec, &mut params) != 0
            && opj_decoder_set_strict_mode(codec, 1) != 0
            && opj_read_header(s, codec, &mut image) != 0
            && opj_decode(codec, s, image) != 0
            && opj_end_decompress(codec, s) != 0;
        let out = if ok {
            planes(image, siz.width, siz.height)
        } else {
            None
        };
        opj_destroy_codec(codec);
        opj_stream_destroy(s);
        opj_image_destroy(image);
        out
    };
    let samples = planes.ok_or_else(|| malformed("the codestream does not decode"))?;
    Ok(Image { siz, samples })
}

/// The C library calls of the OpenJPEG port, on Rust's allocator (WebAssembly has no libc):
/// each block starts with its size, 16 bytes before the pointer handed out.
#[cfg(target_arch = "wasm32")]
pub mod wasm_libc {
    use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};

    const HEAD: usize = 16;

    /// Rust's allocator, except that freeing a null pointer does nothing: the port calls
    /// `dealloc` on code-block buffers that were never allocated (a no-op for the C library's
    /// `free` that native builds end in; an out-of-bounds access in wasm's dlmalloc).
    struct NullSafe;

    // SAFETY: every call is passed on to the system allocator unchanged, but for `dealloc` of a
    // null pointer, which frees nothing.
    unsafe impl std::alloc::GlobalAlloc for NullSafe {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            std::alloc::System.alloc(l)
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            std::alloc::System.alloc_zeroed(l)
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            if !p.is_null() {
                std::alloc::System.dealloc(p, l)
            }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
            std::alloc::System.realloc(p, l, size)
        }
    }

    #[global_allocator]
    static ALLOCATOR: NullSafe = NullSafe;

    fn layout(size: usize) -> Option<Layout> {
        Layout::from_size_align(size.checked_add(HEAD)?, HEAD).ok()
    }

    /// # Safety
    /// C `malloc`.
    #[no_mangle]
    pub unsafe extern "C" fn malloc(size: usize) -> *mut u8 {
        block(size, false)
    }

    /// # Safety
    /// C `calloc`.
    #[no_mangle]
    pub unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut u8 {
        match n.checked_mul(size) {
            Some(total) => block(total, true),
            None => std::ptr::null_mut(),
        }
    }

    unsafe fn block(size: usize, zeroed: bool) -> *mut u8 {
        let Some(l) = layout(size) else {
            return std::ptr::null_mut();
        };
        let p = if zeroed { alloc_zeroed(l) } else { alloc(l) };
        if p.is_null() {
            return p;
        }
        (p as *mut usize).write(size);
        p.add(HEAD)
    }

    /// # Safety
    /// C `free`: `p` is null or from `malloc`, `calloc` or `realloc`.
    #[no_mangle]
    pub unsafe extern "C" fn free(p: *mut u8) {
        if p.is_null() {
            return;
        }
        let base = p.sub(HEAD);
        let size = (base as *const usize).read();
        if let Some(l) = layout(size) {
            dealloc(base, l);
        }
    }

    /// # Safety
    /// C `realloc`.
    #[no_mangle]
    pub unsafe extern "C" fn realloc(p: *mut u8, size: usize) -> *mut u8 {
        if p.is_null() {
            return malloc(size);
        }
        let old = (p.sub(HEAD) as *const usize).read();
        let q = malloc(size);
        if !q.is_null() {
            std::ptr::copy_nonoverlapping(p, q, old.min(size));
            free(p);
        }
        q
    }

    /// # Safety
    /// C `strcpy`.
    #[no_mangle]
    pub unsafe extern "C" fn strcpy(dst: *mut u8, src: *const u8) -> *mut u8 {
        let mut i = 0;
        loop {
            let c = src.add(i).read();
            dst.add(i).write(c);
            if c == 0 {
                return dst;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn siz_segment(w: u32, h: u32, tile: u32, comps: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, 0x4F, 0xFF, 0x51];
        v.extend(u16::try_from(38 + 3 * comps.len()).unwrap().to_be_bytes());
        v.extend([0, 0]);
        for x in [w, h, 0, 0, tile, tile, 0, 0] {
            v.extend(x.to_be_bytes());
        }
        v.extend(u16::try_from(comps.len()).unwrap().to_be_bytes());
        for &c in comps {
            v.extend([c, 1, 1]);
        }
        v
    }

    #[test]
    fn siz_is_read_and_bounded_before_decoding() {
        let s = siz(&siz_segment(640, 480, 640, &[7, 7, 7])).expect("reads");
        assert_eq!((s.width, s.height, s.components), (640, 480, 3));
        assert_eq!(s.depth, vec![8, 8, 8]);
        let s = siz(&siz_segment(256, 256, 256, &[0x8F])).expect("reads");
        assert_eq!((s.depth[0], s.signed[0]), (16, true));
        // Too many tiles, an empty image, a JP2 file: refused.
        assert!(siz(&siz_segment(65535, 65535, 1, &[7])).is_err());
        assert!(siz(&siz_segment(0, 480, 640, &[7])).is_err());
        assert!(siz(b"\0\0\0\x0cjP  \r\n\x87\n").is_err());
        // Over the cap: refused before the decoder runs.
        let r = decode(&siz_segment(640, 480, 640, &[7]), 1000);
        assert!(matches!(r, Err(PixelError::TooLarge { .. })), "{r:?}");
    }

    #[test]
    fn a_header_without_tiles_is_an_error() {
        let mut d = siz_segment(8, 8, 8, &[7]);
        d.extend([0xFF, 0xD9]);
        for cut in 0..d.len() {
            assert!(decode(&d[..cut], 1000).is_err());
        }
        assert!(decode(&d, 1000).is_err());
    }
}
