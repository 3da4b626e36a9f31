#!/usr/bin/env python3
"""Oracle for the CTP-compatible functions (tests/tests/ctp_functions.rs).

Computes, with hashlib and datetime only, the values RSNA CTP's DICOM anonymizer gives for
generated inputs, from CTP's own definitions (AnonymizerFunctions.java, DICOMAnonymizer.java,
org.rsna.util.DigestUtil / DateUtil of johnperry/Util), written independently of the Rust code.
Prints one JSON object per line: {"fn": name, "args": [...], "out": value-or-null}; null means
CTP could not compute a value (it writes an empty value). Deterministic (fixed seed).

With --eval, reads such objects without "out" from stdin (one a line: values found in real
files by tests/tests/recipe_ctp_actions.rs) and prints each with its "out"; there "script"
evaluates a composed element script (text, @param, @hashptid) as CTP's makeReplacement does,
given the script's parameters and the element's value.
"""
import datetime
import hashlib
import json
import re
import random
import struct
import sys


def us_md5(text):
    """DigestUtil.getUSMD5: MD5 of the UTF-8 bytes as a non-negative BigInteger, base 10."""
    return str(int.from_bytes(hashlib.md5(text.encode("utf-8")).digest(), "big"))


def ctp_hash(text, maxlen):
    if maxlen is None or maxlen < 1:
        maxlen = 2**31 - 1
    digits = us_md5(text)
    return digits if len(digits) <= maxlen else digits[:maxlen]


def ctp_hashuid(root, uid):
    # DICOMAnonymizer.hashuid adds the period, AnonymizerFunctions.hashUID trims the prefix
    prefix = root if root.endswith(".") else root + "."
    prefix = prefix.strip("".join(chr(c) for c in range(0, 33)))
    if prefix != "" and not prefix.endswith("."):
        prefix += "."
    digits = us_md5(uid)
    extra = "9" if digits.startswith("0") else ""
    return (prefix + extra + digits)[:64]


WHITE = " \t\n\x0b\x0c\r"


def ctp_hashname(name, length, words):
    if words is None or words <= 0:
        words = 2**31 - 1
    parts = name.split("^")
    while parts and parts[-1] == "":  # Java's split drops trailing empty strings
        parts.pop()
    joined = "".join(parts[:words])
    joined = "".join(c for c in joined if c not in WHITE + ",'^.")
    return ctp_hash(joined.upper(), length)


def ctp_hashptid(siteid, ptid, maxlen):
    trim = "".join(chr(c) for c in range(0, 33))
    return ctp_hash("[" + siteid.strip(trim) + "]" + ptid.strip(trim), maxlen)


def ctp_initials(name):
    s = name.replace("^", " ").replace(",", " ")
    words = [w for w in re.split("[" + WHITE + "]+", s) if w.strip("".join(chr(c) for c in range(0, 33)))]
    if not words:
        return "X"
    letters = "".join(w[0] for w in words)
    if len(letters) > 1:
        letters = letters[1:] + letters[0]
    return letters.upper()


def ctp_caesar(text, offset):
    out = []
    for c in text:
        if "a" <= c <= "z":
            out.append(chr(ord("a") + (ord(c) - ord("a") + offset) % 26))
        elif "A" <= c <= "Z":
            out.append(chr(ord("A") + (ord(c) - ord("A") + offset) % 26))
        elif "0" <= c <= "9":
            out.append(chr(ord("0") + (ord(c) - ord("0") + offset) % 10))
        else:
            out.append(c)
    return "".join(out)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def ctp_round(age, width):
    age = age.strip("".join(chr(c) for c in range(0, 33)))
    if age == "":
        return ""
    digits = "".join(c for c in age if c in "0123456789")
    if digits == "":
        return None
    q = f32(f32(float(digits)) / f32(float(width)))
    import math
    r = math.floor(q + 0.5)
    r = max(-(2**31), min(2**31 - 1, r))
    value = r * width
    result = str(value) + "".join(c for c in age if c not in "0123456789")
    if len(result) % 2 == 1:
        result = "0" + result
    return result


