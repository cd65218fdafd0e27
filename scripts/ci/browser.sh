#!/usr/bin/env bash
# Browser tests in headless Chromium against a real `safegrid serve` on 127.0.0.1:
#   scripts/ci/browser/field_app.py  the field app (/field/) at phone size (390×844)
#   scripts/ci/browser/screen.py     the wall screen (/screen) at 1920×1080, 3840×2160, 1366×768 and
#                                    390×844; figures pushed after a write; SIGKILL and restart
#   scripts/ci/browser/resident.py   the residents' report page (/report/) at 390×844, no account;
#                                    verified and dismissed in the field app
#
#   scripts/ci/browser.sh [path/to/safegrid]      (default .build/debug/safegrid, or $SAFEGRID_BIN)
#
# Copies the binary (and its resource bundles) to a temp folder, builds a demo database there
# (`safegrid demo --no-serve`), starts the server on a free port with SAFEGRID_FIELD_DIR pointing
# at this tree's Sources/SafeGridApp/Resources/field (FIELD_DIR=bundle serves the binary's own
# copy instead), runs the field tests, stops the server. The screen tests then start their own
# server (they kill and restart it) on a copy of the demo database as it was before the field
# tests wrote to it, with SAFEGRID_SCREEN_DIR at this tree's Resources/screen (SCREEN_DIR=bundle
# serves the binary's copy; FIELD_DIR=bundle implies it). Screenshots of every step are kept in
# .build/browser-screenshots/ (the screen's as screen-*.png). The resident tests last start their
# own server too, on another copy of that database, with SAFEGRID_REPORT_DIR at this tree's
# Resources/report and SAFEGRID_FIELD_DIR as for the field tests (FIELD_DIR=bundle serves the
# binary's copies of both; REPORT_DIR=bundle the binary's report page only); their screenshots are
# resident-*.png. Exits non-zero when a test failed.
# ONLY="inspect,offline" runs a subset: names of field tests, `screen` for all screen tests, or
# `screen:walls,screen:push` (files, walls, push, outside, restart) for some; `resident` for all
# resident tests or `resident:report,resident:phone` (report, duplicate, verify, dismiss, phone,
# bad-input) for some. Needs /usr/bin/chromium and
# /usr/bin/chromedriver (or $CHROMIUM, $CHROMEDRIVER), and Python with selenium (else a venv in
# .build/ci-venv from scripts/ci/requirements.txt).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${1:-${SAFEGRID_BIN:-$ROOT/.build/debug/safegrid}}
[ -x "$BIN" ] || { echo "browser: no server binary at $BIN (swift build --product safegrid)"; exit 1; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
[ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ] || { echo "browser: needs $CHROMIUM and $CHROMEDRIVER (apt-get install chromium chromium-driver fonts-wqy-zenhei)"; exit 1; }
fc-list 2>/dev/null | grep -qiE "wenquanyi|noto sans cjk|droid sans fallback" || echo "browser: warning: no CJK font; screenshots will show boxes for Chinese"

PY=python3
if ! $PY -c "import selenium" 2>/dev/null; then
  VENV=$ROOT/.build/ci-venv
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/ci/requirements.txt || { echo "browser: pip install failed"; exit 1; }
  PY=$VENV/bin/python
fi

WORK=$(mktemp -d /tmp/safegrid-browser-XXXXXX)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "${FAILED:-0}" = 1 ]; then echo "browser: kept $WORK (server.log, demo.sqlite)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A copy of the binary and its resource bundles: a rebuild meanwhile changes nothing here.
mkdir -p "$WORK/bin"
cp "$BIN" "$WORK/bin/safegrid"
for r in "$(dirname "$BIN")"/*.resources; do [ -e "$r" ] && cp -r "$r" "$WORK/bin/"; done

if [ -n "${SAFEGRID_CI_DEMO_DB:-}" ] && [ -f "$SAFEGRID_CI_DEMO_DB" ]; then
  # scripts/ci/suites.sh built one already: a copy of it.
  cp "$SAFEGRID_CI_DEMO_DB" "$WORK/demo.sqlite"
else
  echo "== demo database (safegrid demo --no-serve)"
  T0=$(date +%s)
  ( cd "$WORK" && SAFEGRID_DEMO_SQLITE=$WORK/demo.sqlite SAFEGRID_SQLITE=$WORK/unused.sqlite SAFEGRID_JOBS=off LOG_LEVEL=warning \
      timeout 600 "$WORK/bin/safegrid" demo --no-serve > "$WORK/demo.log" 2>&1 ) || { tail -20 "$WORK/demo.log"; FAILED=1; echo "browser: demo build failed"; exit 1; }
  echo "   built in $(( $(date +%s) - T0 )) s"
fi

# The screen tests' own copy, before the field tests write (their figures are the demo's: 33.99%).
for suffix in "" -wal -shm; do [ -e "$WORK/demo.sqlite$suffix" ] && cp "$WORK/demo.sqlite$suffix" "$WORK/screen-template.sqlite$suffix"; done

# Which tests: ONLY names field tests, `screen`, `screen:NAME`, `resident` or `resident:NAME`.
RUN_FIELD=1; RUN_SCREEN=1; RUN_RESIDENT=1; FIELD_ONLY=; SCREEN_ONLY=; SCREEN_ALL=0; RESIDENT_ONLY=; RESIDENT_ALL=0
if [ -n "${ONLY:-}" ]; then
  RUN_FIELD=0; RUN_SCREEN=0; RUN_RESIDENT=0
  for t in ${ONLY//,/ }; do
    case "$t" in
      screen) RUN_SCREEN=1; SCREEN_ALL=1 ;;
      screen:*) RUN_SCREEN=1; SCREEN_ONLY+="${SCREEN_ONLY:+,}${t#screen:}" ;;
      resident) RUN_RESIDENT=1; RESIDENT_ALL=1 ;;
      resident:*) RUN_RESIDENT=1; RESIDENT_ONLY+="${RESIDENT_ONLY:+,}${t#resident:}" ;;
      *) RUN_FIELD=1; FIELD_ONLY+="${FIELD_ONLY:+,}$t" ;;
    esac
  done
  [ "$SCREEN_ALL" = 1 ] && SCREEN_ONLY=
  [ "$RESIDENT_ALL" = 1 ] && RESIDENT_ONLY=
fi

RC=0
if [ "$RUN_FIELD" = 1 ]; then
  PORT=$($PY -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
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
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server.log"; FAILED=1; echo "browser: the server exited while starting"; exit 1; }
    sleep 0.2
  done
  curl -fsS "$BASE/field/" >/dev/null || { FAILED=1; echo "browser: $BASE/field/ does not answer (a binary without the field app?)"; exit 1; }

  echo "== tests"
  ARGS=(--base "$BASE" --chromium "$CHROMIUM" --chromedriver "$CHROMEDRIVER")
  [ -n "$FIELD_ONLY" ] && ARGS+=(--only "$FIELD_ONLY")
  timeout --kill-after=30 900 "$PY" scripts/ci/browser/field_app.py "${ARGS[@]}"
  RC=$?
  # The field server stops here: the screen tests start (and kill) their own.
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$SERVER_PID" 2>/dev/null
  SERVER_PID=
fi

SCREEN_RC=0
if [ "$RUN_SCREEN" = 1 ]; then
  echo "== screen tests"
  [ "${FIELD_DIR:-}" = "bundle" ] && [ -z "${SCREEN_DIR:-}" ] && export SCREEN_DIR=bundle
  SARGS=(--template "$WORK/screen-template.sqlite" --chromium "$CHROMIUM" --chromedriver "$CHROMEDRIVER")
  [ -n "$SCREEN_ONLY" ] && SARGS+=(--only "$SCREEN_ONLY")
  SAFEGRID_BIN="$WORK/bin/safegrid" timeout --kill-after=30 600 "$PY" scripts/ci/browser/screen.py "${SARGS[@]}"
  SCREEN_RC=$?
fi

RESIDENT_RC=0
if [ "$RUN_RESIDENT" = 1 ]; then
  echo "== resident tests"
  RARGS=(--template "$WORK/screen-template.sqlite" --chromium "$CHROMIUM" --chromedriver "$CHROMEDRIVER")
  [ -n "$RESIDENT_ONLY" ] && RARGS+=(--only "$RESIDENT_ONLY")
  SAFEGRID_BIN="$WORK/bin/safegrid" timeout --kill-after=30 900 "$PY" scripts/ci/browser/resident.py "${RARGS[@]}"
  RESIDENT_RC=$?
fi
[ "$RC" = 0 ] && RC=$SCREEN_RC
[ "$RC" = 0 ] && RC=$RESIDENT_RC
[ "$RC" = 0 ] || FAILED=1
echo "browser: exit $RC; screenshots in .build/browser-screenshots/"
exit $RC
