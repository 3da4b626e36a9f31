#!/usr/bin/env bash
# Builds the engine to WebAssembly and the static page: pkg/ (wasm-bindgen --target web output,
# optimised by binaryen's wasm-opt from npm) and www/pkg/ (the copy the page loads).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
cargo build --quiet --release --lib --target wasm32-unknown-unknown
rm -rf pkg
wasm-bindgen --target web --out-dir pkg target/wasm32-unknown-unknown/release/dicom_deid.wasm
node_modules/.bin/wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  pkg/dicom_deid_bg.wasm -o pkg/dicom_deid_bg.opt.wasm
mv pkg/dicom_deid_bg.opt.wasm pkg/dicom_deid_bg.wasm
rm -rf www/pkg && mkdir -p www/pkg && cp pkg/dicom_deid.js pkg/dicom_deid_bg.wasm pkg/dicom_deid.d.ts www/pkg/
echo "built pkg/ and www/pkg/ ($(du -h pkg/dicom_deid_bg.wasm | cut -f1) wasm)"
