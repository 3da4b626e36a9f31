#!/usr/bin/env python3
"""Independent OCR oracle for the burned-in text tests (does not use dicom-deid's code).

    python3 tests/support/ocr.py FILE...

For each DICOM file: pydicom decodes every frame (pixel_array; colour, including YBR_FULL_422
JPEG, ends up RGB and is converted to grey), each frame is windowed to 8 bits by its own min/max,
upscaled 2x (Pillow, LANCZOS) and read by `tesseract stdin stdout --psm 11` (PNG on stdin).
Prints one JSON line per file, in order:

    {"file": PATH, "frames": N, "text": "ALL RECOGNISED TEXT, UPPERCASED, WHITESPACE-COLLAPSED",
     "frame_texts": ["FRAME 1'S TEXT", ...]}

Every frame of every file is read (a name shown in a few frames of a loop is found).

Only pixels are read: text in headers or in encapsulated JPEG COM segments is not its business.
Exit status 0 (also when no text is found), 2 when tesseract is not installed, 1 on other errors
(a file pydicom cannot decode).
"""

import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pydicom
from PIL import Image


def frames_of(ds):
    """The frames of a dataset as a list of 2-D float arrays (grey)."""
    arr = ds.pixel_array  # pydicom converts YBR to RGB by default (as_rgb)
    nframes = int(getattr(ds, "NumberOfFrames", 1) or 1)
    spp = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    if nframes == 1:
        arr = arr[None, ...]
    out = []
    for f in arr:
        f = f.astype(np.float64)
        if spp == 3:  # RGB -> luma (ITU-R BT.601)
            f = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
        if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1":
            f = -f
        out.append(f)
    return out


def to_png(frame) -> bytes:
    lo, hi = float(frame.min()), float(frame.max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    g = np.clip(np.rint((frame - lo) * scale), 0, 255).astype(np.uint8)
    img = Image.fromarray(g, "L")
    img = img.resize((img.width * 2, img.height * 2), Image.LANCZOS)
    b = io.BytesIO()
    img.save(b, format="PNG")
    return b.getvalue()


def tesseract(png: bytes) -> str:
    r = subprocess.run(
        ["tesseract", "stdin", "stdout", "--psm", "11"],
        input=png,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if r.returncode != 0:
        raise RuntimeError("tesseract failed: " + r.stderr.decode(errors="replace"))
    return r.stdout.decode("utf-8", errors="replace")


def main(argv):
    if shutil.which("tesseract") is None:
        print("ocr.py: tesseract is not installed (apt-get install tesseract-ocr "
              "tesseract-ocr-eng; see scripts/setup.sh)", file=sys.stderr)
        return 2
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    for path in argv:
        ds = pydicom.dcmread(path)
        frames = frames_of(ds)
        per_frame = [" ".join(tesseract(to_png(f)).upper().split()) for f in frames]
        text = " ".join(t for t in per_frame if t)
        print(json.dumps({"file": path, "frames": len(frames), "text": text,
                          "frame_texts": per_frame}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
