#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine (idempotent).
# Used by scripts/build-web.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium chromium-driver)
command -v dcmdump >/dev/null || need_apt+=(dcmtk)
# tesseract: the independent OCR oracle of the burned-in text tests (tests/support/ocr.py).
command -v tesseract >/dev/null || need_apt+=(tesseract-ocr tesseract-ocr-eng)
# dicom3tools' dciodvfy: the IOD oracle of tests/tests/iod.rs (outputs gain no IOD error).
command -v dciodvfy >/dev/null || need_apt+=(dicom3tools)
# gdcmconv (GDCM, OpenJPEG inside): encodes and decodes the JPEG 2000 files of
# tests/tests/codestream_text.rs (dcmtk has no JPEG 2000 codec).
command -v gdcmconv >/dev/null || need_apt+=(libgdcm-tools)
# GNU parallel: runs the shards of tests/tests/shards.rs side by side.
parallel --version 2>/dev/null | grep -q "GNU parallel" || need_apt+=(parallel)
# Orthanc with its DICOMweb plugin: the archive the delivery tests send to (STOW-RS, C-STORE),
# started by the tests on loopback with a temporary storage folder.
command -v Orthanc >/dev/null && [ -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || need_apt+=(orthanc orthanc-dicomweb)
if [ "${#need_apt[@]}" -gt 0 ] && [ "${SKIP_APT:-0}" != 1 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The cross-browser e2e tests: Firefox ESR (WebDriver BiDi), WebKitGTK (WebKitWebDriver drives
# Debian's MiniBrowser, on a virtual display), and WebKitGTK's GObject API for the Safari-like run.
# Without recommends (ffmpeg, GStreamer's extra plugins, video drivers: about 100 packages the
# tests never use), but with what a virtual display needs: xauth (xvfb-run), Mesa's software GL.
need_browsers=()
command -v firefox-esr >/dev/null || need_browsers+=(firefox-esr)
command -v WebKitWebDriver >/dev/null || need_browsers+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null || need_browsers+=(xvfb xauth libgl1-mesa-dri gstreamer1.0-plugins-base gstreamer1.0-gl)
/usr/bin/python3 -c "import gi; gi.require_version('WebKit2', '4.1')" 2>/dev/null || need_browsers+=(python3-gi gir1.2-webkit2-4.1)
if [ "${#need_browsers[@]}" -gt 0 ] && [ "${SKIP_APT:-0}" != 1 ]; then
  echo "setup: apt-get install --no-install-recommends ${need_browsers[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  [ "${#need_apt[@]}" -gt 0 ] || $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_browsers[@]}" >/dev/null
fi

rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

# wasm-bindgen CLI at exactly the version in Cargo.lock.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WB_VERSION" ]; then
  echo "setup: cargo install wasm-bindgen-cli $WB_VERSION (a few minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$WB_VERSION"
fi

# npm packages (binaryen's wasm-opt, playwright-core, puppeteer-core, selenium-webdriver, axe-core,
# typescript's tsc); never downloads a browser.
npm_missing=0
for p in playwright-core puppeteer-core selenium-webdriver axe-core typescript; do [ -d "node_modules/$p" ] || npm_missing=1; done
if [ ! -x node_modules/.bin/wasm-opt ] || [ "$npm_missing" = 1 ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
fi

# pydicom: the independent reader used by the corpus tests.
python3 -c "import pydicom" 2>/dev/null || pip install -q pydicom
# deid: pydicom deid, whose own recipe parser checks the deid importer (tests/tests/recipe_import.rs).
python3 -c "import deid" 2>/dev/null || pip install -q deid
# moto's S3 server: the local S3 the delivery tests upload the zip to (presigned PUT, multipart).
python3 -c "import moto.server, flask_cors" 2>/dev/null || pip install -q "moto[server]"
# numpy + Pillow: pixel decoding for the OCR oracle and scripts/make_pixel_fixtures.py.
python3 -c "import numpy" 2>/dev/null || pip install -q numpy
python3 -c "import PIL" 2>/dev/null || pip install -q pillow
