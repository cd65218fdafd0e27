#!/usr/bin/env bash
# SafeGrid benchmark suite. Builds the release binary, makes demo databases of
# 10k / 100k / 1M hazards (`safegrid demo --scale N`, kept in .build-bench/ between runs), serves
# each on 127.0.0.1 and measures, side by side:
#   - dashboard JSON (district 萧山区, computed from the counters on every request, and as served
#     with its cache) and the hello-world route /healthz (anonymous and with a token): p50/p95/p99
#     and requests/s (wrk), every request but the anonymous hello signed in as the demo's district
#     admin; a non-2xx answer in any measured run aborts the benchmark;
#   - the same aggregate by the sqlite3 command-line tool on the same file (the limit);
#   - inspections ingested per second with 64 concurrent clients (5 hazards each);
#   - the server's peak memory (VmHWM) at the largest size.
# Sends traffic to 127.0.0.1 only; every load stops by itself. Usage:
#   Benchmarks/run.sh [SIZES...]        e.g. Benchmarks/run.sh 10000 100000 1000000 (default)
# Env: BENCH_DURATION (s per wrk run, default 10), BENCH_PORT (default 18080), BENCH_REBUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_DIR="$PWD/Benchmarks"
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
DURATION=${BENCH_DURATION:-10}
PORT=${BENCH_PORT:-18080}
WORK=.build-bench
mkdir -p "$WORK"
for tool in wrk sqlite3; do
  command -v $tool >/dev/null || { apt-get install -y -qq $tool >/dev/null 2>&1 || { echo "needs $tool (apt-get install $tool)"; exit 1; }; }
done

echo "== release build" >&2
swift build -c release --product safegrid --scratch-path .build-release >&2
BIN=.build-release/release/safegrid

SERVER=""
stop() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi; SERVER=""; }
trap stop EXIT
serve() { # db cache(on|off)
  stop
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
    echo "port $PORT is taken by another server; set BENCH_PORT"; exit 1
  fi
  SAFEGRID_SQLITE="$1" SAFEGRID_PORT=$PORT SAFEGRID_DASHBOARD_CACHE=$2 SAFEGRID_JOBS=off SAFEGRID_SMS_SENDER=off \
    LOG_LEVEL=warning "$BIN" serve --env production >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    kill -0 "$SERVER" 2>/dev/null || { echo "server exited:"; cat "$WORK/server.log"; exit 1; }
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return
    sleep 0.2
  done
  echo "server did not start"; cat "$WORK/server.log"; exit 1
}
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
# A measured run with any non-2xx answer or socket error measures the wrong thing (a 401 costs
# less than a dashboard): the whole benchmark stops with a message instead.
load() { # connections path [script]  (BENCH_TOKEN in the environment: sent as a bearer token)
  local script=${3:-$BENCH_DIR/latency.lua}
  local threads=2; [ "$1" -lt 2 ] && threads=1
  local out
  out=$(wrk -t$threads -c"$1" -d"${DURATION}s" -s "$script" "http://127.0.0.1:$PORT$2" | grep '^RESULT' | sed 's/^RESULT //')
  if [ -z "$out" ] || [ "$(field "$out" non2xx)" != 0 ] || [ "$(field "$out" socket_errors)" != 0 ]; then
    echo "ABORT: $2 with $1 connections answered non-2xx or failed: ${out:-no result}" >&2
    curl -s -o /dev/stderr -w 'one request: HTTP %{http_code}\n' ${BENCH_TOKEN:+-H "Authorization: Bearer $BENCH_TOKEN"} "http://127.0.0.1:$PORT$2" >&2 || true
    exit 1
  fi
  echo "$out"
}
# A bearer token of a demo account (password safegrid-demo); the district admin (qu.admin) reads
# the district dashboard and submits the ingest's inspections anywhere in the district.
sign_in() { # username
  curl -sf -X POST -H 'Content-Type: application/json' --data "{\"username\":\"$1\",\"password\":\"safegrid-demo\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/token" | python3 -c "import json,sys; print(json.load(sys.stdin)['token'])" \
    || { echo "ABORT: could not sign in as $1" >&2; exit 1; }
}
sqlite_ms() { # db sql: median of 5 runs, milliseconds
  local times=()
  for _ in 1 2 3 4 5; do
    local s=$(date +%s%N); sqlite3 "$1" "$2" >/dev/null; local e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1/1000}'
}

