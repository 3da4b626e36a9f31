#!/usr/bin/env bash
# Benchmark (not part of the test run): native CLI vs the Python peer on a generated corpus.
#
#   scripts/bench.sh                 1 GB corpus (2,000 CT slices + compressed files; also the
#                                    CT slices alone, uncompressed), 4 GB
#                                    corpus for memory flatness, Python peer on the 1 GB one
#   BENCH_SLICES=2000 BENCH_BIG_SLICES=8000 BENCH_PEER=1 BENCH_DCMANON=1 scripts/bench.sh
#
# BENCH_BIG_SLICES=0 skips the big corpus; BENCH_PEER=0 skips dicom-anonymizer (pip, in a
# venv under bench-data/); BENCH_DCMANON=1 also runs `dcmanon` (cargo install
# dicom-anonymization) when it is on PATH. Everything generated lives in bench-data/
# (gitignored). Files are read once before timing (warm page cache); each run is repeated
# BENCH_REPEAT=3 times and the fastest kept. Outputs go to BENCH_OUT (default bench-data/out;
# BENCH_OUT=/dev/shm/x takes the disk out of the figures). Prints files/s, MB/s (input bytes /
# wall time), CPU time and peak RSS (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

SLICES="${BENCH_SLICES:-2000}"
BIG="${BENCH_BIG_SLICES:-8000}"
PEER="${BENCH_PEER:-1}"
DCMANON="${BENCH_DCMANON:-0}"
REPEAT="${BENCH_REPEAT:-3}"
NPROC=$(nproc)
B=bench-data
OUT="${BENCH_OUT:-$B/out}"
mkdir -p "$OUT"

echo "== build"
cargo build --release --quiet --bin dicom-deid
CLI="$PWD/target/release/dicom-deid"

corpus() { # dir slices
  if [ ! -f "$1/.done-$2" ]; then
    rm -rf "$1"
    echo "== generating $1 ($2 CT slices + compressed files)"
    python3 scripts/make_bench_corpus.py "$1" --slices "$2"
    touch "$1/.done-$2"
  fi
}

files_of() { find "$1" -type f ! -name '.done*' | wc -l; }
bytes_of() { find "$1" -type f ! -name '.done*' -printf '%s\n' | awk '{s+=$1} END {print s}'; }
warm() { find "$1" -type f ! -name '.done*' -exec cat {} + >/dev/null; }

RESULTS=()
# measure LABEL DIR CMD... → runs CMD $REPEAT times, keeps the fastest (the machine may be
# shared), prints one result line; sets LAST_FPS.
measure() {
  local label="$1" dir="$2"
  shift 2
  local n bytes best="" rss usr sys t
  n=$(files_of "$dir")
  bytes=$(bytes_of "$dir")
  warm "$dir"
  for _ in $(seq "$REPEAT"); do
    [ -z "${PREP:-}" ] || eval "$PREP"
    sync
    /usr/bin/time -f "%e %M %U %S" -o "$OUT/time.txt" "$@" >"$OUT/run.log" 2>&1 || {
      echo "!! $label failed:"
      tail -n 20 "$OUT/run.log"
      return 1
    }
    read -r t rss usr sys <"$OUT/time.txt"
    if [ -z "$best" ] || awk -v a="$t" -v b="${best%% *}" 'BEGIN {exit !(a < b)}'; then
      best="$t $rss $usr $sys"
    fi
  done
  read -r t rss usr sys <<<"$best"
  LAST_FPS=$(awk -v n="$n" -v t="$t" 'BEGIN {printf "%.1f", n / t}')
  local line
  line=$(awk -v l="$label" -v n="$n" -v b="$bytes" -v t="$t" -v r="$rss" -v c="$(awk -v u="$usr" -v s="$sys" 'BEGIN {print u + s}')" \
    'BEGIN {printf "%-40s %5d files %6.0f MB %7.2f s %8.1f files/s %7.1f MB/s  CPU %6.2f s  peak RSS %5.0f MB", l, n, b/1e6, t, n/t, b/1e6/t, c, r/1024}')
  echo "$line"
  RESULTS+=("$line")
}