def calendar(date):
    """DateUtil.getCalendar, lenient; returns a datetime.date (time of day carried into days)."""
    s = "".join(c for c in date if c not in "@:T-" + WHITE)
    if s.startswith("00"):
        s = "19" + s[2:]
    if "\\" in s:
        s = s[: s.index("\\")]

    def num(t):
        t2 = t[1:] if t.startswith("+") else t
        if len(t) == 0 or t2 == "" or not all(c in "0123456789" for c in t2):
            raise ValueError(t)
        return int(t2)

    if len(s) < 8:
        raise ValueError(s)
    year, month, day = num(s[0:4]), num(s[4:6]), num(s[6:8])
    secs = 0
    if len(s) > 8:
        time = s[8:]
        if "&" in time:
            time = time[: time.index("&")]
        if len(time) < 4:
            raise ValueError(time)
        hour, minute = num(time[0:2]), num(time[2:4])
        sec = 0
        if len(time) > 4:
            sec = int(f32(float(time[4:])))
        secs = hour * 3600 + minute * 60 + sec
    if year < 1583:
        raise ValueError("julian")
    y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime.date(y, m, 1) + datetime.timedelta(days=day - 1 + secs // 86400)


def ctp_incrementdate_one(date, inc):
    iso = "-" in date
    dlen = 10 if iso else 8
    d = calendar(date) + datetime.timedelta(days=inc)
    if d.year < 1583:
        raise ValueError("julian")
    sep = "-" if iso else ""
    return "%04d%s%02d%s%02d" % (d.year, sep, d.month, sep, d.day) + (date[dlen:] if len(date) > dlen else "")


def ctp_incrementdate(value, inc):
    """The element-level function: None = CTP's @empty()."""
    if len(value) < 8:
        return None
    parts = value.split("\\")
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    try:
        return "\\".join(ctp_incrementdate_one(p, inc) for p in parts)
    except (ValueError, OverflowError):
        return None


def ctp_hashdate_offset(text):
    digits = us_md5(text)
    inc = -(int(digits[-4:]) % 3650)
    return -1 if inc == 0 else inc


def ctp_hashdate(value, hashed):
    return ctp_incrementdate(value, ctp_hashdate_offset(hashed))


def gen_uid(rnd):
    root = rnd.choice(["1.2.840.113619.2", "1.3.6.1.4.1.14519.5.2.1", "2.25", "1.2.826.0.1.3680043.8.498"])
    return root + "." + ".".join(str(rnd.randint(0, 10**rnd.randint(1, 12))) for _ in range(rnd.randint(1, 5)))


def gen_id(rnd):
    kind = rnd.randint(0, 3)
    if kind == 0:
        return str(rnd.randint(0, 10**rnd.randint(1, 10))).zfill(rnd.randint(1, 10))
    if kind == 1:
        return rnd.choice(["A", "MRN", "PAT-", "Z"]) + str(rnd.randint(0, 99999999))
    if kind == 2:
        return rnd.choice(["Müller", "홍길동", "O'Brien", "Smith Jr.", "ÅSA"]) + str(rnd.randint(0, 99))
    return ""


NAMES = ["Doe^John", "Doe^John^Q^Dr.^Jr", "O'Brien^Mary-Ann", "Müller^Jürgen", "van der Berg^Anna",
         "Smith, Jane", "  ", "", "SINGLE", "Lee^^Kim", "de la Cruz^José^Luis", "Ng^A.B.", "x^y^z^w"]


def gen_date(rnd):
    d = datetime.date(1900, 1, 1) + datetime.timedelta(days=rnd.randint(0, 50000))
    kind = rnd.randint(0, 9)
    if kind == 0:
        return d.strftime("%Y%m%d")
    if kind == 1:
        return d.strftime("%Y-%m-%d")
    if kind == 2:
        return d.strftime("%Y%m%d") + "%02d%02d%02d" % (rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59))
    if kind == 3:
        return d.strftime("%Y%m%d") + "%02d%02d%02d.%06d" % (rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59), rnd.randint(0, 999999))
    if kind == 4:
        return d.strftime("%Y-%m-%d") + "T%02d:%02d:%02d" % (rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59))
    if kind == 5:
        return d.strftime("%Y%m%d") + "%02d%02d" % (rnd.randint(0, 23), rnd.randint(0, 59))
    if kind == 6:
        return d.strftime("%Y%m%d") + "\\" + (d + datetime.timedelta(days=rnd.randint(0, 30))).strftime("%Y%m%d")
    if kind == 7:
        return d.strftime("%Y%m%d") + "%02d" % rnd.randint(0, 23)  # hour only: CTP cannot read it
    if kind == 8:
        return d.strftime("%Y%m")  # partial date: shorter than 8 characters
    return "00" + d.strftime("%y%m%d")  # a two-digit year written with 00: read as 19xx


