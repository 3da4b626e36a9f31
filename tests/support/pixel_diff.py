#!/usr/bin/env python3
"""Independent pixel comparison for the burned-in text tests (pydicom + numpy; none of the
project's code): decodes an input and its de-identified output and reports, over every frame,
how the pixels inside and outside the given regions compare.

    pixel_diff.py INPUT OUTPUT x,y,w,h [x,y,w,h ...]

Prints one JSON object: frames, shape, max_abs_diff_outside (outside every region),
inside_values (distinct output values inside the regions, at most 8), photometric of both.
Colour is compared as RGB (pydicom converts YBR to RGB when it decodes)."""
import json
import sys

import numpy as np
import pydicom
from pydicom.pixels import convert_color_space


def frames(path):
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    spp = int(ds.SamplesPerPixel)
    if n == 1:
        arr = arr[np.newaxis, ...]
    if spp == 3 and ds.PhotometricInterpretation.startswith("YBR") and ds.file_meta.TransferSyntaxUID.is_compressed is False:
        arr = convert_color_space(arr, ds.PhotometricInterpretation, "RGB")
    if spp == 1:
        arr = arr[..., np.newaxis]
    return ds, arr.astype(np.int64)


def main():
    a_ds, a = frames(sys.argv[1])
    b_ds, b = frames(sys.argv[2])
    mask = np.zeros(a.shape[1:3], dtype=bool)
    for r in sys.argv[3:]:
        x, y, w, h = (int(v) for v in r.split(","))
        mask[y:y + h, x:x + w] = True
    out = {
        "frames": [int(a.shape[0]), int(b.shape[0])],
        "shape": [list(a.shape), list(b.shape)],
        "photometric": [str(a_ds.PhotometricInterpretation), str(b_ds.PhotometricInterpretation)],
    }
    if a.shape == b.shape:
        diff = np.abs(a - b)[:, ~mask, :]
        out["max_abs_diff_outside"] = int(diff.max()) if diff.size else 0
        inside = np.unique(b[:, mask, :].reshape(-1, b.shape[3]), axis=0)
        out["inside_values"] = inside[:8].tolist()
        out["inside_distinct"] = int(len(inside))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
