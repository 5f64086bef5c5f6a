#!/usr/bin/env bash
# Load benchmark of the web application: the profile page and the search
# API under 64 concurrent connections for 30 s each, on SQLite (the
# embedded default) and on PostgreSQL, with wrk (Debian's package; the
# script installs it when missing). Release build, bundled extract.
#
#   bench/web.sh [SECONDS] [CONNECTIONS]
#   DATABASE_URL=postgres://root@127.0.0.1:5432/empower_bench bench/web.sh
#
# Prints requests per second and latency percentiles (p50, p99) per target.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
conns=${2:-64}
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
cargo build --release --locked -p empower-cli >/dev/null
pg=${PG_BENCH_URL:-postgres://root@127.0.0.1:5432/test}
run() { # name, extra args...
  local name=$1; shift
  local data; data=$(mktemp -d)
  local port=$((20000 + RANDOM % 20000))
  target/release/empower --data-dir "$data" "$@" serve --listen "127.0.0.1:$port" >"$data/log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  for target in "/schools/010010010260001" "/api/v1/schools?q=elementary&per_page=50"; do
    echo "== $name $target ($conns connections, ${secs}s)"
    wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$target" \
      | grep -E "Requests/sec|Non-2xx|Socket errors|^ +(50|99)%"
  done
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$data"
}
run sqlite
db=empower_bench_$$
psql "$pg" -qc "DROP DATABASE IF EXISTS $db" && psql "$pg" -qc "CREATE DATABASE $db"
run postgres --database-url "${pg%/*}/$db"
psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
