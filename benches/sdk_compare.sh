#!/usr/bin/env bash
# The design target "full alert load at least 10x faster than the official Graph SDKs":
# one emulator, the same machine, the same run. Loads every alert once with graphsec's
# headless list and once with the official Microsoft Graph Python SDK (msgraph-sdk, installed
# from PyPI into a throw-away venv), both paging by @odata.nextLink with $top=1000.
#
#   benches/sdk_compare.sh [ALERTS]      # default 20000 (the Python SDK needs minutes for 100k)
#
# Not run by CI: it needs PyPI and a release build.
#
# graphsec runs with GRAPHSEC_REQUEST_BUDGET=unlimited: its request budget (20 at once, then
# 120 a minute, for Graph's 150 a minute) would otherwise time the budget, not the client,
# and the SDK has none.
set -euo pipefail
cd "$(dirname "$0")/.."
alerts="${1:-20000}"
venv="${GRAPHSEC_SDK_VENV:-${TMPDIR:-/tmp}/graphsec-sdk-venv}"

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/graphsec"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet msgraph-sdk
fi

out="$(mktemp)"
"$bin" emulator --listen 127.0.0.1:0 --alerts "$alerts" >"$out" 2>/dev/null &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -f "$out"' EXIT
until grep -q '^listening on ' "$out"; do sleep 0.1; done
base="$(sed -n 's/^listening on //p' "$out" | head -n 1)/v1.0"

start=$(date +%s.%N)
count=$(GRAPHSEC_TOKEN=bench GRAPHSEC_REQUEST_BUDGET=unlimited XDG_DATA_HOME="$(mktemp -d)" "$bin" --endpoint "$base" alerts list --top 1000 --output ndjson | wc -l)
end=$(date +%s.%N)
awk -v n="$count" -v s="$start" -v e="$end" 'BEGIN { printf "graphsec: %d alerts in %.2f s = %.0f alerts/s\n", n, e - s, n / (e - s) }'
"$venv/bin/python" benches/sdk_load.py "$base" 1000
