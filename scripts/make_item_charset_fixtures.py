#!/usr/bin/env python3
"""Writes the two item-character-set files of tests/planted-data (pydicom; fixed UIDs, so the
same bytes on every run): a report whose Content Sequence item declares its own Specific
Character Set, other than the data set's (UTF-8 in a Latin-1 file, Latin-1 in a UTF-8 file), with
the patient's name in the item's text.

  scripts/make_item_charset_fixtures.py tests/planted-data
"""
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/planted-data"
ROOT = "1.2.826.0.1.3680043.9.7777.29"
CASES = [
    ("item-charset-utf8-in-latin1", "ISO_IR 100", "ISO_IR 192", 1),
    ("item-charset-latin1-in-utf8", "ISO_IR 192", "ISO_IR 100", 2),
]
for name, top, inner, n in CASES:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    ds.file_meta.MediaStorageSOPInstanceUID = f"{ROOT}.{n}.1"
    ds.SpecificCharacterSet = top
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    ds.SOPInstanceUID = f"{ROOT}.{n}.1"
    ds.StudyInstanceUID = f"{ROOT}.{n}.2"
    ds.SeriesInstanceUID = f"{ROOT}.{n}.3"
    ds.Modality = "SR"
    ds.PatientName = "Müller-Lüdenscheidt^Jörg"
    ds.PatientID = "99218877"
    ds.PatientBirthDate = "19520317"
    ds.StudyDate = "20240105"
    item = Dataset()
    item.SpecificCharacterSet = inner
    item.RelationshipType = "CONTAINS"
    item.ValueType = "TEXT"
    item.TextValue = "PLANTMARK seen by Dr Grün with Jörg Müller-Lüdenscheidt"
    ds.ContentSequence = Sequence([item])
    ds.save_as(f"{OUT}/{name}.dcm", enforce_file_format=True)
