#!/usr/bin/env bash
# Builds the release bundle in dist/ from www/ (build the wasm first: scripts/build-web.sh):
#   dist/dicom-deid-<version>/              the page for any static server or intranet share,
#                                           with the single-file page, README.txt, SHA256SUMS
#   dist/dicom-deid-<version>.zip           the same folder, zipped
#   dist/dicom-deid-<version>-offline.html  one file that works opened straight from the disk
# Nothing is fetched: scripts/bundle.mjs uses Node's standard library only.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f www/pkg/dicom_deid_bg.wasm ] || { echo "bundle: www/pkg is missing: run scripts/build-web.sh first" >&2; exit 1; }
# DEID_STOW_URL=URL configures the Send step with that archive (scripts/site-config.mjs).
node scripts/bundle.mjs
