//! Korean, Japanese and Chinese names in cleaned free text. The files of
//! `tests/cjk-names` (scripts/make_cjk_fixtures.py) have PatientName with all three component
//! groups, in ISO 2022 (IR 149, IR 13 + IR 87, IR 6 + IR 87, IR 58), GB18030 and UTF-8, and the
//! name (joined, spaced, in Hangul, Hanja, kana, Hanzi) and the institution inside descriptors
//! and comments. Under every preset each file is written, no form of the name nor the
//! institution is left in the decoded output (decoded by pydicom, and by the independent PHI
//! checker), the descriptors' other words stay, blanked values are valid text in the file's
//! character set, and the rest of a cleaned value keeps its bytes.

use std::collections::BTreeMap;
use std::fs;

use crate::support::harness::*;
use crate::support::job_run::process_one;
use encoding::{EncoderTrap, Encoding};

/// The free-text attributes of the fixtures that Clean Descriptors keeps cleaned.
const TEXTS: [&str; 5] = [
    "StudyDescription",
    "ImageComments",
    "AdditionalPatientHistory",
    "RequestedProcedureDescription",
    "PatientComments",
];

/// What one language's files hold: the forms of the name and the institution that must go,
/// and per attribute the words that must stay.
struct Language {
    prefix: &'static str,
    gone: &'static [&'static str],
    stay: [(&'static str, &'static [&'static str]); 5],
    /// StudyDescription after cleaning.
    study: &'static str,
}

const LANGUAGES: [Language; 3] = [
    Language {
        prefix: "ko_",
        gone: &[
            "홍길동",
            "홍 길동",
            "洪吉洞",
            "길동",
            "吉洞",
            "Gildong",
            "서울대학교병원",
        ],
        stay: [
            ("StudyDescription", &["흉부", "CT", "조영", "추적"]),
            ("ImageComments", &["환자", "재촬영", "에서 전원"]),
            ("AdditionalPatientHistory", &["환자", "고혈압", "병력"]),
            ("RequestedProcedureDescription", &["흉부", "CT", "요청"]),
            ("PatientComments", &["보호자", "연락", "씨"]),
        ],
        study: "흉부 CT 조영 XXX 추적",
    },
    Language {
        prefix: "ja_",
        gone: &[
            "山田太郎",
            "山田",
            "太郎",
            "やまだたろう",
            "やまだ",
            "やまだ たろう",
            "ﾔﾏﾀﾞ",
            "東京中央病院",
        ],
        stay: [
            ("StudyDescription", &["胸部", "CT", "造影", "経過観察"]),
            ("ImageComments", &["患者", "再撮影", "より紹介"]),
            ("AdditionalPatientHistory", &["高血圧"]),
            ("RequestedProcedureDescription", &["胸部CT", "様"]),
            ("PatientComments", &["家族連絡"]),
        ],
        study: "胸部 CT 造影 XXXX 経過観察",
    },
    Language {
        prefix: "zh_",
        gone: &[
            "张三丰",
            "张 三丰",
            "三丰",
            "ㄓㄤㄙㄢㄈㄥ",
            "Sanfeng",
            "北京协和医院",
        ],
        stay: [
            ("StudyDescription", &["胸部", "CT", "增强", "复查"]),
            ("ImageComments", &["患者", "再次扫描", "转入"]),
            ("AdditionalPatientHistory", &["高血压"]),
            ("RequestedProcedureDescription", &["胸部CT"]),
            ("PatientComments", &["家属联系"]),
        ],
        study: "胸部 CT 增强 XXX 复查",
    },
];

/// Text values of the output files, decoded by pydicom (which reads ISO 2022; it leaves the
/// escape sequence of IR 58 in the text, taken out here). File name → keyword → value.
fn pydicom_texts(files: &[std::path::PathBuf]) -> BTreeMap<String, BTreeMap<String, String>> {
    let script = r#"
import json, sys, pydicom
out = {}
for p in sys.argv[1:]:
    ds = pydicom.dcmread(p)
    out[p] = {e.keyword: str(e.value).replace("\x1b$)A", "") for e in ds
              if e.VR in ("PN", "LO", "SH", "LT", "ST", "UT", "UC") and e.value is not None}
print(json.dumps(out))
"#;
    let o = python(script, files);
    let all: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&o.stdout).expect("JSON");
    all.into_iter()
        .map(|(p, v)| {
            let name = std::path::Path::new(&p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(p);
            (name, v)
        })
        .collect()
}

fn language_of(file: &str) -> &'static Language {
    LANGUAGES
        .iter()
        .find(|l| file.starts_with(l.prefix))
        .unwrap_or_else(|| panic!("{file}: no language"))
}

#[test]
fn cjk_names_are_cleaned_under_every_preset() {
    let dir = root().join("tests/cjk-names");
    let mut inputs = files_under(&dir);
    inputs.retain(|p| p.extension().is_some_and(|e| e == "dcm"));
    assert_eq!(inputs.len(), 7, "run scripts/make_cjk_fixtures.py");
    for preset in ["basic", "research", "keep-list"] {
        let run = run(
            &format!("cjk-{preset}"),
            &["--preset", preset],
            &[dir.clone()],
        );
        let written = run.written();
        assert_eq!(written.len(), inputs.len(), "{preset}: {:?}", run.log.rows);
        let out = TempDir::new("cjk-out");
        let mut paths = Vec::new();
        for w in &written {
            // The checker knows the rule: the input itself shows the name in its free text.
            let own = phi::check(&w.input, &w.input).expect("checker reads the input");
            for path in ["(0008,1030)", "(0010,4000)", "(0020,4000)"] {
                assert!(
                    own.iter()
                        .any(|f| f.path == path && f.kind == phi::Kind::Name),
                    "{}: the checker misses the name in {path}: {own:?}",
                    w.source
                );
            }
            let findings = phi::check(&w.input, &w.output).expect("checker reads both");
            assert!(findings.is_empty(), "{preset} {}: {findings:?}", w.source);
            let name = w.source.rsplit('/').next().unwrap_or(&w.source);
            let p = out.join(name);
            fs::write(&p, &w.output).unwrap();
            paths.push(p);
        }
        let texts = pydicom_texts(&paths);
        let mut kept = 0;
        for (file, values) in &texts {
            let lang = language_of(file);
            for (keyword, v) in values {
                for g in lang.gone {
                    assert!(
                        !v.contains(g),
                        "{preset} {file}: {g} left in {keyword}: {v}"
                    );
                }
            }
            for (keyword, words) in &lang.stay {
                // Removed or emptied by the profile (basic), or not on the keep-list.
                let Some(v) = values.get(*keyword).filter(|v| !v.is_empty()) else {
                    assert_ne!(preset, "research", "{file}: {keyword} removed");
                    continue;
                };
                for w in *words {
                    assert!(
                        v.contains(w),
                        "{preset} {file}: {w} gone from {keyword}: {v}"
                    );
                }
                kept += 1;
            }
            if let Some(study) = values.get("StudyDescription").filter(|v| !v.is_empty()) {
                assert_eq!(study, lang.study, "{preset} {file}");
            }
        }
        if preset == "research" {
            assert_eq!(kept, 7 * TEXTS.len(), "research keeps every cleaned text");
        }
    }
}

/// The bytes of a cleaned value are the input's with the name's bytes replaced by one `X` a
/// character (for the character sets where the name is one run of bytes).
#[test]
fn cleaned_text_keeps_the_bytes_of_its_other_words() {
    let dir = root().join("tests/cjk-names");
    let run = run("cjk-bytes", &["--preset", "research"], &[dir]);
    let cases: [(&str, &dyn Encoding, &str); 4] = [
        ("ko_iso2022_ir149.dcm", encoding::all::WINDOWS_949, "홍길동"),
        ("ko_utf8.dcm", encoding::all::UTF_8, "홍길동"),
        ("zh_gb18030.dcm", encoding::all::GB18030, "张三丰"),
        ("zh_utf8.dcm", encoding::all::UTF_8, "张三丰"),
    ];
    let written = run.written();
    for (file, codec, name) in cases {
        let w = written
            .iter()
            .find(|w| w.source.ends_with(file))
            .unwrap_or_else(|| panic!("{file} not written"));
        let (ri, ro) = (
            phi::RawFile::new(&w.input).unwrap(),
            phi::RawFile::new(&w.output).unwrap(),
        );
        let path = "(0008,1030)"; // StudyDescription
        let (a, b) = (ri.value(path).unwrap(), ro.value(path).unwrap());
        let encoded = codec.encode(name, EncoderTrap::Strict).unwrap();
        let at = a
            .windows(encoded.len())
            .position(|x| x == encoded.as_slice())
            .unwrap_or_else(|| panic!("{file}: name not in the input"));
        let mut want = a[..at].to_vec();
        want.extend(std::iter::repeat_n(b'X', name.chars().count()));
        want.extend_from_slice(&a[at + encoded.len()..]);
        let trim = |x: &[u8]| x.trim_ascii_end().to_vec();
        assert_eq!(trim(b), trim(&want), "{file}");
    }
}

/// The self-check finds a CJK name put back into a cleaned output (in the file's own encoding),
/// and does not take a single CJK character of the name for it.
#[test]
fn the_self_check_finds_a_cjk_name_left_in_text() {
    use dicom_core::value::PrimitiveValue;
    use dicom_core::{DataElement, VR};
    use dicom_deid::context::Context;
    use dicom_deid::phi::Identifiers;
    use dicom_deid::verify;
    use dicom_dictionary_std::tags;
    let latin1 = |b: &[u8]| b.iter().map(|&c| char::from(c)).collect::<String>();
    // ISO 2022 text as dicom-rs holds it (its codec for these files is Latin-1).
    let jis = |t: &str| {
        latin1(
            &encoding::all::ISO_2022_JP
                .encode(t, EncoderTrap::Strict)
                .unwrap(),
        )
    };
    let ksc = |t: &str| {
        let mut b = b"\x1b$)C".to_vec();
        b.extend(
            encoding::all::WINDOWS_949
                .encode(t, EncoderTrap::Strict)
                .unwrap(),
        );
        latin1(&b)
    };
    // (file, a leak as dicom-rs holds it for that file, a harmless text with one character
    // of the name)
    let cases = [
        ("ko_iso2022_ir149.dcm", ksc("조영 홍길동"), ksc("홍 씨")),
        ("ko_utf8.dcm", "조영 홍길동".into(), "홍 씨".into()),
        (
            "ja_iso2022_ir6_ir87.dcm",
            jis("造影 山田太郎"),
            jis("造影 山"),
        ),
        // The phonetic name is written in hiragana (やまだ たろう); the same name in katakana
        // is the same name.
        (
            "ja_iso2022_ir6_ir87.dcm",
            jis("カルテ ヤマダタロウ"),
            jis("カルテ ヤ"),
        ),
        ("zh_gb18030.dcm", "复查 张三丰".into(), "张 医生".into()),
    ];
    let config = dicom_deid::config::Config::preset("research").unwrap();
    let ctx = Context::new(&config, SECRET.as_bytes()).unwrap();
    for (file, leak, harmless) in cases {
        let input = fs::read(root().join("tests/cjk-names").join(file)).unwrap();
        let (out, outcome) = process_one(&config, file, &input, &input);
        let out = out.unwrap_or_else(|| panic!("{file}: {outcome:?}"));
        let (obj, _) = dicom_deid::read::parse_whole(&input).unwrap();
        let ids = Identifiers::collect(&ctx, &obj, &Default::default());
        verify::check_output(&ids, &out).unwrap_or_else(|e| panic!("{file}: {e}"));
        let with = |text: &str| {
            let mut o = dicom_object::OpenFileOptions::new()
                .read_preamble(dicom_object::file::ReadPreamble::Always)
                .from_reader(out.as_slice())
                .unwrap();
            o.put(DataElement::new(
                tags::SERIES_DESCRIPTION,
                VR::LO,
                PrimitiveValue::from(text),
            ));
            let mut bytes = Vec::new();
            o.write_all(&mut bytes).unwrap();
            bytes
        };
        assert!(
            matches!(
                verify::check_output(&ids, &with(&leak)),
                Err(dicom_deid::error::Rejection::Leak { .. })
            ),
            "{file}: the name put back is not found"
        );
        assert!(
            verify::check_output(&ids, &with(&harmless)).is_ok(),
            "{file}: {harmless} taken for the name"
        );
    }
}
