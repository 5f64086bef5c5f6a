#!/usr/bin/env bash
# Designation speed (issue 16): the whole `empower designate` process on
# the four 2018 files, `explain` of one school and `--format json`, beside
# the floor (reading the same files: the bytes, and parsing them as CSV),
# in one run. Each command runs RUNS times, the binaries' runs in turn,
# and the median whole-process wall time is printed with its run's peak
# memory (/usr/bin/time -v).
# BASE=<git commit> also builds that commit (in target/bench/base) and
# times it in the same run, and checks that both write the same CSV.
#
#   bench/designate.sh                  # designate, explain, json, floor
#   BASE=0d81a9b bench/designate.sh     # the same, before and after
#   BASE=0d81a9b BASE_BIN=path/to/empower bench/designate.sh  # base built already
#   CALIBRATE=1 bench/designate.sh      # also the full calibration grid
set -euo pipefail
cd "$(dirname "$0")/.."

D=${DATA:-../shared/data/illinois}
RUNS=${RUNS:-5}
DIR=${BENCH_DIR:-target/bench}
mkdir -p "$DIR"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo build --release --locked --quiet -p empower-cli
E=target/release/empower
FILES=("$D/isbe_rc2018_general.csv" "$D/isbe_rc2018_ela_math.csv" "$D/isbe_rc2018_isa_science.csv" "$D/jserr2_rc2019_title1_frl_merged.csv")
SIZE=$(du -ch "${FILES[@]}" | tail -1 | cut -f1)
cat "${FILES[@]}" > /dev/null # warm the page cache

# Wall clock to the millisecond from `date` around the process (GNU
# time prints hundredths), peak memory from /usr/bin/time -v.
time_one() { # file, command...: one run
  local out=$1; shift
  local start end
  start=$(date +%s%N)
  /usr/bin/time -v "$@" 2> "$out.time" > /dev/null || { cat "$out.time" >&2; exit 1; }
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000 ))" > "$out.wall"
}

report() { # name, file prefix: the median wall of its runs and that run's peak RSS
  local name=$1 prefix=$2
  local median
  median=$(for i in $(seq 1 "$RUNS"); do echo "$(cat "$prefix.$i.wall") $i"; done |
    sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2) {print}')
  local wall=${median% *} run=${median#* }
  local rss
  rss=$(grep 'Maximum resident set size' "$prefix.$run.time" | awk '{printf "%.0f", $NF / 1024}')
  printf '  %-48s %8.3f s wall  %6s MB peak RSS\n' "$name" "$(echo "$wall" | awk '{print $1 / 1e6}')" "$rss"
}

measure() { # name, command...: RUNS runs, the median wall and its peak RSS
  local name=$1; shift
  local key
  key=$(echo "$name" | tr -c 'a-z0-9' '_')
  for i in $(seq 1 "$RUNS"); do time_one "$DIR/$key.$i" "$@"; done
  report "$name" "$DIR/$key"
}

# The same command of every binary, run by run in turn: a machine that
# speeds up or slows down during the bench weighs on each alike.
measure_each() { # label, arguments after the binary...
  local label=$1; shift
  local pair tag bin
  for i in $(seq 1 "$RUNS"); do
    for pair in "${BINARIES[@]}"; do
      tag=${pair%%=*} bin=${pair#*=}
      time_one "$DIR/$tag.$(echo "$label" | tr -c 'a-z0-9' '_').$i" "$bin" "$@"
    done
  done
  for pair in "${BINARIES[@]}"; do
    tag=${pair%%=*}
    report "$tag: empower $label" "$DIR/$tag.$(echo "$label" | tr -c 'a-z0-9' '_')"
  done
}

echo "2018 report card, 4 files ($SIZE of CSV), $(nproc) cores, median of $RUNS runs"
measure "floor: read the bytes (cat)" cat "${FILES[@]}"
measure "floor: parse as CSV (python csv)" python3 -c '
import csv, sys
n = 0
for p in sys.argv[1:]:
    with open(p, newline="", encoding="utf-8-sig", errors="replace") as f:
        for row in csv.reader(f):
            n += len(row)
print(n)' "${FILES[@]}"
BINARIES=("now=$E")
if [ -n "${BASE:-}" ]; then
  B="$DIR/base"
  if [ -n "${BASE_BIN:-}" ]; then
    BB=$BASE_BIN # a binary built from BASE already
  else
    BB="$B/target/release/empower"
    if [ ! -x "$BB" ] || [ "$(git -C "$B" rev-parse HEAD 2>/dev/null)" != "$(git rev-parse "$BASE")" ]; then
      rm -rf "$B" && git worktree prune
      git worktree add --detach "$B" "$BASE" >/dev/null
      (cd "$B" && cargo build --release --locked --quiet -p empower-cli)
    fi
  fi
  BINARIES=("base=$BB" "${BINARIES[@]}")
  $BB designate --year 2018 --format csv "${FILES[@]}" > "$DIR/base.csv" 2>/dev/null
  $E designate --year 2018 --format csv "${FILES[@]}" > "$DIR/now.csv" 2>/dev/null
  if cmp -s "$DIR/base.csv" "$DIR/now.csv"; then
    echo "  designations: the same CSV, byte for byte ($(wc -l < "$DIR/now.csv") lines, sha256 $(sha256sum "$DIR/now.csv" | cut -c1-16))"
  else
    echo "  designations DIFFER from $BASE's: diff $DIR/base.csv $DIR/now.csv" >&2
    exit 1
  fi
fi
measure_each "designate --format csv" designate --year 2018 --format csv "${FILES[@]}"
measure_each "designate --format json" designate --year 2018 --format json "${FILES[@]}"
measure_each "explain (one school)" explain --year 2018 010010010260001 "${FILES[@]}"
if [ "${CALIBRATE:-0}" = 1 ]; then
  RUNS=1 measure_each "calibrate (full 2018 grid)" calibrate --year 2018 --grid states/illinois/calibration/grid-2018.toml "${FILES[@]}"
fi
