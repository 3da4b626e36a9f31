#!/usr/bin/env python3
"""Convert the %filter sections of a pydicom/deid recipe (e.g. deid/data/deid.dicom)
into dicom-deid pixel blackout rules (data/pixel_rules.toml).

    scripts/convert_deid_recipe.py [--origin TEXT] [--report FILE] RECIPE > data/pixel_rules.toml

Python 3 standard library only.  The TOML goes to stdout; a Markdown report (counts,
converted and skipped filters with reasons, notes) goes to --report FILE (or stderr).

What deid means (checked against deid's source, deid/config/utils.py, deid/dicom/filter.py,
deid/dicom/pixels/detect.py and clean.py):
  * `contains F V`  case-insensitive re.search(V, str(value)) -> only plain literals (or an
    alternation a|b of plain literals, split into one rule each) are converted, as
    `{ contains = "V" }`, which the engine evaluates as a case-insensitive substring test.
  * `equals F V`    case-insensitive string equality (not a regex) -> exact value; for
    Rows/Columns V must be an integer.
  * `missing`, `empty`, `present`, `notequals`, `notcontains` -> not expressible: skipped.
  * `+ ...` line: AND.  `|| ...` line: OR according to deid's documentation (deid's
    detect.py in fact combines the lines of a LABEL with AND); either way it is not
    expressible with certainty -> skipped.  Inside one line, `A + B || C` is evaluated left
    to right, (A and B) or C; such a line is expanded into alternatives (one rule each).
  * `coordinates x0,y0,x1,y1`   (xmin, ymin, xmax, ymax; clean.py blacks out
    mask[ymin:ymax, xmin:xmax]) -> region [x0, y0, x1-x0, y1-y0].
  * `ctpcoordinates x,y,w,h`    (CTP convention, deid adds w/h to get xmax/ymax) -> [x,y,w,h].
  * `all` -> whole image: only convertible when the rule fixes Rows and Columns exactly.
  * `from:Field` (regions read from the file at run time) and `keepcoordinates` /
    `ctpkeepcoordinates` (pixels put back after cleaning) have no equivalent: dropped with a
    note (dropping a keep region only makes the blackout larger).
deid applies the regions of EVERY matching filter; the engine applies only the FIRST
matching rule.  To keep deid's behaviour the converter (1) merges filters with identical
conditions, (2) gives each rule also the regions of every less specific rule its
conditions imply, (3) adds a rule for the intersection of two overlapping rules when
neither implies the other and the intersection is expressible, and (4) orders rules by
number of conditions, most first (source order within the same count).
"""

import argparse
import itertools
import json
import re
import sys

ALLOWED = ("Modality", "Manufacturer", "ManufacturerModelName", "Rows", "Columns",
           "ImageType", "SOPClassUID", "PhotometricInterpretation")
INTEGER_KEYS = ("Rows", "Columns")

# Valid DICOM keywords (PS3.6) that deid recipes use but the engine cannot match on.
# Anything neither here nor in ALLOWED is reported as "not a DICOM keyword".
OTHER_KEYWORDS = {
    "SeriesDescription", "StudyDescription", "ProtocolName", "CodeMeaning",
    "CommentsOnRadiationDose", "BurnedInAnnotation", "WindowWidth", "WindowCenter",
    "OverlayDescription", "ImplementationVersionName", "DateOfSecondaryCapture",
    "SecondaryCaptureDeviceManufacturer", "SecondaryCaptureDeviceManufacturerModelName",
    "SecondaryCaptureDeviceSoftwareVersions", "SoftwareVersions", "StationName",
    "InstitutionName", "ConversionType", "BodyPartExamined", "PatientSex", "OperatorsName",
    "SeriesNumber", "SamplesPerPixel", "BitsAllocated", "RecognizableVisualFeatures",
}

# Modality defined terms, PS3.3 C.7.3.1.1.1 (current and retired).
MODALITIES = set("""AR ASMT AU BDUS BI BMD CR CT CTPROTOCOL DG DOC DX ECG EPS ES FID GM HC HD
IO IOL IVOCT IVUS KER KO LEN LS MG MR M3D NM OAM OCT OP OPM OPT OPTBSV OPTENF OPV OSS OT PLAN
POS PR PT PX REG RESP RF RG RTDOSE RTIMAGE RTINTENT RTPLAN RTRAD RTRECORD RTSEGANN RTSTRUCT RWV
SEG SM SMR SR SRF STAIN TEXTUREMAP TG US VA XA XAPROTOCOL XC
AS CD CF CP CS DD DF DM DS EC FA FS LP MA MS OPR ST VF""".split())

