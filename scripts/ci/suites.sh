#!/usr/bin/env bash
# The four system suites against real `safegrid serve` processes on 127.0.0.1, each on its own
# free port and its own copy of a freshly built demo database:
#   hostile_files.py      hostile uploads to POST /api/v1/imports (status, time, peak RSS)
#   crash_consistency.py  SIGKILL × 20 under 16 submitting clients; stored once, recount, audit
#   hostile_strings.py    script injection through every field that reaches a page (html5lib, Chromium)
#   api_conformance.py    schemathesis against /openapi.json (list in .build/schemathesis-failures.md)
#   browser.sh            the field app in headless Chromium at 390×844 (scripts/ci/browser/field_app.py;
#                         screenshots in .build/browser-screenshots/)
# Uses .build/debug/safegrid (or $SAFEGRID_BIN); installs Chromium from Debian and the Python
# packages of requirements.txt from PyPI into .build/ci-venv. Prints each suite's figures, then
# one line 'suites: N passed, N failed'; exits non-zero when a suite failed.
# SUITES="files crash" runs a subset. Only 127.0.0.1 is contacted; every suite is time-bounded.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${SAFEGRID_BIN:-$ROOT/.build/debug/safegrid}
SUITES=${SUITES:-"files crash strings api field"}
[ -x "$BIN" ] || { echo "suites: no binary at $BIN (swift build --product safegrid)"; exit 1; }

if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi"; then
  echo "== Debian packages: chromium chromium-driver fonts-wqy-zenhei"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null
fi
VENV=$ROOT/.build/ci-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
echo "== Python packages (scripts/ci/requirements.txt)"
"$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/ci/requirements.txt || { echo "suites: pip install failed"; exit 1; }
PY=$VENV/bin/python

WORK=$(mktemp -d /tmp/safegrid-suites-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# A copy of the binary (and its resource bundles): a rebuild in the tree meanwhile changes nothing here.
mkdir -p "$WORK/bin"
cp "$BIN" "$WORK/bin/safegrid"
for r in "$(dirname "$BIN")"/*.resources; do [ -e "$r" ] && cp -r "$r" "$WORK/bin/"; done
export SAFEGRID_BIN=$WORK/bin/safegrid

echo "== demo database (safegrid demo --no-serve), copied by every suite"
START=$(date +%s)
( cd "$WORK" && SAFEGRID_DEMO_SQLITE=$WORK/demo.sqlite SAFEGRID_JOBS=off SAFEGRID_SQLITE=$WORK/unused.sqlite LOG_LEVEL=warning \
    timeout 600 "$SAFEGRID_BIN" demo --no-serve > "$WORK/demo.log" 2>&1 ) || { tail -20 "$WORK/demo.log"; echo "suites: demo build failed"; exit 1; }
grep -E "demo built|rate" "$WORK/demo.log" | sed 's/^/  /'
export SAFEGRID_CI_DEMO_DB=$WORK/demo.sqlite

passed=0; failed=0; FIGURES=()
run() { # name limit-seconds script [args]; a .sh script runs with bash, others with the venv's Python
  local name=$1 limit=$2; shift 2
  echo "== $name"
  local t0=$(date +%s)
  local interpreter=$PY
  case $1 in *.sh) interpreter=bash ;; esac
  PATH=$VENV/bin:$PATH timeout --kill-after=30 "$limit" "$interpreter" "$@" 2>&1 | tee "$WORK/$name.log"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E "^(hostile files|crash consistency|hostile strings|api conformance|browser):" "$WORK/$name.log" | grep -v "^browser: exit" | tail -1)
  [ -n "$line" ] || line="$name: no summary (exit $rc)"
  if [ "$rc" = 0 ]; then passed=$((passed+1)); FIGURES+=("PASS $line"); else failed=$((failed+1)); FIGURES+=("FAIL ($rc) $line"); fi
  echo "   ($name: exit $rc, $(( $(date +%s) - t0 )) s)"
}
for s in $SUITES; do
  case $s in
    files)   run files   240 scripts/ci/hostile_files.py ;;
    crash)   run crash   480 scripts/ci/crash_consistency.py --time-limit 420 ;;
    strings) run strings 480 scripts/ci/hostile_strings.py ;;
    api)     run api     780 scripts/ci/api_conformance.py --time-limit 600 ;;
    field)   FIELD_DIR=bundle run field 1500 scripts/ci/browser.sh "$SAFEGRID_BIN" ;;
    *) echo "unknown suite $s"; failed=$((failed+1)) ;;
  esac
done

echo "== figures ($(( $(date +%s) - START )) s in all)"
for f in "${FIGURES[@]}"; do echo "$f"; done
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
