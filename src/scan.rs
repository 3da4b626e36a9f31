//! The scan step: headers only (dicom-rs `read_until(PixelData)`), cheap, to find the patients,
//! studies and series of a job before anything is written.

use dicom_dictionary_std::tags;
use serde::{Deserialize, Serialize};

use crate::error::Rejection;
use crate::padding::string_of;
use crate::padding::Unpadded as _;
use crate::pixels::gate::{gate, signature_of, Gate, Signature};
use crate::read;

/// What the scan learnt about one DICOM file (PHI: kept in memory, written only to the key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// PatientID (MRN).
    pub patient_id: Option<String>,
    /// PatientName.
    pub patient_name: Option<String>,
    /// PatientBirthDate.
    pub birth_date: Option<String>,
    /// AccessionNumber.
    pub accession: Option<String>,
    /// StudyInstanceUID.
    pub study_uid: Option<String>,
    /// SeriesInstanceUID.
    pub series_uid: Option<String>,
    /// SOPInstanceUID.
    pub sop_uid: Option<String>,
    /// SOPClassUID.
    pub sop_class: Option<String>,
    /// Modality.
    pub modality: Option<String>,
    /// SeriesNumber.
    pub series_number: Option<i64>,
    /// InstanceNumber.
    pub instance_number: Option<i64>,
    /// StudyDate.
    pub study_date: Option<String>,
    /// SeriesDate.
    pub series_date: Option<String>,
    /// AcquisitionDate (or the date part of AcquisitionDateTime).
    pub acquisition_date: Option<String>,
    /// The header values the pixel gate and the pixel rules look at.
    #[serde(default)]
    pub pixel_signature: Signature,
    /// The pixel gate's decision from the header (known before anything is written).
    #[serde(default)]
    pub pixel_gate: Gate,
    /// Identifying values of people, places and devices in this header: the plan gathers them
    /// from every file, so that each file is cleaned of the whole batch's identifiers.
    #[serde(default)]
    pub identifiers: HeaderIdentifiers,
}

/// Values of top-level attributes (before [`SCAN_UNTIL`]) that Table E.1-1 removes or replaces
/// and that name or identify a person, an organisation or a device (PHI: kept in memory, never
/// written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeaderIdentifiers {
    /// Person names (every PN attribute: patient, other names, physicians, operators…).
    pub names: Vec<String>,
    /// Patient and visit IDs: PatientID, OtherPatientIDs, IssuerOfPatientID, AccessionNumber,
    /// StudyID, MedicalRecordLocator, PatientAddress, PatientTelephoneNumbers.
    pub ids: Vec<String>,
    /// InstitutionName, InstitutionAddress, InstitutionalDepartmentName.
    pub institutions: Vec<String>,
    /// StationName, DeviceSerialNumber.
    pub devices: Vec<String>,
}

/// The ID attributes of [`HeaderIdentifiers::ids`].
#[allow(deprecated)]
const ID_TAGS: [dicom_core::Tag; 8] = [
    tags::PATIENT_ID,
    tags::OTHER_PATIENT_I_DS,
    tags::ISSUER_OF_PATIENT_ID,
    tags::ACCESSION_NUMBER,
    tags::STUDY_ID,
    tags::MEDICAL_RECORD_LOCATOR,
    tags::PATIENT_ADDRESS,
    tags::PATIENT_TELEPHONE_NUMBERS,
];
const INSTITUTION_TAGS: [dicom_core::Tag; 3] = [
    tags::INSTITUTION_NAME,
    tags::INSTITUTION_ADDRESS,
    tags::INSTITUTIONAL_DEPARTMENT_NAME,
];
const DEVICE_TAGS: [dicom_core::Tag; 2] = [tags::STATION_NAME, tags::DEVICE_SERIAL_NUMBER];

/// At most this many values per attribute and this many characters per value are kept (the
/// scan's memory stays bounded whatever a header holds).
const MAX_VALUES: usize = 16;
const MAX_CHARS: usize = 1024;