ACTIONS = ("contains", "notcontains", "equals", "notequals", "missing", "present", "empty")
REGEX_META = set(".^$*+?{}[]()\\|")
OP_SPLIT = re.compile(r"\s*(\|\||\+)\s*(?=(?:%s)\s)" % "|".join(ACTIONS), re.I)


class Skip(Exception):
    """A filter that cannot be converted; the message is the reason."""


def closest_keyword(field):
    import difflib
    hits = difflib.get_close_matches(field, list(ALLOWED) + sorted(OTHER_KEYWORDS), 1, 0.8)
    return hits[0] if hits else None


# ---------------------------------------------------------------- parsing

def parse_recipe(text):
    """Return a list of filters: dict(section, label, comment, line, lines, coords)."""
    filters = []
    section = None
    current = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("%"):
            current = None
            head = line.split("#", 1)[0].split()
            section = head[1] if head[0].lower() == "%filter" and len(head) > 1 else None
            continue
        if section is None:
            continue
        if line.upper().startswith("LABEL"):
            body = line[5:].strip()
            label, _, comment = body.partition("#")
            current = {"section": section, "label": label.strip(), "comment": comment.strip(),
                       "line": lineno, "lines": [], "coords": []}
            filters.append(current)
            continue
        if current is None:
            continue
        low = line.lower()
        kind = next((k for k in ("ctpkeepcoordinates", "ctpcoordinates", "keepcoordinates",
                                 "coordinates") if low.startswith(k)), None)
        if kind:
            current["coords"].append((kind, line[len(kind):].strip(), lineno))
            continue
        op = "first"
        if line.startswith("+"):
            op, line = "and", line[1:].strip()
        elif line.startswith("||"):
            op, line = "or", line[2:].strip()
        parts = OP_SPLIT.split(line)
        conds, inner = [], []
        for i, part in enumerate(parts):
            if i % 2:
                inner.append("and" if part == "+" else "or")
                continue
            words = part.strip().split(None, 2)
            action = words[0].lower() if words else ""
            if action not in ACTIONS or len(words) < 2:
                current.setdefault("bad", []).append("line %d: unparsed condition %r" % (lineno, part))
                continue
            conds.append((action, words[1], words[2].strip() if len(words) > 2 else None))
        current["lines"].append((op, conds, inner, lineno))
    return filters


# ---------------------------------------------------------------- conditions

def literal_alternatives(pattern):
    """deid's `contains` is a regex search; return the literals it is equivalent to, or None."""
    alts = pattern.split("|")
    if any(not a.strip() or (set(a) & REGEX_META) for a in alts):
        return None
    alts = [a.strip() for a in alts]
    # contains "a" already covers contains "xay": keep only the shortest covering literals
    keep = [a for a in alts if not any(b != a and b.lower() in a.lower() for b in alts)]
    return list(dict.fromkeys(keep))


def convert_condition(action, field, value):
    """Return a list of alternatives, each (field, kind, value); raise Skip if impossible."""
    if action not in ("contains", "equals"):
        raise Skip("uses `%s` (%s)" % (action, field))
    if field not in ALLOWED:
        if field in OTHER_KEYWORDS:
            raise Skip("condition on %s (not a key the engine matches on)" % field)
        guess = closest_keyword(field)
        raise Skip("`%s` is not a DICOM keyword%s" % (
            field, " (misspelling of %s?)" % guess if guess else ""))
    if value is None or value == "":
        raise Skip("%s %s without a value" % (action, field))
    if field in INTEGER_KEYS:
        if action != "equals" or not re.fullmatch(r"\d+", value):
            raise Skip("%s %s %r is not an integer equality%s" % (
                action, field, value,
                " (deid's `equals` is not a regex: it compares the text %r and never matches)"
                % value if action == "equals" else ""))
        return [(field, "eq", int(value))]
    if action == "equals":
        return [(field, "eq", value)]
    alts = literal_alternatives(value)
    if alts is None:
        raise Skip("contains %s %r is a regular expression, not a literal" % (field, value))
    if field == "Modality":
        dead = [a for a in alts if not any(a.upper() in m for m in MODALITIES)]
        if dead:
            raise Skip("Modality %s is not part of any DICOM Modality defined term: "
                       "the filter can never match" % ", ".join(repr(a) for a in dead))
    return [(field, "contains", a) for a in alts]


