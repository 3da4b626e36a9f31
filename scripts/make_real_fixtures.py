#!/usr/bin/env python3
"""Writes tests/real-archive/*.dcm: encodings seen in files from real archives, made from a real
corpus file (tests/data/dicom3tools/0051.dcm, BSD-3-Clause, dicom3tools) with pydicom.

- un_private_sequence.dcm: a private sequence sent as VR UN with undefined length (PS3.5 6.2.2,
  CP-246): its items are implicit VR little endian, and hold a nested private sequence and
  copies of the patient's identifiers.
- un_standard_sequence.dcm: ReferencedImageSequence sent as UN with undefined length, and a
  PurposeOfReferenceCodeSequence nested in an item of SourceImageSequence sent the same way.
- all_un.dcm: every standard element of the data set (sequences and Pixel Data included) sent as
  VR UN with a defined length (but Specific Character Set, which pydicom needs), as a PACS without a dictionary forwards it.
- bare_big_endian.dcm: the data set in explicit VR big endian, without preamble or meta group.

Usage: python3 scripts/make_real_fixtures.py  (deterministic: same bytes every run)
"""
import os
import struct

import pydicom
import pydicom.config

# Keep UN as written: pydicom would otherwise re-type UN elements of known tags.
pydicom.config.replace_un_with_known_vr = False
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_dataset
from pydicom.sequence import Sequence

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "tests/data/dicom3tools/0051.dcm")
OUT = os.path.join(ROOT, "tests/real-archive")

ITEM = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
# Marks the length of an element to be patched to undefined (0xFFFFFFFF) after writing.
MARK = b"UNDEFINED-LENGTH"


def implicit(ds):
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = True
    write_dataset(fp, ds)
    return fp.getvalue()


def implicit_items(seq):
    """The value of a sequence as implicit VR LE items of undefined length."""
    return b"".join(ITEM + implicit(item) + ITEM_END for item in seq)


def un_undefined(ds, tag, seq):
    """Puts `seq` under `tag` as UN whose value is its implicit items + sequence delimiter; the
    marker before it makes the written length findable, then patched to undefined."""
    ds[tag] = DataElement(tag, "UN", MARK + implicit_items(seq) + SEQ_END)


def save(ds, name, **kw):
    path = os.path.join(OUT, name)
    if kw:
        pydicom.dcmwrite(path, ds, **kw)
    else:
        ds.save_as(path)
    data = bytearray(open(path, "rb").read())
    # Every marked UN: length field (4 bytes before the marker) := undefined, marker removed
    # (the length was counted with the marker: the rest of the file does not move but the
    # marker's bytes, so they go and lengths of enclosing defined-length items would be wrong;
    # every enclosing sequence and item is therefore written with undefined length).
    while True:
        at = data.find(MARK)
        if at < 0:
            break
        assert data[at - 8 : at - 6] == b"UN"
        data[at - 4 : at] = struct.pack("<I", 0xFFFFFFFF)
        del data[at : at + len(MARK)]
    open(path, "wb").write(bytes(data))
    print(name, len(data))


def base(n):
    """The source file with its own SOP Instance UID (variant `n`: each output is a distinct
    instance, none a duplicate of the corpus file)."""
    ds = pydicom.dcmread(SRC)
    ds.SOPInstanceUID = ds.SOPInstanceUID + ".9" + str(n)
    assert len(ds.SOPInstanceUID) <= 64
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    # Sequences with undefined length (so that the markers can be taken out, see save()).
    for elem in ds.iterall():
        if elem.VR == "SQ":
            elem.is_undefined_length = True
            for item in elem.value:
                item.is_undefined_length_sequence_item = True
    return ds


def un_private_sequence():
    ds = base(1)
    block = ds.private_block(0x0029, "DEID TEST UN", create=True)
    inner = Dataset()
    inner.OtherPatientIDs = ds.PatientID
    inner.PatientBirthDate = ds.get("PatientBirthDate", "19700101") or "19700101"
    nested = Dataset()
    nested.add_new(0x00291001, "LO", "x")  # a private element without its creator: unknown
    nested.PatientName = ds.PatientName
    nested.add_new(0x00291020, "SQ", Sequence([inner]))
    item = Dataset()
    item.PatientName = ds.PatientName
    item.PatientID = ds.PatientID
    item.StudyDate = ds.StudyDate
    item.InstitutionName = ds.get("InstitutionName", "") or "R"
    item.ReferencedImageSequence = ds.ReferencedImageSequence
    item.add_new(0x00291020, "SQ", Sequence([nested]))
    un_undefined(ds, block.get_tag(0x10), Sequence([item]))
    save(ds, "un_private_sequence.dcm")


def un_standard_sequence():
    ds = base(2)
    un_undefined(ds, 0x00081140, ds.ReferencedImageSequence)
    code = Dataset()
    code.CodeValue = "121322"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Source image for image processing operation"
    first = ds.SourceImageSequence[0]
    un_undefined(first, 0x0040A170, Sequence([code]))
    save(ds, "un_standard_sequence.dcm")


def all_un():
    ds = base(3)
    for elem in list(ds):
        # Specific Character Set stays: pydicom needs it to write the file.
        if elem.tag.group % 2 == 1 or elem.tag.element == 0 or elem.tag == 0x00080005:
            continue
        if elem.VR == "SQ":
            raw = implicit_items(elem.value)
        else:
            fp = DicomBytesIO()
            fp.is_little_endian = True
            fp.is_implicit_VR = True
            write_data_element(fp, elem)
            raw = fp.getvalue()[8:]
        ds[elem.tag] = DataElement(elem.tag, "UN", raw)
    save(ds, "all_un.dcm")


def bare_big_endian():
    ds = base(4)
    # Native 16-bit pixels are words: big endian swaps their bytes.
    assert ds.BitsAllocated == 16 and "PixelData" in ds
    px = ds.PixelData
    ds.PixelData = b"".join(px[i + 1 : i + 2] + px[i : i + 1] for i in range(0, len(px), 2))
    ds["PixelData"].VR = "OW"
    del ds.file_meta
    ds.preamble = None
    save(ds, "bare_big_endian.dcm", little_endian=False, implicit_vr=False, force_encoding=True)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    un_private_sequence()
    un_standard_sequence()
    all_un()
    bare_big_endian()