ROWS=()
for N in "${SIZES[@]}"; do
  DB="$WORK/bench-$N.sqlite"
  if [ ! -s "$DB" ] || [ "${BENCH_REBUILD:-0}" = 1 ]; then
    rm -f "$DB" "$DB-wal" "$DB-shm"
    echo "== building $N hazards" >&2
    s=$(date +%s)
    SAFEGRID_DEMO_SQLITE="$DB" "$BIN" demo --scale "$N" --no-serve --as-of 2026-11-30 >&2
    echo "   built in $(( $(date +%s) - s )) s" >&2
  fi
  HAZARDS=$(sqlite3 "$DB" "SELECT COUNT(*) FROM hazards")
  # The limit: the district aggregate by the sqlite3 tool on the same file (kinds through the
  # covering index, villages without one).
  SQL_KIND=$(sqlite_ms "$DB" "SELECT subject_kind, COUNT(*), SUM(state='rectified'), SUM(state IN ('open','rectifying','rebound')) FROM hazards GROUP BY subject_kind")
  SQL_VILLAGE=$(sqlite_ms "$DB" "SELECT village_code, COUNT(*), SUM(state='rectified') FROM hazards GROUP BY village_code")
  SQL_COUNTERS=$(sqlite_ms "$DB" "SELECT metric, value FROM area_counters WHERE area_code = '330109'")

  echo "== $N: serving $HAZARDS hazards" >&2
  serve "$DB" off
  export BENCH_TOKEN=""
  load 32 /healthz >/dev/null   # warm-up
  HELLO=$(load 32 /healthz)      # anonymous
  BENCH_TOKEN=$(sign_in qu.admin); export BENCH_TOKEN
  HELLO_TOKEN=$(load 32 /healthz)
  DASH=$(load 32 "/api/v1/dashboard?areaCode=330109")
  SINGLE=$(load 1 "/api/v1/dashboard?areaCode=330109")
  TOWN=$(load 32 "/api/v1/dashboard?areaCode=330109113")
  serve "$DB" on
  BENCH_TOKEN=$(sign_in qu.admin); export BENCH_TOKEN
  CACHED=$(load 32 "/api/v1/dashboard?areaCode=330109")
  RATIO=$(awk -v d="$(field "$DASH" rps)" -v h="$(field "$HELLO" rps)" 'BEGIN { printf "%.2f", d / h }')
  CRATIO=$(awk -v d="$(field "$CACHED" rps)" -v h="$(field "$HELLO" rps)" 'BEGIN { printf "%.2f", d / h }')
  ROWS+=("| $HAZARDS | $(field "$HELLO" p50) / $(field "$HELLO" p95) / $(field "$HELLO" p99) | $(field "$HELLO" rps) | $(field "$HELLO_TOKEN" p95) / $(field "$HELLO_TOKEN" rps) | $(field "$CACHED" p50) / $(field "$CACHED" p95) / $(field "$CACHED" p99) | $(field "$CACHED" rps) | $CRATIO | $(field "$SINGLE" p50) / $(field "$SINGLE" p95) | $(field "$DASH" p95) / $(field "$DASH" rps) | $RATIO | $(field "$TOWN" p95) / $(field "$TOWN" rps) | $SQL_COUNTERS | $SQL_KIND | $SQL_VILLAGE |")
  LAST_DB=$DB
done

