#!/usr/bin/env python3
"""Generates the burned-in text fixtures of tests/data/pixels/ (PS3.15 E.3.1 pixel cleaning).

    python3 scripts/make_pixel_fixtures.py   # writes tests/data/pixels/*.dcm + rules.toml,
                                             # prints each file's exact text boxes
    python3 scripts/make_pixel_fixtures.py --loops   # only tests/data/pixels-loops/ (below)

Deterministic: UIDs are 2.25.<uuid5(fixed namespace, name)>, dates and times are fixed, there is
no randomness. Needs pydicom 3, numpy and Pillow (FreeType build: ImageFont.load_default(size)).

Every text-bearing image carries the same identity as its header: PatientName DOE^JOHN (drawn as
"DOE JOHN"), PatientID 12345678 ("MRN 12345678"), PatientBirthDate 19700101 ("DOB 1970-01-01").
The exact bounding box of the drawn text (rows/cols of every pixel the text changed) is computed
from the rendered text mask and printed (PROVENANCE.md records it); the rules of rules.toml cover
those boxes with a margin (checked below, the script fails otherwise).

tests/data/pixels-loops/ holds multi-frame "possible" images (a derived multi-frame secondary
capture, Burned In Annotation NO): 10-frame loops whose identifying text shows in a few middle
frames only and changes from frame to frame (native, RLE, JPEG baseline), and the same loop
without text; with its own rules.toml.
"""

import argparse
import io
import json
import sys
import uuid
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    RLELossless,
    PYDICOM_IMPLEMENTATION_UID,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "pixels"

# Fixed namespace for the name-based (uuid5) 2.25 UIDs of these fixtures.
NAMESPACE = uuid.UUID("6f1d7c1e-2b0a-4c55-9d64-5e0b4f1a9c33")

US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"
US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
MULTIFRAME_BYTE_SC = "1.2.840.10008.5.1.4.1.1.7.2"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"

FONT_SIZE = 28
BANNER_1 = "DOE JOHN  MRN 12345678"
BANNER_2 = "DOB 1970-01-01"
CT_BANNER = "DOE JOHN 12345678"


def uid(name: str) -> str:
    return "2.25." + str(uuid.uuid5(NAMESPACE, "dicom-deid pixel fixtures/" + name).int)


def font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


# --------------------------------------------------------------------------------------------
# Drawing: every text is drawn on its own mask first, so its exact box is known.


class Canvas:
    """A float image (H, W) or (H, W, 3) plus the union mask of all identifying text drawn."""

    def __init__(self, rows: int, cols: int, channels: int = 1):
        shape = (rows, cols) if channels == 1 else (rows, cols, channels)
        self.img = np.zeros(shape, dtype=np.float64)
        self.phi_mask = np.zeros((rows, cols), dtype=bool)
        self.other_mask = np.zeros((rows, cols), dtype=bool)

    @property
    def rows(self) -> int:
        return self.img.shape[0]

    @property
    def cols(self) -> int:
        return self.img.shape[1]

    def text(self, xy, s: str, value, size: int = FONT_SIZE, phi: bool = True):
        """Draws `s` with its top-left anchor at xy=(x, y) in `value` (scalar or RGB)."""
        m = Image.new("L", (self.cols, self.rows), 0)
        ImageDraw.Draw(m).text(xy, s, fill=255, font=font(size))
        a = np.asarray(m).astype(np.float64) / 255.0
        if self.img.ndim == 2:
            self.img = self.img * (1 - a) + float(value) * a
        else:
            v = np.asarray(value, dtype=np.float64)
            self.img = self.img * (1 - a[..., None]) + v[None, None, :] * a[..., None]
        (self.phi_mask if phi else self.other_mask)[a > 0] = True

    def ellipse_gradient(self, cy, cx, ry, rx, lo, hi, value_scale=1.0):
        """A smooth anatomy-like blob: hi at the centre falling to lo at the rim (added)."""
        yy, xx = np.mgrid[0 : self.rows, 0 : self.cols].astype(np.float64)
        r2 = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        inside = r2 <= 1.0
        val = np.where(inside, lo + (hi - lo) * np.sqrt(np.clip(1 - r2, 0, None)), 0.0) * value_scale
        if self.img.ndim == 2:
            self.img = np.where(inside, val, self.img)
        else:
            self.img = np.where(inside[..., None], val[..., None], self.img)
        return inside