def combine(conds):
    """AND a list of (field, kind, value) into {field: (kind, value)}; None if contradictory."""
    out = {}
    for field, kind, value in conds:
        if field not in out:
            out[field] = (kind, value)
            continue
        k0, v0 = out[field]
        if k0 == "eq" and kind == "eq":
            if v0 != value:
                return None
        elif k0 == "eq" or kind == "eq":
            eq, sub = (v0, value) if k0 == "eq" else (value, v0)
            if str(sub).lower() not in str(eq).lower():
                return None
            out[field] = ("eq", eq)
        else:
            a, b = v0.lower(), value.lower()
            if a in b:
                out[field] = ("contains", value)
            elif b not in a:
                raise Skip("two `contains` on %s (%r, %r) cannot be written as one condition"
                           % (field, v0, value))
    return out


def implies(a, b):
    """Every file matching conditions `a` also matches conditions `b`."""
    for field, (kind, value) in b.items():
        if field not in a:
            return False
        ka, va = a[field]
        if kind == "eq":
            if not (ka == "eq" and va == value):
                return False
        elif str(value).lower() not in str(va).lower():
            return False
    return True


def intersect(a, b):
    """Conditions of `a` AND `b`, or None when disjoint; raises Skip when not expressible.

    Modality holds one code: two different Modality literals are disjoint.  When the
    `contains` literals of exactly one other key differ with neither containing the other
    (model "X150" against "ACUSON"), a file could still satisfy both ("ACUSON X150"), but
    the engine cannot express it: Skip is raised so that the pair is listed.  Two or more
    such keys (Manufacturer GE + model LOGIQ9 against Philips + iU22) count as disjoint."""
    conflict = None
    for field in sorted(set(a) & set(b)):
        (ka, va), (kb, vb) = a[field], b[field]
        if field == "Modality" and ka == kb == "contains" and va.upper() != vb.upper():
            return None
        try:
            if combine([(field, ka, va), (field, kb, vb)]) is None:
                return None
        except Skip:
            if conflict is not None:
                return None
            conflict = "%s %r / %r" % (field, va, vb)
    if conflict:
        raise Skip(conflict)
    return combine([(f, k, v) for f, (k, v) in itertools.chain(a.items(), b.items())])


# ---------------------------------------------------------------- filter -> rules

def line_alternatives(conds, inner):
    """Left-to-right evaluation of `c0 op c1 op c2 ...` as a list of AND-groups."""
    groups = []
    for i, c in enumerate(conds):
        alts = convert_condition(*c)
        if i == 0 or inner[i - 1] == "and":
            base = groups or [[]]
            groups = [g + [alt] for g in base for alt in alts]
        else:
            groups = groups + [[alt] for alt in alts]
    return groups


def convert_region(kind, raw, conds, notes):
    if kind in ("keepcoordinates", "ctpkeepcoordinates"):
        notes.append("`%s %s` dropped: the engine has no keep regions (the blackout "
                     "can only get larger)" % (kind, raw))
        return None
    if raw.lower().startswith("from:"):
        notes.append("`%s %s` dropped: regions read from the file at run time" % (kind, raw))
        return None
    if raw.lower() == "all":
        if conds.get("Rows", ("", None))[0] == "eq" and conds.get("Columns", ("", None))[0] == "eq":
            return [0, 0, conds["Columns"][1], conds["Rows"][1]]
        notes.append("`%s all` dropped: the rule does not fix Rows and Columns" % kind)
        return None
    try:
        n = [int(x) for x in raw.replace(" ", "").split(",") if x != ""]
    except ValueError:
        n = []
    if len(n) != 4:
        notes.append("`%s %s` dropped: not four integers" % (kind, raw))
        return None
    if kind == "coordinates":
        x, y, w, h = n[0], n[1], n[2] - n[0], n[3] - n[1]
    else:
        x, y, w, h = n
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        notes.append("`%s %s` dropped: gives x=%d y=%d w=%d h=%d" % (kind, raw, x, y, w, h))
        return None
    return [x, y, w, h]


