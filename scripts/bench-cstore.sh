#!/usr/bin/env bash
# Benchmark (not part of the test run): C-STORE into Debian's Orthanc on loopback against the
# zip-only run, on a corpus of make_bench_corpus.py (BENCH_SLICES CT slices, default 500, plus
# 105 compressed files). Prints the zip-only run's time, the send's own summary (instances/s,
# MB/s of data sets) and the run with --cstore (zip written, then sent) in all.
#
#   scripts/bench-cstore.sh            BENCH_SLICES=500 BENCH_REPEAT=2 BENCH_DIR=/tmp/cstore-bench
set -euo pipefail
cd "$(dirname "$0")/.."
SLICES="${BENCH_SLICES:-500}"
REPEAT="${BENCH_REPEAT:-2}"
D="${BENCH_DIR:-/tmp/cstore-bench}"
mkdir -p "$D"
cargo build --release --quiet --bin dicom-deid
CLI="$PWD/target/release/dicom-deid"
if [ ! -f "$D/in/.done-$SLICES" ]; then
  rm -rf "$D/in"
  python3 scripts/make_bench_corpus.py "$D/in" --slices "$SLICES"
  touch "$D/in/.done-$SLICES"
fi
cat "$D"/in/*/*/*/* > /dev/null   # warm page cache

orthanc() { # dir http dicom -> pid
  rm -rf "$1"; mkdir -p "$1"
  cat > "$1/o.json" <<JSON
{"Name":"bench","StorageDirectory":"$1/s","IndexDirectory":"$1/i","HttpPort":$2,"DicomPort":$3,
 "DicomAet":"DEIDTEST","DicomCheckCalledAet":true,"DicomAlwaysAllowStore":true,
 "RemoteAccessAllowed":false,"AuthenticationEnabled":false,"StorageCompression":false,
 "UnknownSopClassAccepted":true}
JSON
  Orthanc "$1/o.json" > "$1/log" 2>&1 &
  echo $! > "$1/pid"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/system" > /dev/null && return; sleep 0.1; done
  echo "Orthanc did not start" >&2; exit 1
}

common=(--secret-file "$D/secret" --unreviewed keep -q)
for r in $(seq "$REPEAT"); do
  rm -f "$D"/out.zip*
  s=$(date +%s.%N)
  "$CLI" --out "$D/out.zip" "${common[@]}" "$D/in"
  e=$(date +%s.%N)
  echo "zip only, run $r: $(echo "$e - $s" | bc) s, $(du -b "$D/out.zip" | cut -f1) bytes"
  orthanc "$D/orthanc" 18942 14942
  "$CLI" send "$D/out.zip" --cstore DEIDTEST@127.0.0.1:14942
  kill "$(cat "$D/orthanc/pid")"; wait "$(cat "$D/orthanc/pid")" 2> /dev/null || true
  rm -f "$D"/out.zip*
  orthanc "$D/orthanc" 18942 14942
  s=$(date +%s.%N)
  "$CLI" --out "$D/out.zip" "${common[@]}" --cstore DEIDTEST@127.0.0.1:14942 "$D/in"
  e=$(date +%s.%N)
  echo "run with --cstore, run $r: $(echo "$e - $s" | bc) s in all"
  kill "$(cat "$D/orthanc/pid")"; wait "$(cat "$D/orthanc/pid")" 2> /dev/null || true
done
