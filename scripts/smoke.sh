#!/usr/bin/env bash
# Smoke test of a running SafeGrid (default http://127.0.0.1:8080) holding the demo campaign:
# every page and API route once, one subject, one inspection (twice: idempotent), one transition.
# Exits non-zero on the first unexpected status. Sends traffic to the given base URL only.
set -euo pipefail
BASE=${1:-http://127.0.0.1:8080}
# Sign in as the demo's town admin (README: accounts; password safegrid-demo).
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' \
  --data "{\"username\":\"${SAFEGRID_USER:-guali.admin}\",\"password\":\"${SAFEGRID_PASSWORD:-safegrid-demo}\"}" \
  "$BASE/api/v1/auth/token" | python3 -c "import json,sys; print(json.load(sys.stdin)['token'])")
[ -n "$TOKEN" ] || { echo "FAIL sign-in"; exit 1; }
check() { # expected-status method path [json]
  local want=$1 method=$2 path=$3 body=${4:-}
  local got
  if [ -n "$body" ]; then
    got=$(curl -s -o /tmp/smoke.out -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data "$body" "$BASE$path")
  else
    got=$(curl -s -o /tmp/smoke.out -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN" "$BASE$path")
  fi
  if [ "$got" != "$want" ]; then echo "FAIL $method $path: $got (wanted $want)"; head -c 400 /tmp/smoke.out; echo; exit 1; fi
  echo "ok   $got $method $path"
}
json() { python3 -c "import json,sys; d=json.load(open('/tmp/smoke.out')); print(eval(sys.argv[1]))" "$1"; }

check 200 GET /api/v1/dashboard
[ "$(json "d['byKind']['enterprise']['rectificationRate']")" = "33.99" ] || { echo "FAIL enterprise rate"; exit 1; }
[ "$(json "d['byKind']['streetShop']['rectificationRate']")" = "31.37" ] || { echo "FAIL shop rate"; exit 1; }
VILLAGE=$(json "d['ranking'][0]['code']")
check 200 GET /
check 200 GET /dashboard
check 200 GET "/villages/$VILLAGE"
check 200 GET "/api/v1/dashboard?areaCode=$VILLAGE"
GRID=$(json "d['ranking'][0]['code']")
check 200 GET "/grids/$GRID"
check 200 GET "/api/v1/areas/$GRID"
MICRO=$(json "d['children'][0]['code']")
check 200 GET "/api/v1/subjects?kind=enterprise&per=2&areaCode=$VILLAGE"
SUBJECT=$(json "d['items'][0]['id']")
check 200 GET "/subjects/$SUBJECT"
check 200 GET "/api/v1/subjects/$SUBJECT"
check 200 GET "/api/v1/hazards?overdue=true&per=3"
HAZARD=$(json "d['items'][0]['id']")
check 200 GET "/hazards/$HAZARD"
check 200 GET "/api/v1/hazards/$HAZARD"
check 200 GET /api/v1/checklists/current
check 200 GET "/api/v1/inspections?subjectId=$SUBJECT"
SERIAL=$(python3 -c "import random,string; print(''.join(random.choice('0123456789ABCDEFGHJKLMNPQRTUWXY') for _ in range(8)))")
check 201 POST /api/v1/subjects "{\"kind\":\"streetShop\",\"name\":\"冒烟测试小吃店 $SERIAL\",\"address\":\"瓜沥镇航坞路1号\",\"microGridCode\":\"$MICRO\",\"party\":{\"name\":\"测试\",\"phone\":\"+86 139 0000 0000\"},\"location\":{\"latitude\":30.18,\"longitude\":120.46,\"datum\":\"wgs84\"}}"
NEW=$(json "d['id']")
NOW=$(TZ=Asia/Shanghai date +%Y-%m-%dT%H:%M:%S+08:00)
BODY="{\"clientId\":\"smoke-$SERIAL\",\"subjectId\":\"$NEW\",\"inspectedAt\":\"$NOW\",\"inspector\":\"李伟\",\"team\":[{\"name\":\"李伟\",\"department\":\"fireRescue\"}],\"results\":[{\"itemCode\":\"GAS-01\",\"outcome\":\"hazard\"},{\"itemCode\":\"FIRE-02\",\"outcome\":\"pass\"}]}"
check 201 POST /api/v1/inspections "$BODY"
NEWHAZARD=$(json "d['hazards'][0]['id']")
check 201 POST /api/v1/inspections "$BODY"
check 200 POST "/api/v1/hazards/$NEWHAZARD/actions" '{"action":"verifyRectified","actor":"李伟","version":1}'
check 409 POST "/api/v1/hazards/$NEWHAZARD/actions" '{"action":"verifyRectified","actor":"李伟"}'
check 200 POST "/api/v1/subjects/$NEW/close-down" '{"actor":"综合执法组","reason":"冒烟测试"}'
check 409 POST /api/v1/inspections "${BODY/smoke-/smoke2-}"
check 400 POST /api/v1/inspections '{"clientId":'
check 404 GET /api/v1/hazards/00000000-0000-0000-0000-000000000000
echo "smoke passed against $BASE"
