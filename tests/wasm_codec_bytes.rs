//! The JPEG-LS and JPEG 2000 decoders give the same samples native and in WebAssembly: the
//! committed files of `tests/pixels-codecs` (lossy JPEG 2000, whose 9/7 wavelet and
//! colour transform use floating point; near-lossless and lossless JPEG-LS) are decoded and a
//! hash of every frame is compared with the same constants in both builds. Native: `cargo test
//! --test wasm_codec_bytes`; wasm: `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test --release --target wasm32-unknown-unknown --test wasm_codec_bytes`.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const FILES: &[(&str, &[u8], u64)] = &[
    (
        "ct_j2k_lossy.dcm",
        include_bytes!("pixels-codecs/ct_j2k_lossy.dcm"),
        13655051956525377363,
    ),
    (
        "rgb_j2k_lossy.dcm",
        include_bytes!("pixels-codecs/rgb_j2k_lossy.dcm"),
        6203385663965179649,
    ),
    (
        "rgb_jls_near.dcm",
        include_bytes!("pixels-codecs/rgb_jls_near.dcm"),
        8895742923415401347,
    ),
    (
        "sc16_jls.dcm",
        include_bytes!("pixels-codecs/sc16_jls.dcm"),
        14878637082057992801,
    ),
];

/// FNV-1a, 64 bits.
fn fnv(frames: &[Vec<u8>]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in frames.iter().flatten() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[test]
fn decoded_samples_are_the_same_native_and_wasm() {
    let mut got = Vec::new();
    for (name, bytes, _) in FILES {
        let (obj, _) = dicom_deid::read::parse_whole(bytes).expect("parses");
        let ts = obj
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .to_string();
        let d = dicom_deid::pixels::frames::decode(&obj, &ts).expect("decodes");
        got.push((*name, fnv(&d.frames)));
    }
    let want: Vec<(&str, u64)> = FILES.iter().map(|(n, _, h)| (*n, *h)).collect();
    assert_eq!(got, want);
}

/// Damaged frames (cut or with a byte changed at about 60 offsets of each) are errors or
/// images in both builds, never a crash (a trap in WebAssembly).
#[test]
fn damaged_frames_do_not_crash_native_or_wasm() {
    for (_, bytes, _) in FILES {
        let (obj, _) = dicom_deid::read::parse_whole(bytes).expect("parses");
        let ts = obj
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .to_string();
        let g = dicom_deid::pixels::frames::Geometry::of(&obj).expect("geometry");
        let frame = dicom_deid::pixels::frames::frame_fragments(&obj, 1)
            .expect("one frame")
            .remove(0);
        let cap = g.samples_per_frame();
        let decode = |f: &[u8]| {
            if ts.ends_with(".90") || ts.ends_with(".91") {
                dicom_deid::pixels::j2k::decode(f, cap).is_ok()
            } else {
                dicom_deid::pixels::jpegls::decode(f, cap).is_ok()
            }
        };
        assert!(decode(&frame));
        for at in (0..frame.len()).step_by(frame.len() / 60 + 1) {
            let _ = decode(&frame[..at]);
            let mut c = frame.clone();
            c[at] ^= 0xA5;
            let _ = decode(&c);
        }
    }
}