def box(mask: np.ndarray):
    """[row_min, row_max, col_min, col_max] (inclusive) of a mask, or None when empty."""
    if not mask.any():
        return None
    r = np.nonzero(mask.any(axis=1))[0]
    c = np.nonzero(mask.any(axis=0))[0]
    return [int(r[0]), int(r[-1]), int(c[0]), int(c[-1])]


def banner(c: Canvas, value, value2=None, x=10, y=0):
    """The two-line identity banner in the top band (rows 0-59)."""
    c.text((x, y + 0), BANNER_1, value)
    c.text((x, y + 28), BANNER_2, value if value2 is None else value2)


# --------------------------------------------------------------------------------------------
# Headers


def base_dataset(name: str, sop_class: str, modality: str, ts: str, series_no: int) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = uid(name + "/sop")
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "PYDICOM " + pydicom.__version__

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyDate = "20240102"
    ds.SeriesDate = "20240102"
    ds.ContentDate = "20240102"
    ds.StudyTime = "093000"
    ds.SeriesTime = "093000"
    ds.ContentTime = "093015"
    ds.AccessionNumber = "ACC0001"
    ds.Modality = modality
    ds.InstitutionName = "General Hospital"
    ds.ReferringPhysicianName = ""
    ds.PatientName = "DOE^JOHN"
    ds.PatientID = "12345678"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "M"
    ds.StudyInstanceUID = uid("study")
    ds.SeriesInstanceUID = uid(name + "/series")
    ds.StudyID = "1"
    ds.SeriesNumber = series_no
    ds.InstanceNumber = 1
    return ds


def set_pixel_module(ds, rows, cols, spp, photometric, bits_alloc, bits_stored, signed):
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = photometric
    if spp > 1:
        ds.PlanarConfiguration = 0
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = bits_alloc
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0


def us_header(name: str, sop_class=US_IMAGE, ts=ExplicitVRLittleEndian, series_no=1):
    ds = base_dataset(name, sop_class, "US", ts, series_no)
    ds.Manufacturer = "ACME"
    ds.ManufacturerModelName = "SONO 1"
    ds.BurnedInAnnotation = "YES"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "ABDOMINAL"]
    return ds


def sc_header(name: str, ts=ExplicitVRLittleEndian, series_no=10):
    ds = base_dataset(name, SECONDARY_CAPTURE, "OT", ts, series_no)
    ds.Manufacturer = "ACME"
    ds.ManufacturerModelName = "CAPTURE 2"
    ds.ConversionType = "WSD"
    ds.ImageType = ["DERIVED", "SECONDARY"]
    return ds


