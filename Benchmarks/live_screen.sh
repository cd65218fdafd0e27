#!/usr/bin/env bash
# Benchmark of the live big screen (GET /api/v1/stream, /api/v1/map, /screen): makes the data,
# starts and stops the servers, runs Benchmarks/live_screen.py for each part, prints a table.
#
#   Benchmarks/live_screen.sh [path/to/safegrid] [-- PARTS...]
#
# PARTS (default: latency postgres idle paint, and district when DISTRICT_DB is set):
#   latency   one instance on SQLite (a copy of the demo database): 500 streams, 50 inspections/s
#             for 20 s; change-to-screen latency. Then the same with 50 streams, as a reference.
#   postgres  a new PostgreSQL database sg_bench_<random> filled by `safegrid demo --no-serve`
#             with DATABASE_URL (≈ 2 min), two instances A and B on it: writes to A, streams on B;
#             then, as a reference, writes and streams both on A. The database is dropped after.
#   idle      one instance on SQLite: VmRSS and dashboard p95 without and with 2,000 idle streams
#             (3 alternating rounds).
#   paint     one instance on SQLite: /screen's first paint at 1920×1080 in headless Chromium
#             (screen.viewer, 瓜沥), 5 cold and 5 warm runs.
#   district  the same on DISTRICT_DB (a `safegrid demo --no-serve --scale 1m` file; served in
#             place, which adds sign-in sessions to it): the district screen as qu.admin and the
#             瓜沥 screen as screen.viewer.
#
# The binary defaults to $SAFEGRID_BIN, else .build/release/safegrid, else .build/debug/safegrid;
# it is copied with its resource bundles to a temp folder. DEMO_DB=file copies that demo database
# instead of building one (`safegrid demo --no-serve`, ≈ 1 min). Servers listen on 127.0.0.1,
# on free ports of BENCH_PORTS (default 8140-8149), with SAFEGRID_JOBS=off (no deadline job
# writes meanwhile), SAFEGRID_SMS_SENDER=off, SAFEGRID_WEBHOOKS=off and the screen files of this
# tree (SAFEGRID_SCREEN_DIR). PG_URL (default postgres://safegrid_ci:safegrid_ci@127.0.0.1:5432)
# is a role that may CREATE DATABASE. Each part stops by itself (BENCH_TIMEOUT s, default 900);
# exit 2 when a run aborted (a non-2xx answer, a stream that ended, a timeout; the next runs still
# run and the table shows it) or a server did not exit cleanly on SIGTERM. KEEP=1 keeps the
# temp folder (server logs). BENCH_ARGS adds options to every run of live_screen.py (a quick try:
# BENCH_ARGS="--streams 20 --rate 10 --duration 3 --idle 100 --dash-requests 200 --paint-runs 1").
# Missed targets are printed, not failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=
if [ $# -gt 0 ] && [ "$1" != "--" ]; then BIN=$1; shift; fi
[ "${1:-}" = "--" ] && shift
PARTS=("$@")
if [ ${#PARTS[@]} -eq 0 ]; then
  PARTS=(latency postgres idle paint)
  [ -n "${DISTRICT_DB:-}" ] && PARTS+=(district)
fi
if [ -z "$BIN" ]; then
  BIN=${SAFEGRID_BIN:-}
  [ -z "$BIN" ] && [ -x "$ROOT/.build/release/safegrid" ] && BIN=$ROOT/.build/release/safegrid
  [ -z "$BIN" ] && BIN=$ROOT/.build/debug/safegrid
fi
[ -x "$BIN" ] || { echo "live_screen: no server binary at $BIN"; exit 1; }
PY=python3
PG_URL=${PG_URL:-postgres://safegrid_ci:safegrid_ci@127.0.0.1:5432}
BT=${BENCH_TIMEOUT:-900}
# 2,000 streams and their client sockets: both ends need the descriptors.
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK=$(mktemp -d /tmp/safegrid-live-bench-XXXXXX)
PIDS=()
PGDB=
RC=0
stop_server() { # name:pid — SIGTERM (SIGKILL after 10 s); an exit other than 0 is a result too
  local name=${1%%:*} p=${1##*:} rc
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
  fi
  wait "$p" 2>/dev/null
  rc=$?
  if [ "$rc" != 0 ]; then
    echo "live_screen: server $name (PID $p) exited with status $rc on SIGTERM; see $WORK/server-$name.log"
    echo "RESULT|server $name|exit status after SIGTERM|$rc$([ "$rc" -gt 128 ] && echo " (signal $((rc - 128)))"), see server-$name.log|0|missed" >> "$WORK/results.txt"
    RC=2
  fi
}
stop_all() {
  for p in "${PIDS[@]}"; do stop_server "$p"; done
  PIDS=()
}
drop_pg() {
  if [ -n "$PGDB" ]; then
    psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 \
      && echo "== dropped database $PGDB" || echo "live_screen: could not drop database $PGDB (drop it by hand)"
    PGDB=
  fi
}
cleanup() {
  stop_all
  drop_pg
  if [ "${KEEP:-0}" = 1 ] || [ "$RC" != 0 ]; then echo "live_screen: kept $WORK (server logs)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/bin"
cp "$BIN" "$WORK/bin/safegrid"
for r in "$(dirname "$BIN")"/*.resources; do [ -e "$r" ] && cp -r "$r" "$WORK/bin/"; done

RANGE=${BENCH_PORTS:-8140-8149}
USED=()
free_port() { # -> P (a port of RANGE nobody listens on and not given out before)
  for p in $(seq "${RANGE%-*}" "${RANGE#*-}"); do
    [[ " ${USED[*]} " == *" $p "* ]] && continue
    if $PY -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', $p)); s.close()" 2>/dev/null; then USED+=("$p"); P=$p; return; fi
  done
  echo "live_screen: no free port in $RANGE on 127.0.0.1" >&2; RC=1; exit 1
}
# serve NAME PORT KIND(sqlite|postgres) DB  -> sets SERVER (its pid)
serve() {
  local name=$1 port=$2 kind=$3 db=$4
  local dbenv=(SAFEGRID_SQLITE="$db")
  [ "$kind" = postgres ] && dbenv=(DATABASE_URL="$db")
  ( cd "$WORK" && exec env -u DATABASE_URL -u SAFEGRID_SQLITE "${dbenv[@]}" SAFEGRID_HOST=127.0.0.1 SAFEGRID_PORT="$port" \
      SAFEGRID_PUBLIC_URL="http://127.0.0.1:$port" SAFEGRID_JOBS=off SAFEGRID_SMS_SENDER=off SAFEGRID_WEBHOOKS=off \
      SAFEGRID_SCREEN_DIR="$ROOT/Sources/SafeGridApp/Resources/screen" LOG_LEVEL=warning SAFEGRID_STREAMS_PER_ACCOUNT=5000 \
      "$WORK/bin/safegrid" serve > "$WORK/server-$name.log" 2>&1 ) &
  SERVER=$!
  PIDS+=("$name:$SERVER")
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && { echo "== server $name on 127.0.0.1:$port (PID $SERVER)"; return; }
    kill -0 "$SERVER" 2>/dev/null || { tail -20 "$WORK/server-$name.log"; echo "live_screen: server $name exited while starting"; RC=1; exit 1; }
    sleep 0.2
  done
  echo "live_screen: server $name not ready within 120 s"; RC=1; exit 1
}
bench() { # python arguments… — an aborted run is reported and the next one runs
  # shellcheck disable=SC2086  # BENCH_ARGS: extra options for every part, word-split on purpose
  timeout --kill-after=30 $((BT + 60)) "$PY" Benchmarks/live_screen.py "$@" --timeout "$BT" ${BENCH_ARGS:-} | tee -a "$WORK/results.txt"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ]; then RC=2; echo "live_screen: $1 aborted (exit $rc); see the message above and $WORK/server-*.log"; fi
}
table() {
  echo
  echo "== results (load average now $(cut -d' ' -f1-3 /proc/loadavg); binary $BIN)"
  echo
  echo "| part | what | measured | target | |"
  echo "|---|---|---|---|---|"
  grep '^RESULT|' "$WORK/results.txt" 2>/dev/null | awk -F'|' '{ printf "| %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, ($6 == "-" ? "" : $6) }'
}
sqlite_copy() { # name -> path of a fresh copy of the demo database
  cp "$WORK/demo.sqlite" "$WORK/$1.sqlite"; echo "$WORK/$1.sqlite"
}

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); binary $BIN ($(stat -c %y "$BIN" | cut -d. -f1))"
if [[ " ${PARTS[*]} " =~ " latency "|" idle "|" paint " ]]; then
  if [ -n "${DEMO_DB:-}" ]; then
    cp "$DEMO_DB" "$WORK/demo.sqlite" || { RC=1; exit 1; }
  else
    echo "== demo database (safegrid demo --no-serve)"
    T0=$(date +%s)
    ( cd "$WORK" && SAFEGRID_DEMO_SQLITE=$WORK/demo.sqlite SAFEGRID_SQLITE=$WORK/unused.sqlite SAFEGRID_JOBS=off LOG_LEVEL=warning \
        timeout 900 "$WORK/bin/safegrid" demo --no-serve > "$WORK/demo.log" 2>&1 ) || { tail -20 "$WORK/demo.log"; echo "live_screen: demo build failed"; RC=1; exit 1; }
    echo "   built in $(( $(date +%s) - T0 )) s"
  fi
fi

for part in "${PARTS[@]}"; do
  echo "== part $part (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  case $part in
    latency)
      free_port; serve sqlite1 "$P" sqlite "$(sqlite_copy latency)"
      bench latency --base "http://127.0.0.1:$P" --pid "$SERVER" --label "1 SQLite"
      stop_all
      # The same with a tenth of the streams: how the latency grows with the number of streams.
      free_port; serve sqlite1r "$P" sqlite "$(sqlite_copy latency50)"
      bench latency --base "http://127.0.0.1:$P" --pid "$SERVER" --label "1r SQLite, 50 streams (reference)" --streams 50
      stop_all ;;
    postgres)
      PGDB=sg_bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
      psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $PGDB" || { echo "live_screen: cannot create database $PGDB at $PG_URL"; PGDB=; RC=1; exit 1; }
      echo "   database $PGDB: safegrid demo --no-serve (DATABASE_URL)"
      T0=$(date +%s)
      ( cd "$WORK" && env -u SAFEGRID_SQLITE DATABASE_URL="$PG_URL/$PGDB" SAFEGRID_JOBS=off LOG_LEVEL=warning \
          timeout 1200 "$WORK/bin/safegrid" demo --no-serve > "$WORK/demo-pg.log" 2>&1 ) || { tail -20 "$WORK/demo-pg.log"; echo "live_screen: demo on PostgreSQL failed"; RC=1; exit 1; }
      echo "   built in $(( $(date +%s) - T0 )) s"
      free_port; PA=$P; serve pgA "$PA" postgres "$PG_URL/$PGDB"; PIDA=$SERVER
      free_port; PB=$P; serve pgB "$PB" postgres "$PG_URL/$PGDB"; PIDB=$SERVER
      bench latency --base "http://127.0.0.1:$PB" --write-base "http://127.0.0.1:$PA" --pid "$PIDB" --label "2 PostgreSQL A→B"
      bench latency --base "http://127.0.0.1:$PA" --pid "$PIDA" --label "2r PostgreSQL A→A (reference)"
      stop_all
      drop_pg ;;
    idle)
      free_port; serve sqlite3 "$P" sqlite "$(sqlite_copy idle)"
      bench idle --base "http://127.0.0.1:$P" --pid "$SERVER" --label "3 idle streams"
      stop_all ;;
    paint)
      free_port; serve sqlite4 "$P" sqlite "$(sqlite_copy paint)"
      bench paint --base "http://127.0.0.1:$P" --label "4 first paint, demo"
      stop_all ;;
    district)
      [ -f "${DISTRICT_DB:-}" ] || { echo "live_screen: DISTRICT_DB is not a file"; RC=1; exit 1; }
      free_port; serve district "$P" sqlite "$DISTRICT_DB"
      bench paint --base "http://127.0.0.1:$P" --user qu.admin --path "/screen?areaCode=330109" --label "4 first paint, 1M district"
      bench paint --base "http://127.0.0.1:$P" --label "4 first paint, 1M 瓜沥"
      stop_all ;;
    *) echo "live_screen: unknown part $part"; RC=1; exit 1 ;;
  esac
done

stop_all
table
exit $RC