def convert_filter(f):
    """Return (action, [(conds, regions)], notes) or raise Skip."""
    if f.get("bad"):
        raise Skip("; ".join(f["bad"]))
    if not f["lines"]:
        raise Skip("no conditions")
    for op, _, _, lineno in f["lines"][1:]:
        if op == "or":
            raise Skip("line %d starts with `||` (OR across lines: deid's documentation says OR, "
                       "its detect.py evaluates AND)" % lineno)
    # Check every condition first, so that the reason names the first blocker in the file.
    for _, conds, _, _ in f["lines"]:
        for c in conds:
            convert_condition(*c)
    section = f["section"].lower()
    groups = [[]]
    for _, conds, inner, _ in f["lines"]:
        groups = [g + alt for g in groups for alt in line_alternatives(conds, inner)]
    combos = []
    for g in groups:
        c = combine(g)
        if c is not None and c not in combos:
            combos.append(c)
    if not combos:
        raise Skip("contradictory conditions")
    # an alternative implied by another alternative of the same filter is redundant
    combos = [c for c in combos if not any(d is not c and implies(c, d) and not implies(d, c)
                                           for d in combos)]
    notes = []
    if section == "whitelist":
        for c in combos:
            if not ("Manufacturer" in c and "ManufacturerModelName" in c):
                raise Skip("whitelist (keep) filter not specific enough: needs Manufacturer "
                           "and ManufacturerModelName")
        if f["coords"]:
            notes.append("coordinates of a whitelist filter ignored")
        return "keep", [(c, []) for c in combos], notes
    if not f["coords"]:
        raise Skip("no coordinates (flag-only %s filter)" % section)
    out = []
    for c in combos:
        regions = []
        for kind, raw, _ in f["coords"]:
            r = convert_region(kind, raw, c, notes)
            if r is not None and r not in regions:
                regions.append(r)
        if regions:
            out.append((c, regions))
    if not out:
        raise Skip("no usable coordinates: " + "; ".join(notes))
    return "clean", out, list(dict.fromkeys(notes))


# ---------------------------------------------------------------- output

def describe(conds):
    parts = []
    for field in ALLOWED:
        if field in conds:
            kind, value = conds[field]
            parts.append("%s%s%s" % (field, "=" if kind == "eq" else "~", value))
    return ", ".join(parts)


def filter_ref(f):
    return "%%filter %s LABEL %s%s (line %d)" % (
        f["section"], f["label"], " # " + f["comment"] if f["comment"] else "", f["line"])


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def build(filters):
    rules = []          # dict(action, conds, regions, labels, sources, order)
    skipped = []        # (filter, reason)
    notes = []          # (filter, note)
    converted = 0
    for f in filters:
        try:
            action, items, fnotes = convert_filter(f)
        except Skip as e:
            skipped.append((f, str(e)))
            continue
        converted += 1
        notes.extend((f, n) for n in fnotes)
        for conds, regions in items:
            same = next((r for r in rules if r["conds"] == conds and r["action"] == action), None)
            if same:
                added = [x for x in regions if x not in same["regions"]]
                same["regions"].extend(added)
                same["sources"].append(filter_ref(f))
                notes.append((f, "same conditions as %s: merged%s" % (
                    same["sources"][0], " (adds %d region(s))" % len(added) if added
                    else " (identical regions, duplicate)")))
                continue
            rules.append({"action": action, "conds": conds, "regions": list(regions),
                          "labels": [f["label"]], "sources": [filter_ref(f)],
                          "order": len(rules)})
    base = [r for r in rules if r["action"] == "clean"]
    # deid applies every matching filter: give each rule the regions of the rules it implies
    def regions_for(conds):
        out = []
        for r in base:
            if implies(conds, r["conds"]):
                out.extend(x for x in r["regions"] if x not in out)
        return out

    overlaps = []
    for a, b in itertools.combinations(base, 2):
        if implies(a["conds"], b["conds"]) or implies(b["conds"], a["conds"]):
            continue
        try:
            c = intersect(a["conds"], b["conds"])
        except Skip as e:
            overlaps.append("%s (line %s) / %s (line %s): %s" % (
                a["labels"][0], a["sources"][0].rsplit("line ", 1)[1].rstrip(")"),
                b["labels"][0], b["sources"][0].rsplit("line ", 1)[1].rstrip(")"), e))
            continue
        if c is None or any(r["conds"] == c for r in rules):
            continue
        rules.append({"action": "clean", "conds": c, "regions": [],
                      "labels": ["%s + %s" % (a["labels"][0], b["labels"][0])],
                      "sources": ["intersection of " + a["sources"][0] + " and " + b["sources"][0]],
                      "order": len(rules)})
    for r in rules:
        if r["action"] == "clean":
            r["regions"] = regions_for(r["conds"])
    rules.sort(key=lambda r: (-len(r["conds"]), r["order"]))
    names = set()
    for r in rules:
        name = "%s [%s]" % (r["labels"][0], describe(r["conds"]))
        n, k = name, 2
        while n in names:
            n, k = "%s #%d" % (name, k), k + 1
        names.add(n)
        r["name"] = n
    return rules, skipped, notes, overlaps, converted


