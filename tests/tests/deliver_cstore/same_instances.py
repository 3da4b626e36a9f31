"""The archive oracle of tests/tests/deliver_cstore.rs, with pydicom (independent of dicom-rs).

Usage: same_instances.py ZIP_DIR STORED_DIR. ZIP_DIR holds the zip's DICOM entries, STORED_DIR
the files the archive gives back. Prints JSON: the SOP Instance UIDs of the zip's storable
instances (SOP Class, SOP Instance, Study and Series Instance UIDs present) and of the stored
files; for each stored file whether its data set equals the zip's element by element (the
file meta group apart: an archive writes its own) and whether its data set bytes are the same;
the differences found. A stored file in Explicit VR Little Endian whose zip entry is in Implicit
VR Little Endian (re-encoded for an archive that refuses Implicit VR) is listed as `reencoded`, its
data set compared as any other; that transfer syntax is then not a difference. `transfer_syntaxes`
and `sop_classes` give the transfer syntax and SOP class of each storable instance of the zip.
"""
import json
import os
import struct
import sys

import pydicom

EXPLICIT_LE, IMPLICIT_LE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"
NEEDED = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")


def files(root):
    for d, _, names in os.walk(root):
        for n in sorted(names):
            yield os.path.join(d, n)


def dataset_bytes(path):
    """The bytes after the file meta group (its group length is the first element)."""
    with open(path, "rb") as f:
        b = f.read()
    (length,) = struct.unpack("<I", b[140:144])
    return b[144 + length:]


def main(zip_dir, stored_dir):
    storable, by_uid, syntaxes, classes = [], {}, {}, {}
    for p in files(zip_dir):
        ds = pydicom.dcmread(p, force=True)
        if all(str(ds.get(k, "")).strip() for k in NEEDED):
            storable.append(str(ds.SOPInstanceUID))
            by_uid[str(ds.SOPInstanceUID)] = p
            syntaxes[str(ds.SOPInstanceUID)] = str(ds.file_meta.get("TransferSyntaxUID", ""))
            classes[str(ds.SOPInstanceUID)] = str(ds.SOPClassUID)
    stored, equal, identical, differences, reencoded = [], 0, 0, [], []
    for p in files(stored_dir):
        ds = pydicom.dcmread(p)
        uid = str(ds.SOPInstanceUID)
        stored.append(uid)
        sent = by_uid.get(uid)
        if sent is None:
            differences.append(f"{uid}: stored but not a storable instance of the zip")
            continue
        ref = pydicom.dcmread(sent)
        meta = ("TransferSyntaxUID", "MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID")
        pair = (str(ds.file_meta.get("TransferSyntaxUID")), str(ref.file_meta.get("TransferSyntaxUID")))
        if pair == (EXPLICIT_LE, IMPLICIT_LE):
            reencoded.append(uid)
            meta = meta[1:]
        for k in meta:
            if ds.file_meta.get(k) != ref.file_meta.get(k):
                differences.append(f"{uid}: {k} {ds.file_meta.get(k)} != {ref.file_meta.get(k)}")
        if ds == ref:
            equal += 1
        else:
            tags = [str(e.tag) for e in ref if e.tag not in ds or ds[e.tag] != e]
            tags += [str(e.tag) for e in ds if e.tag not in ref]
            differences.append(f"{uid}: data sets differ at {tags[:5]}")
        identical += dataset_bytes(p) == dataset_bytes(sent)
    print(json.dumps({
        "storable": sorted(storable),
        "stored": sorted(stored),
        "equal_datasets": equal,
        "identical_bytes": identical,
        "differences": differences,
        "reencoded": sorted(reencoded),
        "transfer_syntaxes": syntaxes,
        "sop_classes": classes,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
