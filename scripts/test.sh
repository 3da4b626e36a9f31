#!/usr/bin/env bash
# Runs every test: installs what it needs (scripts/setup.sh), then
#  1. native unit + integration tests (cargo test: Table E.1-1 rows, corpus, CLI, hostile inputs),
#  2. the wasm32 build and the wasm-bindgen tests (Node),
#  3. the JS type check (tsc --checkJs against the .d.ts), the page end-to-end in headless
#     Chromium (playwright-core), CLI vs page comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p test-output

echo "== native tests ($(date +%T))"
# No function over 100 lines in src/ (clippy's too_many_lines, threshold in clippy.toml), native and wasm.
cargo clippy --quiet --lib --bins -- -A clippy::all -D clippy::too_many_lines
cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -A clippy::all -D clippy::too_many_lines
# The native tests build without LTO: about half the build time (every test binary went through
# LTO: the integration tests are one, tests/tests.rs, with alloc_cap and wasm* apart), the same
# code and the same output bytes (the e2e tests compare the page with this CLI). What ships
# (cargo build --release, scripts/build-web.sh) keeps the release profile.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --release --quiet --bin dicom-deid
cargo test --release --quiet 2>&1 | tail -n 40
unset CARGO_PROFILE_RELEASE_LTO CARGO_PROFILE_RELEASE_CODEGEN_UNITS

echo "== wasm32 build and wasm-bindgen tests ($(date +%T))"
if ls tests/wasm*.rs >/dev/null 2>&1; then
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --release --target wasm32-unknown-unknown --test 'wasm*' 2>&1 | tail -n 20
fi

echo "== page end-to-end (headless Chromium; Firefox ESR and WebKitGTK on a few files; axe-core checks) ($(date +%T))"
SKIP_SETUP=1 bash scripts/build-web.sh
bash scripts/bundle.sh
# The page, the element and the API type-checked against their .d.ts (TypeScript's tsc, npm);
# after the build, which writes www/pkg/dicom_deid.d.ts (a build output, not in git).
node_modules/.bin/tsc -p . && node_modules/.bin/tsc -p tsconfig.workers.json
if ls tests/e2e/*.test.mjs >/dev/null 2>&1; then
  # WebKitGTK's MiniBrowser needs a display: a virtual one (xvfb-run) when there is none.
  XVFB=(); [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null && XVFB=(xvfb-run -a)
  "${XVFB[@]}" node --test --test-concurrency=1 tests/e2e/
fi
echo "== all tests passed ($(date +%T))"
