#!/usr/bin/env bash
# Benchmark of the field app (/field/) on a throttled 4G-like link: Benchmarks/field_app.py in
# headless Chromium at phone size (390×844) against a real `safegrid serve` on 127.0.0.1.
#
#   Benchmarks/field_app.sh [path/to/safegrid] [-- extra arguments of field_app.py]
#
# The binary defaults to $SAFEGRID_BIN, else .build/release/safegrid, else .build/debug/safegrid.
# Copies it (and its resource bundles) to a temp folder, builds a demo database there
# (`safegrid demo --no-serve`; DEMO_DB=file copies that file instead), starts the server on the
# first free port of BENCH_PORTS (default 8100-8109) with SAFEGRID_FIELD_DIR pointing at this
# tree's Sources/SafeGridApp/Resources/field (FIELD_DIR=bundle serves the binary's own copy),
# runs the benchmark (overall limit BENCH_TIMEOUT, default 1800 s), stops the server. Exit 2 when
# the benchmark aborted (an unexpected answer of the server, a timeout); missed targets are
# printed, not failed. KEEP=1 keeps the temp folder (server.log, demo.sqlite).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=
if [ $# -gt 0 ] && [ "$1" != "--" ]; then BIN=$1; shift; fi
[ "${1:-}" = "--" ] && shift
if [ -z "$BIN" ]; then
  BIN=${SAFEGRID_BIN:-}
  [ -z "$BIN" ] && [ -x "$ROOT/.build/release/safegrid" ] && BIN=$ROOT/.build/release/safegrid
  [ -z "$BIN" ] && BIN=$ROOT/.build/debug/safegrid
fi
[ -x "$BIN" ] || { echo "field_app: no server binary at $BIN"; exit 1; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
[ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ] || { echo "field_app: needs $CHROMIUM and $CHROMEDRIVER"; exit 1; }
PY=python3
$PY -c "import selenium, websocket" 2>/dev/null || { echo "field_app: needs Python selenium (pip install -r scripts/ci/requirements.txt)"; exit 1; }

WORK=$(mktemp -d /tmp/safegrid-field-bench-XXXXXX)
SERVER_PID=
RC=1
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "$RC" != 0 ]; then echo "field_app: kept $WORK (server.log, demo.sqlite)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A copy of the binary and its resource bundles: a rebuild meanwhile changes nothing here.
mkdir -p "$WORK/bin"
cp "$BIN" "$WORK/bin/safegrid"
for r in "$(dirname "$BIN")"/*.resources; do [ -e "$r" ] && cp -r "$r" "$WORK/bin/"; done

if [ -n "${DEMO_DB:-}" ]; then
  [ -f "$DEMO_DB" ] || { echo "field_app: no database at $DEMO_DB"; exit 1; }
  cp "$DEMO_DB" "$WORK/demo.sqlite"
else
  echo "== demo database (safegrid demo --no-serve)"
  T0=$(date +%s)
  ( cd "$WORK" && SAFEGRID_DEMO_SQLITE=$WORK/demo.sqlite SAFEGRID_SQLITE=$WORK/unused.sqlite SAFEGRID_JOBS=off LOG_LEVEL=warning \
      timeout 900 "$WORK/bin/safegrid" demo --no-serve > "$WORK/demo.log" 2>&1 ) || { tail -20 "$WORK/demo.log"; echo "field_app: demo build failed"; exit 1; }
  echo "   built in $(( $(date +%s) - T0 )) s"
fi

RANGE=${BENCH_PORTS:-8100-8109}
PORT=
for p in $(seq "${RANGE%-*}" "${RANGE#*-}"); do
  if $PY -c "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', $p)); s.close()" 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "field_app: no free port in $RANGE on 127.0.0.1"; exit 1; }
BASE=http://127.0.0.1:$PORT
FIELD_ENV=()
if [ "${FIELD_DIR:-}" != "bundle" ]; then FIELD_ENV=(SAFEGRID_FIELD_DIR="${FIELD_DIR:-$ROOT/Sources/SafeGridApp/Resources/field}"); fi
echo "== server on $BASE ${FIELD_ENV[*]:-(field files of the binary)}"
( cd "$WORK" && exec env SAFEGRID_SQLITE="$WORK/demo.sqlite" SAFEGRID_HOST=127.0.0.1 SAFEGRID_PORT="$PORT" SAFEGRID_PUBLIC_URL="$BASE" \
    SAFEGRID_JOBS=off SAFEGRID_WEBHOOKS=off SAFEGRID_SMS_PROVIDER=log LOG_LEVEL=warning "${FIELD_ENV[@]}" \
    "$WORK/bin/safegrid" serve > "$WORK/server.log" 2>&1 ) &
SERVER_PID=$!
for _ in $(seq 1 600); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server.log"; echo "field_app: the server exited while starting"; exit 1; }
  sleep 0.2
done
curl -fsS "$BASE/field/" >/dev/null || { echo "field_app: $BASE/field/ does not answer (no field app files?)"; exit 1; }

echo "== benchmark"
BT=${BENCH_TIMEOUT:-1800}
timeout --kill-after=30 $((BT + 60)) "$PY" Benchmarks/field_app.py --base "$BASE" --timeout "$BT" \
  --chromium "$CHROMIUM" --chromedriver "$CHROMEDRIVER" "$@"
RC=$?
exit $RC
