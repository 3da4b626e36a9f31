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
# GNU parallel: runs the shards of tests/shards.rs side by side.
parallel --version 2>/dev/null | grep -q "GNU parallel" || need_apt+=(parallel)
if [ "${#need_apt[@]}" -gt 0 ] && [ "${SKIP_APT:-0}" != 1 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# wasm-bindgen CLI at exactly the version in Cargo.lock.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WB_VERSION" ]; then
  echo "setup: cargo install wasm-bindgen-cli $WB_VERSION (a few minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$WB_VERSION"
fi

# npm packages (binaryen's wasm-opt, playwright-core); never downloads a browser.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
fi

# pydicom: the independent reader used by the corpus tests.
python3 -c "import pydicom" 2>/dev/null || pip install -q pydicom
# numpy + Pillow: pixel decoding for the OCR oracle and scripts/make_pixel_fixtures.py.
python3 -c "import numpy" 2>/dev/null || pip install -q numpy
python3 -c "import PIL" 2>/dev/null || pip install -q pillow
