#!/usr/bin/env bash
# Aggregation benchmark of longitudinal mode: empower against DuckDB on the
# same generated student file, in the same run. Both read the CSV, apply
# the continuous-enrollment rule and group by school × year × grade ×
# subject × prior-performance group; the results are checked equal before
# the times are compared. Timings and peak memory come from /usr/bin/time -v
# (whole process, wall clock).
#
#   bench/aggregation.sh                 # 50 million records (about 4.7 GB of CSV)
#   SCHOOLS=1450 bench/aggregation.sh    # about 5 million
set -euo pipefail
cd "$(dirname "$0")/.."

SCHOOLS=${SCHOOLS:-14050}
YEARS=${YEARS:-3}
SEED=${SEED:-42}
DIR=${BENCH_DIR:-target/bench}
mkdir -p "$DIR"

command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
python3 -c 'import duckdb' 2>/dev/null || pip install --quiet duckdb
cargo build --release --locked --quiet
E=target/release/empower

FILE="$DIR/students-$SCHOOLS-$YEARS-$SEED.csv"
if [ ! -s "$FILE" ]; then
  echo "generating $FILE ..."
  $E generate students --schools "$SCHOOLS" --years "$YEARS" --seed "$SEED" -o "$FILE"
fi
RECORDS=$(( $(wc -l < "$FILE") - 1 ))
SIZE=$(du -h "$FILE" | cut -f1)

# Warm the page cache once so that neither side pays for the first read.
cat "$FILE" > /dev/null

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -v "$@" 2> "$DIR/$name.time" > /dev/null || { cat "$DIR/$name.time" >&2; exit 1; }
}
measure empower $E cells --students "$FILE" -o "$DIR/empower-cells.csv"
measure duckdb python3 bench/duckdb_aggregate.py "$FILE" "$DIR/duckdb-cells.csv"
python3 bench/compare_cells.py "$DIR/empower-cells.csv" "$DIR/duckdb-cells.csv"

wall() { # elapsed "h:mm:ss" or "m:ss.ss" → seconds
  grep 'Elapsed (wall clock)' "$DIR/$1.time" | awk -F': ' '{print $NF}' |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }'
}
rss() { grep 'Maximum resident set size' "$DIR/$1.time" | awk '{printf "%.0f", $NF / 1024}'; }
duck=$(python3 -c 'import duckdb; print(duckdb.__version__)')
E_WALL=$(wall empower); D_WALL=$(wall duckdb)
echo
echo "aggregation of $RECORDS student-subject-year records ($SIZE CSV, $SCHOOLS schools, $YEARS years, seed $SEED) on $(nproc) cores"
printf '  %-16s %8.2f s wall  %6s MB peak RSS\n' "empower" "$E_WALL" "$(rss empower)"
printf '  %-16s %8.2f s wall  %6s MB peak RSS\n' "duckdb $duck" "$D_WALL" "$(rss duckdb)"
python3 -c "print(f'  duckdb / empower time ratio: {$D_WALL / $E_WALL:.2f}')"