def emit_toml(rules, origin, out):
    out.write("# GENERATED FILE - do not edit by hand.\n")
    out.write("# Burned-in annotation blackout rules converted by scripts/convert_deid_recipe.py\n")
    out.write("# from the %filter sections of pydicom/deid's recipe (MIT licence); many filters\n")
    out.write("# originate from RSNA MIRC CTP's DicomPixelAnonymizer.script (RSNA Public License).\n")
    if origin:
        out.write("# Source: %s\n" % origin)
    out.write("# Provenance, licences, skipped filters: data/pixel_rules-PROVENANCE.md\n")
    out.write("# Regions are [x, y, width, height] in pixels (x = column, y = row).\n")
    out.write("# The first matching rule wins; rules are ordered most specific first.\n")
    for r in rules:
        out.write("\n[[rule]]\n")
        out.write("name = %s\n" % toml_str(r["name"]))
        out.write("source = %s\n" % toml_str("deid.dicom: " + "; ".join(r["sources"])))
        out.write("action = %s\n" % toml_str(r["action"]))
        out.write("regions = [%s]\n" % ", ".join(
            "[%d, %d, %d, %d]" % tuple(x) for x in r["regions"]))
        out.write("[rule.match]\n")
        for field in ALLOWED:
            if field in r["conds"]:
                kind, value = r["conds"][field]
                if kind == "eq":
                    v = str(value) if field in INTEGER_KEYS else toml_str(value)
                else:
                    v = "{ contains = %s }" % toml_str(value)
                out.write("%s = %s\n" % (field, v))


def emit_report(filters, rules, skipped, notes, overlaps, converted, out):
    from collections import Counter
    out.write("## Counts\n\n")
    out.write("- filters (LABELs) seen: %d (%s)\n" % (len(filters), ", ".join(
        "%s %d" % kv for kv in Counter(f["section"] for f in filters).items())))
    out.write("- filters converted: %d\n" % converted)
    out.write("- filters skipped: %d\n" % len(skipped))
    out.write("- rules written: %d (%s; %d of them intersections of two overlapping filters)\n" % (
        len(rules), ", ".join("%s %d" % kv for kv in Counter(r["action"] for r in rules).items()),
        sum(1 for r in rules if r["sources"][0].startswith("intersection"))))

    def category(reason):
        for key, cat in (("not a DICOM keyword", "misspelt / unknown keyword"),
                         ("not a key the engine", "condition on a field the engine does not match on"),
                         ("uses `", "missing / empty / notequals / present / notcontains"),
                         ("regular expression", "regular expression, not a literal"),
                         ("not an integer equality", "Rows/Columns value not an integer"),
                         ("Modality", "Modality value that never matches"),
                         ("no coordinates", "no coordinates (flag only)"),
                         ("`||`", "OR across lines"),
                         ("whitelist", "whitelist not specific enough"),
                         ("two `contains`", "conditions not expressible")):
            if key in reason:
                return cat
        return "other"

    out.write("\nSkipped, by reason (first blocking reason per filter):\n\n")
    for cat, n in Counter(category(r) for _, r in skipped).most_common():
        out.write("- %s: %d\n" % (cat, n))
    out.write("\n## Skipped filters\n\n")
    for f, reason in skipped:
        out.write("- %s: %s\n" % (filter_ref(f), reason))
    out.write("\n## Notes from conversion\n\n")
    for f, n in notes:
        out.write("- %s: %s\n" % (filter_ref(f), n))
    if not notes:
        out.write("- none\n")
    out.write("\n## Possible overlaps not expressible as one rule (%d)\n\n" % len(overlaps))
    out.write("deid applies the regions of every matching filter; the engine applies the first "
              "matching rule only.  Each pair below agrees on every other condition and differs "
              "in the literal of one key; a file whose value contains both literals gets only "
              "the regions of the rule listed first in the TOML.\n\n")
    for o in overlaps:
        out.write("- %s\n" % o)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("recipe")
    ap.add_argument("--origin", help="where the recipe came from (written into the header)")
    ap.add_argument("--report", help="write the Markdown report here instead of stderr")
    args = ap.parse_args()
    with open(args.recipe, encoding="utf-8") as fh:
        filters = parse_recipe(fh.read())
    rules, skipped, notes, overlaps, converted = build(filters)
    emit_toml(rules, args.origin, sys.stdout)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as fh:
            emit_report(filters, rules, skipped, notes, overlaps, converted, fh)
    else:
        emit_report(filters, rules, skipped, notes, overlaps, converted, sys.stderr)


if __name__ == "__main__":
    main()
