#!/usr/bin/env bash
# Fuzzes every reader and rules file for a set time each (cargo-fuzz on the
# nightly toolchain), then prints executions and crashes per target.
#
# The corpus of each target is kept in git as fuzz/corpus/<target>.tar.gz.
# A run unpacks it, fuzzes, minimises what the fuzzer kept (cmin) and packs
# it again; the test suite replays every input on stable
# (crates/fuzzing/tests/replay.rs). A crash lands in fuzz/artifacts/<target>/
# with the input that caused it.
#
#   bench/fuzz.sh                                   # 150 s per target, 20 minutes in all
#   SECONDS_PER_TARGET=30 bench/fuzz.sh cells students
#
# Each run is bounded: 2 GB of memory (-rss_limit_mb), 10 s per input.
set -euo pipefail
cd "$(dirname "$0")/.."

PER=${SECONDS_PER_TARGET:-150}
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(report_card_csv workbook canonical_csv cells students accountability_rules hp_rules column_map)
fi
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
WORK=$PWD/target/fuzz-work
mkdir -p "$WORK/logs"
(cd fuzz && cargo +nightly fuzz build -O)

pack() { # dir, archive: deterministic, so an unchanged corpus is an unchanged file
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - . | gzip -n -9 > "$2"
}

printf '%-22s %12s %8s %8s %8s\n' target executions exec/s crashes inputs
for t in "${TARGETS[@]}"; do
  corpus=$WORK/corpus/$t
  rm -rf "$corpus" "$corpus.min"
  mkdir -p "$corpus" "$corpus.min" "fuzz/artifacts/$t"
  [ -f "fuzz/corpus/$t.tar.gz" ] && tar -xzf "fuzz/corpus/$t.tar.gz" -C "$corpus"
  log=$WORK/logs/$t.log
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  # libFuzzer exits non-zero on a crash: keep going to report every target.
  (cd fuzz && cargo +nightly fuzz run -O "$t" "$corpus" -- \
      -max_total_time="$PER" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -print_final_stats=1 -close_fd_mask=3) > "$log" 2>&1 || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{print $2}' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{print $2}' | tail -1)
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  (cd fuzz && cargo +nightly fuzz run -O "$t" "$corpus.min" "$corpus" -- \
      -merge=1 -rss_limit_mb=2048 -timeout=10) > "$log.cmin" 2>&1 || true
  inputs=$(find "$corpus.min" -type f | wc -l)
  [ "$inputs" -gt 0 ] && pack "$corpus.min" "fuzz/corpus/$t.tar.gz"
  printf '%-22s %12s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$((after - before))" "$inputs"
done
echo "logs: $WORK/logs/; crashes (if any): fuzz/artifacts/"
