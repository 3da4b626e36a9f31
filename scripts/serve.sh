#!/usr/bin/env bash
# Builds the wasm engine and the page, then serves www/ on http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-web.sh
exec node scripts/serve.mjs "${PORT:-8080}" www
