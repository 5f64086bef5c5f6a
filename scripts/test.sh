#!/usr/bin/env bash
# The whole test suite (README's test command). Installs what the tests
# need when it is missing: Debian's chromium, the npm packages of
# tests/browser (playwright-core, axe-core), Debian's poppler-utils (the
# browser test reads the PDFs it downloads), PyPI's schemathesis. Then runs
# the Rust tests, and against a server on the bundled extract (debug build,
# fresh SQLite database) the browser test and the API check.
#
# EMPOWER_TEST_POSTGRES=required makes the PostgreSQL half of the store and
# web tests a requirement (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  echo "== installing Debian's poppler-utils"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
  echo "== installing the browser test's npm packages"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
# schemathesis 3.39 needs a hypothesis of its time (later ones changed an
# internal it uses).
SCHEMATHESIS_VERSION=3.39.16
HYPOTHESIS_VERSION=6.112.0
if ! python3 -c "import schemathesis, hypothesis, sys; sys.exit(schemathesis.__version__ != '$SCHEMATHESIS_VERSION' or hypothesis.__version__ != '$HYPOTHESIS_VERSION')" 2>/dev/null; then
  echo "== installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" "hypothesis==$HYPOTHESIS_VERSION"
fi

echo "== cargo test"
cargo test --workspace --locked

echo "== the application on the bundled extract"
cargo build --locked -p empower-cli
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
# --demo: one user per role, printed (role, e-mail, password, scope).
target/debug/empower --data-dir "$data" serve --demo --listen "127.0.0.1:$port" >"$data/demo.tsv" 2>"$data/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  if curl -fsS "$url/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 $server 2>/dev/null; then cat "$data/serve.log"; exit 1; fi
  sleep 0.5
done
curl -fsS "$url/healthz" >/dev/null

echo "== browser test (chromium, playwright-core, axe-core)"
EMPOWER_URL="$url" EMPOWER_DEMO="$data/demo.tsv" SCREENSHOTS=target/browser-screenshots node tests/browser/run.mjs

echo "== API check (schemathesis against /api/openapi.json)"
# With the demo administrator's token, so that the authenticated routes
# are exercised too (public routes ignore it).
token=$(target/debug/empower --data-dir "$data" users token --email state-admin@demo.invalid 2>/dev/null)
python3 -m schemathesis.cli run "$url/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --hypothesis-seed 20261130 --hypothesis-max-examples 40 --hypothesis-deadline none \
  --hypothesis-suppress-health-check all --no-color
echo "== all tests passed"