fn identifiers_of(obj: &read::Object) -> HeaderIdentifiers {
    use dicom_core::header::Header as _;
    let mut h = HeaderIdentifiers::default();
    let cs = crate::charset::Charset::of(obj);
    for e in obj.iter() {
        let t = e.tag();
        if t.group() % 2 == 1 || t >= SCAN_UNTIL {
            continue;
        }
        let list = if e.vr() == dicom_core::VR::PN {
            &mut h.names
        } else if ID_TAGS.contains(&t) {
            &mut h.ids
        } else if INSTITUTION_TAGS.contains(&t) {
            &mut h.institutions
        } else if DEVICE_TAGS.contains(&t) {
            &mut h.devices
        } else {
            continue;
        };
        let dicom_core::value::Value::Primitive(p) = e.value() else {
            continue;
        };
        for v in p.to_multi_str().iter().take(MAX_VALUES) {
            let v: String = cs
                .text(e.vr(), v)
                .trim_matches(['\0', ' '])
                .chars()
                .take(MAX_CHARS)
                .collect();
            if !v.is_empty() && !list.contains(&v) {
                list.push(v);
            }
        }
    }
    h
}

impl Header {
    /// The CT date of this file: AcquisitionDate, else SeriesDate, else StudyDate (YYYYMMDD).
    pub fn ct_date(&self) -> Option<String> {
        [&self.acquisition_date, &self.series_date, &self.study_date]
            .into_iter()
            .flatten()
            .find_map(|d| crate::dates::date_part(d))
    }

    /// The key that groups files of one patient: PatientID, else name + birth date, else study.
    pub fn patient_key(&self) -> String {
        if let Some(id) = &self.patient_id {
            return id.clone();
        }
        match (&self.patient_name, &self.birth_date) {
            (Some(n), b) => format!("(no ID) {n} {}", b.as_deref().unwrap_or("")),
            (None, _) => format!("(no ID) study {}", self.study_uid.as_deref().unwrap_or("?")),
        }
    }
}

/// The scan result for one input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    /// Relative source path (as given by the shell).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The header, or why the file will not be written. Boxed: a batch holds one record per
    /// file, and most of a zip of many small entries are not DICOM (a record is 64 bytes, not
    /// the 700 of an inline header).
    pub result: Result<Box<Header>, Rejection>,
}

/// Scans one file's headers.
pub fn scan(path: &str, bytes: &[u8]) -> ScanRecord {
    ScanRecord {
        path: path.to_string(),
        size: bytes.len() as u64,
        result: scan_header(bytes).map(Box::new),
    }
}

/// How many leading bytes of a file the shells read first for the scan: most image headers
/// end within 16 KiB (the 1 GB benchmark corpus: 97% within 4 KiB).
pub const SCAN_FIRST: usize = 16 * 1024;

/// How many leading bytes the shells read next, when the first read did not hold the headers.
pub const SCAN_PREFIX: usize = 256 * 1024;

/// Scans from the first bytes of a file of `total_size` bytes. `None` when the prefix does not
/// hold every header up to Pixel Data (or the scan of it fails): read the whole file and call
/// [`scan`]. When `Some`, the record is exactly what [`scan`] gives on the whole file.
pub fn scan_prefix(path: &str, prefix: &[u8], total_size: u64) -> Option<ScanRecord> {
    if prefix.len() as u64 >= total_size {
        return Some(scan(path, prefix));
    }
    let framing = crate::framing::detect(prefix).ok()?;
    if !crate::structure::headers_within(prefix, framing) {
        return None;
    }
    let rec = scan(path, prefix);
    rec.result.is_ok().then(|| ScanRecord {
        size: total_size,
        ..rec
    })
}

fn int_of(obj: &dicom_object::mem::InMemDicomObject, tag: dicom_core::Tag) -> Option<i64> {
    string_of(obj, tag)?
        .trim()
        .parse::<f64>()
        .ok()
        .map(|f| f as i64)
}

/// The scan reads top-level attributes before this tag only: every attribute of [`Header`] (and
/// Specific Character Set, and the DICOMDIR's Directory Record Sequence) comes before it, the
/// last being Recognizable Visual Features (0028,0302) for the pixel gate. The structural check
/// still walks every header.
const SCAN_UNTIL: dicom_core::Tag = dicom_core::Tag(0x0028, 0x0303);