# Ingest on a copy of the largest database (so the dashboards above stay repeatable).
echo "== ingest: 64 clients on a copy of $LAST_DB" >&2
stop
cp "$LAST_DB" "$WORK/ingest.sqlite"; rm -f "$WORK/ingest.sqlite-wal" "$WORK/ingest.sqlite-shm"
sqlite3 "$WORK/ingest.sqlite" "SELECT id FROM subjects WHERE closed_down_at IS NULL ORDER BY random() LIMIT 20000" \
  | python3 -c "import sys,uuid; [print(str(uuid.UUID(bytes=bytes.fromhex(l.strip())) if len(l.strip())==32 else l.strip()).upper()) for l in sys.stdin if l.strip()]" \
  > "$WORK/subjects.txt" || true
if ! grep -q -- '-' "$WORK/subjects.txt"; then
  # UUIDs stored as blobs: read them through SQLite's hex().
  sqlite3 "$WORK/ingest.sqlite" "SELECT hex(id) FROM subjects WHERE closed_down_at IS NULL ORDER BY random() LIMIT 20000" \
    | python3 -c "import sys,uuid; [print(str(uuid.UUID(l.strip()))) for l in sys.stdin if l.strip()]" > "$WORK/subjects.txt"
fi
BEFORE=$(sqlite3 "$WORK/ingest.sqlite" "SELECT COUNT(*) FROM inspections")
serve "$WORK/ingest.sqlite" on
BENCH_TOKEN=$(sign_in qu.admin); export BENCH_TOKEN
load 32 "/api/v1/dashboard?areaCode=330109" >/dev/null
INGEST=$(SUBJECTS_FILE="$WORK/subjects.txt" load 64 /api/v1/inspections "$BENCH_DIR/ingest.lua")
# The server of the ingest step has also served a dashboard load first (as served, 32 clients).
RSS=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$SERVER/status)
stop
AFTER=$(sqlite3 "$WORK/ingest.sqlite" "SELECT COUNT(*) FROM inspections")
HAZ_NEW=$(sqlite3 "$WORK/ingest.sqlite" "SELECT COUNT(*) FROM hazards WHERE found_at > (SELECT MAX(found_at) FROM hazards) - 86400 AND inspection_id IN (SELECT id FROM inspections WHERE client_id LIKE 'bench-%')")

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(swift --version 2>&1 | head -1); sqlite3 $(sqlite3 --version | cut -d' ' -f1); wrk, ${DURATION} s per run (2 threads; 1 for one client)"
echo
echo "Every measured request but the anonymous hello carries the bearer token of the demo's district admin (qu.admin); any non-2xx answer aborts the run."
echo "Dashboard = GET /api/v1/dashboard?areaCode=330109 (the district: 27 towns); as served = with its cache (until the next write, ≤ 30 s);"
echo "uncached = SAFEGRID_DASHBOARD_CACHE=off, computed from the counters on every request; town = 瓜沥镇 uncached (74 villages)."
echo
echo "| hazards | hello p50/p95/p99 ms | hello req/s | hello with token p95 ms / req/s | dashboard as served p50/p95/p99 ms | as served req/s | as served ÷ hello | uncached, 1 client p50/p95 ms | uncached, 32 clients p95 ms / req/s | uncached ÷ hello | town uncached p95 ms / req/s | sqlite3: counters ms | sqlite3: GROUP BY kind ms | sqlite3: GROUP BY village ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Ingest (64 clients, ${DURATION}s, 5 failed items each): $(field "$INGEST" rps) inspections/s, p50/p95/p99 $(field "$INGEST" p50)/$(field "$INGEST" p95)/$(field "$INGEST" p99) ms, $(( AFTER - BEFORE )) inspections stored ($HAZ_NEW hazards), non-2xx $(field "$INGEST" non2xx), socket errors $(field "$INGEST" socket_errors)"
echo "Peak RSS (VmHWM) of the server at the largest size after a dashboard load and the ingest: ${RSS} MB"
echo "sqlite3 times are whole runs of the sqlite3 command (process start ≈ 3 ms included), median of 5."
