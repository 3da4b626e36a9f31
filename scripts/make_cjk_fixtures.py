#!/usr/bin/env python3
"""Writes the CJK test files of tests/cjk-names/ (issue 19): small CT images whose PatientName
has all three component groups (alphabetic, ideographic, phonetic: PS3.5 6.2.1) in Korean,
Japanese and Chinese, in ISO 2022 and single-byte-free character sets, with the name (joined,
spaced, in Hangul, Hanja, kana or Hanzi) inside the descriptors and comments that the Clean
Descriptors option keeps cleaned, and the institution's name inside running text.

Usage: python3 scripts/make_cjk_fixtures.py [OUT_DIR]   (default tests/cjk-names)
Deterministic: the same pydicom gives the same bytes (fixed UIDs, dates, pixel values).
"""

import os
import sys

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"

# (file, Specific Character Set, PatientName, InstitutionName, texts by keyword)
KOREAN_TEXTS = {
    "StudyDescription": "흉부 CT 조영 홍길동 추적",
    "ImageComments": "환자 홍길동 재촬영 서울대학교병원에서 전원",
    "AdditionalPatientHistory": "洪吉洞 환자 고혈압 병력",
    "RequestedProcedureDescription": "흉부 CT 홍 길동 요청",
    "PatientComments": "보호자 연락 홍길동씨 Gildong Hong",
}
JAPANESE_TEXTS = {
    "StudyDescription": "胸部 CT 造影 山田太郎 経過観察",
    "ImageComments": "患者 やまだたろう 再撮影 東京中央病院より紹介",
    "AdditionalPatientHistory": "山田 太郎 高血圧",
    "RequestedProcedureDescription": "胸部CT 山田太郎様",
    "PatientComments": "家族連絡 やまだ たろう",
}
CHINESE_TEXTS = {
    "StudyDescription": "胸部 CT 增强 张三丰 复查",
    "ImageComments": "患者张三丰再次扫描 北京协和医院转入",
    "AdditionalPatientHistory": "张 三丰 高血压",
    "RequestedProcedureDescription": "胸部CT 张三丰",
    "PatientComments": "家属联系 ㄓㄤㄙㄢㄈㄥ",
}

FILES = [
    ("ko_iso2022_ir149.dcm", ["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동",
     "서울대학교병원", KOREAN_TEXTS),
    ("ko_utf8.dcm", "ISO_IR 192", "Hong^Gildong=洪^吉洞=홍^길동", "서울대학교병원", KOREAN_TEXTS),
    # PS3.5 H.3.2: JIS X 0201 katakana (IR 13) in the alphabetic group, JIS X 0208 (IR 87).
    ("ja_iso2022_ir13_ir87.dcm", ["ISO 2022 IR 13", "ISO 2022 IR 87"],
     "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", "東京中央病院", JAPANESE_TEXTS),
    # PS3.5 H.3.1: ASCII (IR 6) in the alphabetic group, JIS X 0208 (IR 87).
    ("ja_iso2022_ir6_ir87.dcm", ["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう",
     "東京中央病院", JAPANESE_TEXTS),
    ("zh_gb18030.dcm", "GB18030", "Zhang^Sanfeng=张^三丰=ㄓㄤ^ㄙㄢㄈㄥ", "北京协和医院",
     CHINESE_TEXTS),
    ("zh_utf8.dcm", "ISO_IR 192", "Zhang^Sanfeng=张^三丰=ㄓㄤ^ㄙㄢㄈㄥ", "北京协和医院",
     CHINESE_TEXTS),
    ("zh_iso2022_ir58.dcm", ["", "ISO 2022 IR 58"], "Zhang^Sanfeng=张^三丰=ㄓㄤ^ㄙㄢㄈㄥ",
     "北京协和医院", CHINESE_TEXTS),
]


def iso2022_ir58(text, delimiters):
    """GB 2312 in G1 (ISO 2022 IR 58, PS3.5 6.1.2.5.3): pydicom writes the bytes without the
    escape sequence that designates it, so each run of Chinese characters is preceded by
    ESC $ ) A, repeated after every delimiter (which returns G1 to its initial state)."""
    out, designated = b"", False
    for ch in text:
        if ord(ch) < 0x80:
            out += ch.encode("ascii")
            if ch in delimiters:
                designated = False
            continue
        if not designated:
            out += b"\x1b$)A"
            designated = True
        out += ch.encode("gb2312")
    return out


def make(index, charset, name, institution, texts):
    uid = f"2.25.31415926535897932384626433832795028841971{index:02d}"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_STORAGE
    meta.MediaStorageSOPInstanceUID = uid + "3"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = charset
    ds.SOPClassUID = CT_STORAGE
    ds.SOPInstanceUID = uid + "3"
    ds.StudyInstanceUID = uid + "1"
    ds.SeriesInstanceUID = uid + "2"
    ds.FrameOfReferenceUID = uid + "4"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.Modality = "CT"
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = "20230314"
    ds.StudyTime = "101500"
    ds.PatientName = name
    ds.PatientID = f"CJK-{index:04d}7"
    ds.PatientBirthDate = "19610203"
    ds.PatientSex = "M"
    ds.PatientAge = "062Y"
    ds.AccessionNumber = f"ACC{index:03d}9"
    ds.StudyID = f"S{index:03d}"
    ds.InstitutionName = institution
    ds.Manufacturer = "ACME"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    for keyword, text in texts.items():
        setattr(ds, keyword, text)
    if charset == ["", "ISO 2022 IR 58"]:
        for elem in ds:
            if elem.VR in ("PN", "LO", "LT", "SH", "ST", "UT") and isinstance(elem.value, str):
                elem.value = iso2022_ir58(elem.value, "^=\r\n\t\f")
        ds.PatientName = iso2022_ir58(name, "^=")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((i * 7) % 256 for i in range(8 * 8 * 2))
    return ds


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "cjk-names")
    os.makedirs(out, exist_ok=True)
    for i, (file, charset, name, institution, texts) in enumerate(FILES):
        ds = make(i, charset, name, institution, texts)
        path = os.path.join(out, file)
        ds.save_as(path, enforce_file_format=True)
        back = pydicom.dcmread(path)
        # pydicom 3.0 decodes IR 58 but leaves its escape sequence in the text.
        plain = lambda v: str(v).replace("\x1b$)A", "")
        assert plain(back.PatientName) == name, (file, str(back.PatientName))
        for keyword, text in texts.items():
            assert plain(getattr(back, keyword)) == text, (file, keyword)
        print(path)


if __name__ == "__main__":
    main()