def ctp_script(script, params, this):
    """DICOMAnonymizer.makeReplacement for a composed value of literal text and the calls a
    composed PatientID uses: `@param(@NAME)` and `@hashptid(site, this, maxlen)`. A backslash
    escapes the next character; an argument starting with @ or $ is the script's parameter
    (DICOMAnonymizerContext.getParam, trimmed); `this` is the element's own value."""

    def get_param(arg):
        arg = arg.strip()
        return params.get(arg[1:]) if arg[:1] in "@$" else arg

    out, i, escape = "", 0, False
    while i < len(script):
        c = script[i]
        i += 1
        if escape:
            out, escape = out + c, False
        elif c == "\\":
            escape = True
        elif c == "@":
            open_at = script.index("(", i)
            close_at = script.index(")", open_at)
            name, args = script[i:open_at], script[open_at + 1:close_at].split(",")
            i = close_at + 1
            if name == "param":
                out += get_param(args[0])
            elif name == "hashptid":
                value = this if args[1].strip() == "this" else None
                try:
                    maxlen = int(get_param(args[2])) if len(args) > 2 else 2**31 - 1
                except ValueError:
                    maxlen = 2**31 - 1
                out += ctp_hashptid(get_param(args[0]) or "", value, maxlen)
            else:
                raise ValueError("not in the oracle: @" + name)
        else:
            out += c
    return out


FUNCTIONS = {
    "script": lambda a: ctp_script(a[0], a[1], a[2]),
    "hash": lambda a: ctp_hash(a[0], a[1]),
    "hashname": lambda a: ctp_hashname(a[0], a[1], a[2]),
    "hashptid": lambda a: ctp_hashptid(a[0], a[1], a[2]),
    "hashdate": lambda a: ctp_hashdate(a[0], a[1]),
    "incrementdate": lambda a: ctp_incrementdate(a[0], a[1]),
    "initials": lambda a: ctp_caesar(ctp_initials(a[0]), a[1]),
}


def evaluate():
    for line in sys.stdin:
        if not line.strip():
            continue
        row = json.loads(line)
        row["out"] = FUNCTIONS[row["fn"]](row["args"])
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    if "--eval" in sys.argv[1:]:
        evaluate()
        return
    rnd = random.Random(20261206)
    rows = []

    def emit(fn, args, out):
        rows.append({"fn": fn, "args": args, "out": out})

    for _ in range(60):
        text = gen_id(rnd) if rnd.random() < 0.6 else gen_uid(rnd)
        maxlen = rnd.choice([None, 16, 8, 0, -1, 64, 3])
        emit("hash", [text, maxlen], ctp_hash(text, maxlen))
    for _ in range(60):
        root = rnd.choice(["1.3.6.1.4.1.14519.5.2.1.9999.9999", "9999", "1.2.3.", "", "1.2.826.0.1.3680043.10.474.999999999999999999"])
        uid = gen_uid(rnd)
        emit("hashuid", [root, uid], ctp_hashuid(root, uid))
    for _ in range(30):
        name = rnd.choice(NAMES)
        length = rnd.choice([4, 6, 10, 0])
        words = rnd.choice([None, 1, 2, 0])
        emit("hashname", [name, length, words], ctp_hashname(name, length, words))
    for _ in range(20):
        site, ptid = rnd.choice(["1000", " 99 ", ""]), gen_id(rnd)
        maxlen = rnd.choice([None, 10])
        emit("hashptid", [site, ptid, maxlen], ctp_hashptid(site, ptid, maxlen))
    for _ in range(90):
        date = gen_date(rnd)
        inc = rnd.choice([0, 1, -1, 5, -137, -365, 366, -3650, rnd.randint(-20000, 20000)])
        emit("incrementdate", [date, inc], ctp_incrementdate(date, inc))
    for _ in range(60):
        date, pid = gen_date(rnd), gen_id(rnd)
        emit("hashdate", [date, pid], ctp_hashdate(date, pid))
    for _ in range(25):
        age = rnd.choice(["027Y", "003M", "012W", "001D", "089Y", "32", "", "Y", "100Y", "002Y", "  45Y "])
        width = rnd.choice([5, 10, 2, 3])
        emit("round", [age, width], ctp_round(age, width))
    for _ in range(20):
        name = rnd.choice(NAMES)
        offset = rnd.choice([0, 1, -3, 13, 27])
        emit("initials", [name, offset], ctp_caesar(ctp_initials(name), offset))
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