fn scan_header(bytes: &[u8]) -> Result<Header, Rejection> {
    let (obj, _) = read::parse_until(bytes, SCAN_UNTIL)?;
    header_of(&obj)
}

fn header_of(obj: &read::Object) -> Result<Header, Rejection> {
    if read::is_dicomdir(obj) {
        return Err(Rejection::Dicomdir);
    }
    let acq = string_of(obj, tags::ACQUISITION_DATE).or_else(|| {
        string_of(obj, tags::ACQUISITION_DATE_TIME).and_then(|d| crate::dates::date_part(&d))
    });
    let ts = obj.meta().transfer_syntax().unpadded();
    let pixel_signature = signature_of(obj, ts);
    let pixel_gate = gate(&pixel_signature);
    Ok(Header {
        identifiers: identifiers_of(obj),
        pixel_signature,
        pixel_gate,
        patient_id: string_of(obj, tags::PATIENT_ID),
        patient_name: string_of(obj, tags::PATIENT_NAME),
        birth_date: string_of(obj, tags::PATIENT_BIRTH_DATE),
        accession: string_of(obj, tags::ACCESSION_NUMBER),
        study_uid: string_of(obj, tags::STUDY_INSTANCE_UID),
        series_uid: string_of(obj, tags::SERIES_INSTANCE_UID),
        sop_uid: string_of(obj, tags::SOP_INSTANCE_UID)
            .or_else(|| {
                Some(
                    obj.meta()
                        .media_storage_sop_instance_uid()
                        .unpadded()
                        .to_string(),
                )
            })
            .filter(|s| !s.is_empty()),
        sop_class: string_of(obj, tags::SOP_CLASS_UID),
        modality: string_of(obj, tags::MODALITY),
        series_number: int_of(obj, tags::SERIES_NUMBER),
        instance_number: int_of(obj, tags::INSTANCE_NUMBER),
        study_date: string_of(obj, tags::STUDY_DATE),
        series_date: string_of(obj, tags::SERIES_DATE),
        acquisition_date: acq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    /// The header read up to SCAN_UNTIL is the header read up to Pixel Data, for every file of
    /// the corpus (and the attributes' tags are all before SCAN_UNTIL).
    #[test]
    fn stopping_early_reads_the_same_header() {
        for t in [
            tags::PATIENT_ID,
            tags::PATIENT_NAME,
            tags::PATIENT_BIRTH_DATE,
            tags::ACCESSION_NUMBER,
            tags::STUDY_INSTANCE_UID,
            tags::SERIES_INSTANCE_UID,
            tags::SOP_INSTANCE_UID,
            tags::SOP_CLASS_UID,
            tags::MODALITY,
            tags::SERIES_NUMBER,
            tags::INSTANCE_NUMBER,
            tags::STUDY_DATE,
            tags::SERIES_DATE,
            tags::ACQUISITION_DATE,
            tags::ACQUISITION_DATE_TIME,
            tags::SPECIFIC_CHARACTER_SET,
            tags::DIRECTORY_RECORD_SEQUENCE,
            tags::IMAGE_TYPE,
            tags::MANUFACTURER,
            tags::MANUFACTURER_MODEL_NAME,
            tags::ROWS,
            tags::COLUMNS,
            tags::PHOTOMETRIC_INTERPRETATION,
            tags::BURNED_IN_ANNOTATION,
            tags::RECOGNIZABLE_VISUAL_FEATURES,
        ]
        .into_iter()
        .chain(ID_TAGS)
        .chain(INSTITUTION_TAGS)
        .chain(DEVICE_TAGS)
        {
            assert!(t < SCAN_UNTIL, "{t}");
        }
        let mut all = Vec::new();
        files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
            &mut all,
        );
        let mut compared = 0;
        for p in &all {
            let bytes = std::fs::read(p).unwrap_or_default();
            let Ok((full, _)) = read::parse_headers(&bytes) else {
                continue;
            };
            let (early, _) = read::parse_until(&bytes, SCAN_UNTIL).expect("parses");
            assert_eq!(header_of(&early), header_of(&full), "{}", p.display());
            compared += 1;
        }
        assert!(compared >= 20, "only {compared} files compared");
    }
}