# native LABEL DIR THREADS [extra...]: one timed CLI run, then checks its log.
native() {
  local label="$1" dir="$2" threads="$3"
  shift 3
  PREP='rm -f "$OUT/native.zip" "$OUT/native-key.csv" "$OUT/native-log.csv"' \
    measure "$label" "$dir" "$CLI" --out "$OUT/native.zip" --secret-file "$B/bench.secret" --threads "$threads" -q "$@" "$dir"
  grep '^# summary' "$OUT/native-log.csv" | sed 's/^#/  /'
}

corpus "$B/corpus-1g" "$SLICES"
[ "$BIG" = 0 ] || corpus "$B/corpus-4g" "$BIG"
[ -f "$B/bench.secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$B/bench.secret"

echo "== native CLI ($("$CLI" --version), $NPROC cores)"
native "native, 1 thread, 1 GB" "$B/corpus-1g" 1
NATIVE1_FPS=$LAST_FPS
native "native, $NPROC threads, 1 GB" "$B/corpus-1g" "$NPROC"
NATIVEN_FPS=$LAST_FPS
native "native, 1 thread, 1 GB, --no-verify" "$B/corpus-1g" 1 --no-verify
# The issue's single-core figure is for large uncompressed files: the CT slices alone
# (hard links to the same files, without compressed/).
if [ ! -f "$B/corpus-1g-ct/.done" ]; then
  rm -rf "$B/corpus-1g-ct"
  mkdir -p "$B/corpus-1g-ct"
  for d in "$B"/corpus-1g/*/; do
    [ "$(basename "$d")" = compressed ] || cp -al "$d" "$B/corpus-1g-ct/"
  done
  touch "$B/corpus-1g-ct/.done"
fi
native "native, 1 thread, CT slices only (uncompr.)" "$B/corpus-1g-ct" 1
if [ "$BIG" != 0 ]; then
  native "native, 1 thread, 4 GB" "$B/corpus-4g" 1
  native "native, $NPROC threads, 4 GB" "$B/corpus-4g" "$NPROC"
fi
rm -f "$OUT/native.zip"

if [ "$PEER" = 1 ]; then
  if [ ! -x "$B/venv/bin/dicom-anonymizer" ]; then
    python3 -m venv "$B/venv"
    "$B/venv/bin/pip" install -q dicom-anonymizer
  fi
  echo "== Python peer: dicom-anonymizer $("$B/venv/bin/pip" show dicom-anonymizer 2>/dev/null | awk '/^Version/ {print $2}') (default profile, 1 process)"
  # It reads one flat folder (os.listdir): give it the same files, hard-linked flat.
  if [ ! -f "$B/corpus-1g-flat/.done" ]; then
    rm -rf "$B/corpus-1g-flat"
    mkdir -p "$B/corpus-1g-flat"
    (cd "$B/corpus-1g" && find . -type f -name '*.dcm' | while read -r f; do ln "$f" "../corpus-1g-flat/$(echo "${f#./}" | tr / _)"; done)
    touch "$B/corpus-1g-flat/.done"
  fi
  PREP='rm -rf "$OUT/peer"; mkdir -p "$OUT/peer"' \
    measure "dicom-anonymizer (Python), 1 GB" "$B/corpus-1g-flat" "$B/venv/bin/dicom-anonymizer" "$B/corpus-1g-flat" "$OUT/peer"
  PEER_FPS=$LAST_FPS
  echo "   peer wrote $(find "$OUT/peer" -type f | wc -l) files"
  rm -rf "$OUT/peer"
  RESULTS+=("$(awk -v a="$NATIVE1_FPS" -v b="$NATIVEN_FPS" -v p="$PEER_FPS" 'BEGIN {printf "ratio native/Python in files/s: %.1fx (1 thread), %.1fx (all threads)", a/p, b/p}')")
fi

if [ "$DCMANON" = 1 ] && command -v dcmanon >/dev/null; then
  echo "== Rust peer: dcmanon"
  PREP='rm -rf "$OUT/dcmanon"; mkdir -p "$OUT/dcmanon"' \
    measure "dcmanon (dicom-anonymization), 1 GB" "$B/corpus-1g" dcmanon anonymize -i "$B/corpus-1g" -o "$OUT/dcmanon" -r --continue || true
  rm -rf "$OUT/dcmanon"
fi

echo
echo "== results"
printf '%s\n' "${RESULTS[@]}"