def ct_header(name: str, image_type, series_no):
    ds = base_dataset(name, CT_IMAGE, "CT", ExplicitVRLittleEndian, series_no)
    ds.Manufacturer = "ACME"
    ds.ManufacturerModelName = "CT 9000"
    ds.ImageType = image_type
    ds.FrameOfReferenceUID = uid("frame-of-reference")
    ds.PositionReferenceIndicator = ""
    ds.KVP = "120"
    ds.SliceThickness = "1.0"
    ds.PatientPosition = "HFS"
    ds.ImagePositionPatient = ["-250", "-250", "0"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.SliceLocation = "0"
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    return ds


def save(ds: Dataset, name: str, out: Path = OUT):
    path = out / name
    ds.save_as(path, enforce_file_format=True)
    return path


def jpeg_fragment(jpeg: bytes) -> bytes:
    return jpeg + (b"\x00" if len(jpeg) % 2 else b"")


def jpeg_bytes(img: Image.Image, **kw) -> bytes:
    b = io.BytesIO()
    img.save(b, format="JPEG", quality=95, **kw)
    return b.getvalue()


# --------------------------------------------------------------------------------------------
# Images


def us_anatomy(c: Canvas, scale=1.0):
    """A sector-ish ellipse gradient below the banner (rows 80-459)."""
    c.ellipse_gradient(270, 320, 190, 250, 40, 180, scale)
    c.ellipse_gradient(290, 300, 60, 90, 10, 60, scale)  # a dark "cyst"


def make_us_mono8(boxes):
    c = Canvas(480, 640)
    us_anatomy(c)
    banner(c, 255)
    ds = us_header("us_mono8")
    set_pixel_module(ds, 480, 640, 1, "MONOCHROME2", 8, 8, False)
    ds.PixelData = np.clip(np.rint(c.img), 0, 255).astype(np.uint8).tobytes()
    boxes["us_mono8.dcm"] = {"phi_text": box(c.phi_mask)}
    return save(ds, "us_mono8.dcm")


def us_colour_canvas():
    c = Canvas(480, 640, 3)
    us_anatomy(c)
    # a colour-Doppler-like red/blue blob inside the anatomy
    inside = c.ellipse_gradient(250, 380, 30, 40, 60, 200)
    c.img[inside, 1] = 0
    c.img[inside, 2] = c.img[inside, 2] * 0.3
    banner(c, (255, 255, 0), (255, 255, 255))  # name/MRN yellow, DOB white
    return c


def make_us_rgb(boxes):
    c = us_colour_canvas()
    ds = us_header("us_rgb", series_no=2)
    set_pixel_module(ds, 480, 640, 3, "RGB", 8, 8, False)
    ds.PixelData = np.clip(np.rint(c.img), 0, 255).astype(np.uint8).tobytes()
    boxes["us_rgb.dcm"] = {"phi_text": box(c.phi_mask)}
    return save(ds, "us_rgb.dcm")


def make_us_ybr422_jpeg(boxes):
    c = us_colour_canvas()
    rgb = np.clip(np.rint(c.img), 0, 255).astype(np.uint8)
    # subsampling=1 is 4:2:2 in Pillow; Pillow writes YCbCr (JFIF) components.
    jpeg = jpeg_bytes(Image.fromarray(rgb, "RGB"), subsampling=1)
    ds = us_header("us_ybr422_jpeg", ts=JPEGBaseline8Bit, series_no=3)
    set_pixel_module(ds, 480, 640, 3, "YBR_FULL_422", 8, 8, False)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = f"{rgb.nbytes / len(jpeg):.2f}"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.PixelData = encapsulate([jpeg_fragment(jpeg)], has_bot=False)  # empty BOT, one fragment
    ds["PixelData"].VR = "OB"
    boxes["us_ybr422_jpeg.dcm"] = {"phi_text": box(c.phi_mask)}
    return save(ds, "us_ybr422_jpeg.dcm")


def make_us_multiframe_rle(boxes):
    frames, phi, other = [], np.zeros((480, 640), bool), np.zeros((480, 640), bool)
    for i in range(3):
        c = Canvas(480, 640)
        # anatomy moves a little from frame to frame
        c.ellipse_gradient(270 + 5 * i, 320 + 10 * i, 190, 250, 40, 180)
        c.ellipse_gradient(290, 300 + 10 * i, 60, 90, 10, 60)
        banner(c, 255)
        # frame counter, not identifying, bottom right (outside the banner)
        c.text((500, 440), f"FR {i + 1}/3", 200, size=24, phi=False)
        frames.append(np.clip(np.rint(c.img), 0, 255).astype(np.uint8))
        phi |= c.phi_mask
        other |= c.other_mask
    arr = np.stack(frames)
    ds = us_header("us_multiframe_rle", sop_class=US_MULTIFRAME, series_no=4)
    set_pixel_module(ds, 480, 640, 1, "MONOCHROME2", 8, 8, False)
    ds.NumberOfFrames = 3
    ds.FrameTime = "33.3"
    ds.FrameIncrementPointer = 0x00181063
    ds.compress(RLELossless, arr, generate_instance_uid=False)
    boxes["us_multiframe_rle.dcm"] = {"phi_text": box(phi), "frame_counter": box(other)}
    return save(ds, "us_multiframe_rle.dcm")


def sc_canvas(white):
    c = Canvas(512, 512)
    c.ellipse_gradient(290, 256, 200, 170, 0.15 * white, 0.6 * white)
    c.ellipse_gradient(290, 210, 50, 30, 0.05 * white, 0.2 * white)
    c.ellipse_gradient(290, 302, 50, 30, 0.05 * white, 0.2 * white)
    banner(c, white)
    return c


def make_sc_mono16(boxes):
    c = sc_canvas(4095)
    ds = sc_header("sc_mono16")
    set_pixel_module(ds, 512, 512, 1, "MONOCHROME2", 16, 12, False)
    ds.PixelData = np.clip(np.rint(c.img), 0, 4095).astype("<u2").tobytes()
    boxes["sc_mono16.dcm"] = {"phi_text": box(c.phi_mask)}
    return save(ds, "sc_mono16.dcm")


COM_TEXT = b"Patient: DOE^JOHN 12345678"


def make_sc_jpeg_com(boxes):
    c = sc_canvas(255)
    gray = np.clip(np.rint(c.img), 0, 255).astype(np.uint8)
    jpeg = jpeg_bytes(Image.fromarray(gray, "L"))
    assert jpeg[:2] == b"\xff\xd8"
    com = b"\xff\xfe" + (len(COM_TEXT) + 2).to_bytes(2, "big") + COM_TEXT
    jpeg = jpeg[:2] + com + jpeg[2:]  # COM right after SOI
    ds = sc_header("sc_jpeg_com", ts=JPEGBaseline8Bit, series_no=11)
    set_pixel_module(ds, 512, 512, 1, "MONOCHROME2", 8, 8, False)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = f"{gray.nbytes / len(jpeg):.2f}"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.PixelData = encapsulate([jpeg_fragment(jpeg)], has_bot=False)
    ds["PixelData"].VR = "OB"
    boxes["sc_jpeg_com.dcm"] = {
        "phi_text": box(c.phi_mask),
        "jpeg_com_segment": COM_TEXT.decode(),
        "jpeg_com_offset_in_fragment": 2,
    }
    return save(ds, "sc_jpeg_com.dcm")


def ct_canvas(rows, cols):
    """HU image: air -1000 background, body ellipse ~ +40, two 'lungs' ~ -800, a 'spine' ~ +700."""
    c = Canvas(rows, cols)
    c.img[:] = -1000
    s = rows / 512
    c.ellipse_gradient(240 * s, 256 * s, 170 * s, 220 * s, 0, 60)  # body, soft tissue
    for cx in (180, 332):
        c.ellipse_gradient(220 * s, cx * s, 100 * s, 60 * s, -900, -700)  # lungs
    c.ellipse_gradient(350 * s, 256 * s, 25 * s, 25 * s, 300, 900)  # spine
    return c


def make_ct_original(boxes):
    c = ct_canvas(256, 256)
    ds = ct_header("ct_original", ["ORIGINAL", "PRIMARY", "AXIAL"], 20)
    set_pixel_module(ds, 256, 256, 1, "MONOCHROME2", 16, 16, True)
    ds.PixelSpacing = ["1.953125", "1.953125"]
    ds.PixelData = np.rint(c.img).astype("<i2").tobytes()
    boxes["ct_original.dcm"] = {"phi_text": None}
    return save(ds, "ct_original.dcm")


def make_ct_reformat(boxes, with_text: bool):
    name = "ct_reformat_text" if with_text else "ct_reformat_clean"
    c = ct_canvas(512, 512)
    if with_text:
        c.text((10, 470), CT_BANNER, 3071)  # bottom band rows 452-511
    ds = ct_header(name, ["DERIVED", "SECONDARY", "REFORMATTED"], 21 if with_text else 22)
    ds.SeriesDescription = "MPR CORONAL"
    set_pixel_module(ds, 512, 512, 1, "MONOCHROME2", 16, 16, True)
    ds.PixelSpacing = ["0.9765625", "0.9765625"]
    ds.PixelData = np.rint(c.img).astype("<i2").tobytes()
    boxes[name + ".dcm"] = {"phi_text": box(c.phi_mask)}
    return save(ds, name + ".dcm")


# --------------------------------------------------------------------------------------------
# Multi-frame loops (tests/data/pixels-loops): text in a few middle frames only

LOOPS = ROOT / "tests" / "data" / "pixels-loops"
LOOP_SIZE = 256
LOOP_FRAMES = 10
LOOP_FONT = 22
# (1-based frame, text, x, y): the name and the MRN show in frames 4-6 only, moving and changing.
LOOP_TEXT = [
    (4, "DOE JOHN", 12, 8),
    (5, "MRN 12345678", 40, 10),
    (6, "DOE JOHN 12345678", 20, 6),
]
LOOP_RULE = {
    "name": "ACME VIEWER 3 256x256 loop top band",
    "action": "clean",
    "regions": [[0, 0, 256, 40]],
    "match": [
        ("Manufacturer", '"ACME"'),
        ("ManufacturerModelName", '"VIEWER 3"'),
        ("Columns", "256"),
        ("Rows", "256"),
    ],
}


def loop_frames(with_text: bool):
    """The frames of a rotating rendering (uint8, 256x256) and the union mask of the text."""
    frames, phi = [], np.zeros((LOOP_SIZE, LOOP_SIZE), bool)
    text = {f: (s, x, y) for f, s, x, y in LOOP_TEXT} if with_text else {}
    for i in range(1, LOOP_FRAMES + 1):
        c = Canvas(LOOP_SIZE, LOOP_SIZE)
        a = 2 * np.pi * (i - 1) / LOOP_FRAMES
        c.ellipse_gradient(150, 128, 90, 70 + 20 * np.cos(a), 40, 170)
        c.ellipse_gradient(150 + 20 * np.sin(a), 128 + 25 * np.cos(a), 25, 18, 120, 230)
        if i in text:
            s, x, y = text[i]
            c.text((x, y), s, 255, size=LOOP_FONT)
        frames.append(np.clip(np.rint(c.img), 0, 255).astype(np.uint8))
        phi |= c.phi_mask
    return np.stack(frames), phi


def loop_header(name: str, ts, model: str, series_no: int):
    ds = base_dataset(name, MULTIFRAME_BYTE_SC, "CT", ts, series_no)
    ds.Manufacturer = "ACME"
    ds.ManufacturerModelName = model
    ds.ConversionType = "WSD"
    ds.ImageType = ["DERIVED", "SECONDARY", "VOLUME RENDERING"]
    ds.BurnedInAnnotation = "NO"
    ds.SeriesDescription = "3D LOOP"
    set_pixel_module(ds, LOOP_SIZE, LOOP_SIZE, 1, "MONOCHROME2", 8, 8, False)
    ds.NumberOfFrames = LOOP_FRAMES
    ds.FrameIncrementPointer = 0x00181063
    ds.FrameTime = "100"
    return ds


def make_loops(boxes):
    LOOPS.mkdir(parents=True, exist_ok=True)
    arr, phi = loop_frames(True)
    ds = loop_header("loop_text_native", ExplicitVRLittleEndian, "VIEWER 3", 30)
    ds.PixelData = arr.tobytes()
    save(ds, "loop_text_native.dcm", LOOPS)
    ds = loop_header("loop_text_rle", ExplicitVRLittleEndian, "VIEWER 3", 31)
    ds.compress(RLELossless, arr, generate_instance_uid=False)
    save(ds, "loop_text_rle.dcm", LOOPS)
    ds = loop_header("loop_text_jpeg", JPEGBaseline8Bit, "VIEWER 3", 32)
    jpegs = [jpeg_fragment(jpeg_bytes(Image.fromarray(f, "L"))) for f in arr]
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = f"{arr.nbytes / sum(map(len, jpegs)):.2f}"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.PixelData = encapsulate(jpegs, has_bot=True)  # one fragment per frame, with a BOT
    ds["PixelData"].VR = "OB"
    save(ds, "loop_text_jpeg.dcm", LOOPS)
    frames_with_text = [f for f, _, _, _ in LOOP_TEXT]
    for n in ("loop_text_native.dcm", "loop_text_rle.dcm", "loop_text_jpeg.dcm"):
        boxes["pixels-loops/" + n] = {"phi_text": box(phi), "frames_with_text": frames_with_text}
    clean, _ = loop_frames(False)
    ds = loop_header("loop_clean_rle", ExplicitVRLittleEndian, "VIEWER 4", 33)
    ds.compress(RLELossless, clean, generate_instance_uid=False)
    save(ds, "loop_clean_rle.dcm", LOOPS)
    boxes["pixels-loops/loop_clean_rle.dcm"] = {"phi_text": None}
    r0, r1, c0, c1 = box(phi)
    x, y, w, h = LOOP_RULE["regions"][0]
    if not (r0 - y >= 4 and c0 - x >= 4 and y + h - 1 - r1 >= 4 and x + w - 1 - c1 >= 4):
        sys.exit(f"the loop rule does not cover the loop text: rows/cols {box(phi)}")
    write_rules([LOOP_RULE], LOOPS)


# --------------------------------------------------------------------------------------------
# Rules

RULES = [
    {
        "name": "ACME SONO 1 640x480 banner",
        "action": "clean",
        "regions": [[0, 0, 640, 60]],
        "match": [
            ("Manufacturer", '"ACME"'),
            ("ManufacturerModelName", '{ contains = "SONO" }'),
            ("Columns", "640"),
            ("Rows", "480"),
        ],
        "files": ["us_mono8.dcm", "us_rgb.dcm", "us_ybr422_jpeg.dcm", "us_multiframe_rle.dcm"],
    },
    {
        "name": "Secondary Capture 512x512 banner",
        "action": "clean",
        "regions": [[0, 0, 512, 60]],
        "match": [
            ("SOPClassUID", f'"{SECONDARY_CAPTURE}"'),
            ("Columns", "512"),
            ("Rows", "512"),
        ],
        "files": ["sc_mono16.dcm", "sc_jpeg_com.dcm"],
    },
    {
        "name": "CT 512x512 reformat bottom band",
        "action": "clean",
        "regions": [[0, 452, 512, 60]],
        "match": [
            ("Modality", '"CT"'),
            ("ImageType", '{ contains = "REFORMATTED" }'),
            ("Columns", "512"),
            ("Rows", "512"),
        ],
        "files": ["ct_reformat_text.dcm", "ct_reformat_clean.dcm"],
    },
]


def write_rules(rules=RULES, out_dir=OUT):
    out = [
        "# Burned-in text rules for the fixtures of this folder (generated by",
        "# scripts/make_pixel_fixtures.py; see PROVENANCE.md for the text boxes they cover).",
        "# regions: [x, y, width, height] in columns/rows, origin top-left.",
        "",
    ]
    for r in rules:
        out += [
            "[[rule]]",
            f'name = "{r["name"]}"',
            f'action = "{r["action"]}"',
            "regions = [" + ", ".join(f"[{', '.join(map(str, g))}]" for g in r["regions"]) + "]",
            "[rule.match]",
        ]
        out += [f"{k} = {v}" for k, v in r["match"]]
        out.append("")
    (out_dir / "rules.toml").write_text("\n".join(out))


def check_rules_cover(boxes, margin=4):
    """Every drawn identifying text box lies inside one region of its file's rule, `margin`
    pixels away from every region edge (the script fails otherwise)."""
    for r in RULES:
        for f in r["files"]:
            b = boxes[f]["phi_text"]
            if b is None:
                continue
            r0, r1, c0, c1 = b
            ok = any(
                c0 - x >= margin and r0 - y >= margin and x + w - 1 - c1 >= margin
                and y + h - 1 - r1 >= margin
                for x, y, w, h in r["regions"]
            )
            if not ok:
                sys.exit(f"rule {r['name']!r} does not cover the text of {f}: rows/cols {b}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loops", action="store_true", help="write only tests/data/pixels-loops/")
    args = ap.parse_args()
    boxes = {}
    if args.loops:
        make_loops(boxes)
        for f, b in sorted(boxes.items()):
            print(f, json.dumps(b))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    make_us_mono8(boxes)
    make_us_rgb(boxes)
    make_us_ybr422_jpeg(boxes)
    make_us_multiframe_rle(boxes)
    make_sc_mono16(boxes)
    make_sc_jpeg_com(boxes)
    make_ct_original(boxes)
    make_ct_reformat(boxes, True)
    make_ct_reformat(boxes, False)
    check_rules_cover(boxes)
    write_rules()
    make_loops(boxes)
    for f, b in sorted(boxes.items()):
        print(f, json.dumps(b))


if __name__ == "__main__":
    main()
