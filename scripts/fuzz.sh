#!/usr/bin/env bash
# Fuzzes the engine's entry points with cargo-fuzz (libFuzzer), seeded from tests/data.
#
#   scripts/fuzz.sh SECONDS [TARGET...]     (default targets: scan process zip_input)
#
# SECONDS is per target. One process per target, one core (fork mode with one worker, so that a
# crash is saved and fuzzing goes on). Findings land in fuzz/artifacts/TARGET/ (crash-*, oom-*,
# timeout-*); minimise one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz tmin -s none -O TARGET fuzz/artifacts/TARGET/crash-...
# and add it to tests/fuzz-regressions/ (see the README there).
# Needs cargo-fuzz (installed here if missing) and a nightly feature on stable via
# RUSTC_BOOTSTRAP=1. Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(scan process zip_input)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1

echo "== building fuzz targets (sanitizer: none, release)"
cargo fuzz build -s none -O "${targets[@]/#/}" 2>&1 | tail -n 2 || true

seed() {
  local dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  # Every real file (DICOM, zip, non-DICOM) and every earlier finding.
  find tests/data tests/fuzz-regressions -type f ! -name '*.md' -print0 | while IFS= read -r -d '' f; do
    cp -n "$f" "$dir/seed-$(echo "$f" | tr '/' '_')" 2>/dev/null || true
  done
}

summary=()
for t in "${targets[@]}"; do
  seed "$t"
  mkdir -p "fuzz/artifacts/$t" test-output
  log="test-output/fuzz-$t.log"
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  echo "== fuzzing $t for ${secs}s (log: $log)"
  cargo fuzz run -s none -O "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -dict=fuzz/dicom.dict -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1 || true
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  execs=$(grep -Eo '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1)
  found=$(grep -Eo 'oom/timeout/crash: [0-9/]+' "$log" | tail -n 1)
  summary+=("$t: ${execs:-0} executions, ${cov:-cov: ?}, ${found:-oom/timeout/crash: ?}, $((after - before)) new artifacts ($after in fuzz/artifacts/$t)")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
