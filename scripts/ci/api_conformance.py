#!/usr/bin/env python3
"""API conformance: schemathesis against /openapi.json, signed in as the demo's district admin.

Every check (`--checks all` equivalent), every phase (examples, coverage, fuzzing, stateful),
at least 2,000 test cases; passes with 0 server errors and 0 conformance failures. Prints the
number of cases and the failures by kind, and writes a categorized, deduplicated list of the
failures (operation, check, example request, what was wrong) to .build/schemathesis-failures.md.

Left out, and only because they would sabotage the run itself:
  - DELETE /api/v1/auth/token: it revokes the token that every request of the run carries;
  - a PATCH /api/v1/users/{id} of the signed-in account is sent to a stand-in account
    (st_hooks.py): a changed password or `active: false` would revoke the token as well.
Fewer cases, for time only: an unfiltered hazard export takes 20–35 s on the debug build, so
GET /api/v1/exports/hazards.{xlsx,csv} run their fuzzing cases (3 each) but not the ~100
coverage cases each (the same filters are covered through GET /api/v1/hazards); the other
exports run 3 fuzzing cases each as well.
"""
import argparse
import base64
import collections
import json
import os
import re
import sqlite3
import shlex
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
from common import http, log  # noqa: E402

ST = os.path.join(os.path.dirname(sys.executable), "st")
REPORT_MD = os.path.join(common.BUILD, "schemathesis-failures.md")

CONFIG = """\
# Written by scripts/ci/api_conformance.py for one run.
workers = {workers}
seed = {seed}
request-timeout = 60
continue-on-failure = true

[generation]
max-examples = {max_examples}
no-shrink = true
database = "none"

[checks]
enabled = true

# Operations whose documented 422 answers a rule a JSON Schema cannot state, so a schema-valid
# request may rightly be refused (each rule is in the operation's description and its 422):
# a GB 32100 check character, a position inside 萧山区, a record the body names that must exist
# (subject, micro-grid, team, checklist item and version), times not in the future nor before
# the hazard or its last event, rules across fields (a period of at most a year, role against
# area level and department, a password without the user name, two departments per team, sync
# sequence numbers unique per batch, creditCode or subjectId), a PNG that is a PNG, a ledger
# with data rows, a photo that is a JPEG, PNG or HEIC, a map box whose south lies below its north,
# an incident period of at most ten years, a device on a subject inside its platform's area with
# a serial new to the platform and an install day not after today, a platform id not taken, an
# alarm step its state allows with an item of the checklist for the subject's kind; a resident's
# mobile that is a mainland mobile, the code texted to it, a position inside 萧山区, a village
# and a report that exist, a photo whose size can be read, a report step its state allows, and
# the per-number and per-address limits of residents (429).
# Every other check still applies to them; every other operation keeps the
# default expected statuses.
[[operations]]
include-name = [
  "GET /api/v1/clearance", "GET /api/v1/performance", "GET /open311/v2/requests.json", "GET /open311/v2/requests.xml",
  "POST /api/v1/users", "PATCH /api/v1/users/{{id}}", "POST /api/v1/enforcement/actions", "POST /api/v1/enforcement/teams",
  "POST /api/v1/hazards/{{id}}/actions", "POST /api/v1/imports", "POST /api/v1/inspections",
  "POST /api/v1/inspections/{{id}}/signature", "POST /api/v1/reinspections", "POST /api/v1/subjects",
  "POST /api/v1/subjects/{{id}}/close-down", "POST /api/v1/sync", "POST /api/v1/tasks/directed",
  "POST /api/v1/photos", "GET /api/v1/map",
  "GET /api/v1/incidents", "POST /api/v1/devices", "POST /api/v1/iot-platforms", "POST /api/v1/alarms/{{id}}/actions",
  "POST /api/v1/iot/{{platform}}/events",
  "POST /api/v1/resident/codes", "POST /api/v1/resident/reports", "GET /api/v1/resident/nearby", "GET /api/v1/resident/context",
  "POST /api/v1/reports/{{id}}/actions",
]
checks = {{ positive_data_acceptance = {{ expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"] }} }}

# Exports read the whole district on a debug build: slow, not wrong (see BENCHMARKS.md for release).
[[operations]]
include-path-regex = "^/api/v1/exports/"
generation = {{ max-examples = 3 }}
request-timeout = 180
checks = {{ max_response_time = 120 }}

[[operations]]
include-path-regex = "^/api/v1/exports/hazards[.]"
generation = {{ max-examples = 3 }}
request-timeout = 180
checks = {{ max_response_time = 120 }}
phases = {{ coverage = {{ enabled = false }} }}
"""


def decode_body(b):
    if b is None:
        return None
    if isinstance(b, dict) and "$base64" in b:
        raw = base64.b64decode(b["$base64"])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(raw)} bytes>"
    return b if isinstance(b, str) else json.dumps(b, ensure_ascii=False)


def normalise(message):
    """A failure message with its instance-specific parts (values, ids, numbers) blanked, to
    deduplicate the same fault found through different inputs."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = re.sub(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "<uuid>", first)
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "<v>", first)
    first = re.sub(r"\d+", "<n>", first)
    first = re.sub(r"\b(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE|QUERY|CONNECT)\b", "<method>", first)
    return first


def problem_of(body):
    """(field, detail) of an application/problem+json answer, else (None, None)."""
    try:
        p = json.loads(body) if body else None
    except (ValueError, TypeError):
        return None, None
    if isinstance(p, dict):
        return p.get("field"), p.get("detail")
    return None, None


def collect(ndjson_path):
    """Failures from the NDJSON event stream: one entry per (check, operation, fault), with the
    first example seen and how many cases hit it."""
    faults = collections.OrderedDict()
    cases = collections.Counter()
    errors = []
    with open(ndjson_path) as f:
        for line in f:
            event = json.loads(line)
            if "NonFatalError" in event:
                e = event["NonFatalError"]
                errors.append((e.get("label"), e.get("value", {}).get("type"), e.get("value", {}).get("message", "")[:300]))
                continue
            if "ScenarioFinished" not in event:
                continue
            s = event["ScenarioFinished"]
            rec = s.get("recorder") or {}
            cases[s["phase"]] += len(rec.get("cases") or {})
            for case_id, checks in (rec.get("checks") or {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    info = (check.get("failure_info") or {}).get("failure") or {}
                    code = info.get("code", "?")
                    op = info.get("operation") or rec.get("label")
                    message = info.get("message", "")
                    inter = (rec.get("interactions") or {}).get(case_id) or {}
                    req = inter.get("request") or {}
                    resp = inter.get("response") or {}
                    field, detail = problem_of(decode_body(resp.get("content")))
                    # A refusal of valid input (or acceptance of invalid) is one fault per input the
                    # server names, not one per operation.
                    key = (code, op, check["name"], normalise(message),
                           re.sub(r"\[\d+\]", "[n]", field or "")
                           if check["name"] in ("positive_data_acceptance", "negative_data_rejection") else None)
                    entry = faults.get(key)
                    if entry is None:
                        case = ((rec.get("cases") or {}).get(case_id) or {}).get("value") or {}
                        meta = case.get("meta") or {}
                        entry = faults[key] = {
                            "code": code, "title": info.get("title", check["name"]), "operation": op, "check": check["name"],
                            "message": message.strip(), "count": 0, "phase": s["phase"],
                            "scenario": ((meta.get("phase") or {}).get("data") or {}).get("description"),
                            "request": {"method": req.get("method") or case.get("method"), "uri": req.get("uri"),
                                        "headers": {k: v for k, v in (req.get("headers") or {}).items()
                                                    if k.lower() not in ("user-agent", "accept-encoding", "accept", "connection",
                                                                         "content-length", "x-schemathesis-testcaseid")},
                                        "body": decode_body(req.get("body"))},
                            "response": {"status": resp.get("status_code"),
                                         "content_type": ((resp.get("headers") or {}).get("content-type") or [None])[0],
                                         "body": decode_body(resp.get("content"))},
                        }
                    entry["count"] += 1
                    variant = message.strip().splitlines()[0] if message.strip() else ""
                    if detail and check["name"] in ("positive_data_acceptance", "negative_data_rejection", "status_code_conformance"):
                        variant = f"answered {resp.get('status_code')} {field or ''}: {detail}"
                    variants = entry.setdefault("variants", [])
                    if variant and variant not in variants and len(variants) < 8:
                        variants.append(variant)
    return faults, cases, errors


def curl(req, base):
    parts = ["curl", "-i", "-X", req["method"] or "GET"]
    for k, v in (req.get("headers") or {}).items():
        value = v[0] if isinstance(v, list) else v
        if k.lower() == "authorization":
            value = "Bearer $TOKEN"
        if k.lower() == "x-api-key":
            value = "$API_KEY"
        parts += ["-H", f"{k}: {value}"]
    body = req.get("body")
    if body is not None:
        parts += ["--data-binary", body if len(body) <= 600 else body[:600] + "…"]
    uri = req.get("uri") or ""
    if base and uri.startswith(base):
        uri = "$BASE" + uri[len(base):]
    parts.append(uri)
    return " ".join(shlex.quote(p) if not p.startswith("$BASE") else '"' + p.replace('"', '\\"') + '"' for p in parts)


def write_markdown(path, faults, summary, base, errors, extra):
    by_code = collections.OrderedDict()
    for f in faults.values():
        by_code.setdefault((f["code"], f["title"]), []).append(f)
    lines = ["# Schemathesis failures", "",
             f"Run of `scripts/ci/api_conformance.py` on {time.strftime('%Y-%m-%d %H:%M %Z')}: {summary}.", "",
             "Each entry is one fault: check, operation and the fault's message with values blanked; `cases` counts "
             "the test cases that hit it. `$BASE` is the server, `$TOKEN` a district admin's token "
             "(`POST /api/v1/auth/token {\"username\":\"qu.admin\",\"password\":\"safegrid-demo\"}`), "
             "`$API_KEY` a key of scope clearance (`safegrid apikey create ci --scope clearance`), sent with every request.", ""]
    lines += extra
    lines += ["## Contents", ""]
    for (code, title), items in by_code.items():
        lines.append(f"- [{code} {title}](#{code.lower()}) — {len(items)} distinct, "
                     f"{len({i['operation'] for i in items})} operations, {sum(i['count'] for i in items)} cases")
    lines.append("")
    for (code, title), items in by_code.items():
        lines += [f"## {code}", "", f"**{title}** — check `{items[0]['check']}`. Operations: "
                  + ", ".join(sorted({f'`{i["operation"]}`' for i in items})), ""]
        if items[0]["check"] == "unsupported_method":
            # One cause throughout (the router answers 404 for a method it does not route):
            # a table, one row per operation.
            lines += ["| operation | methods tried | answer |", "|---|---|---|"]
            for f in sorted(items, key=lambda x: x["operation"]):
                methods = sorted({m for v in f.get("variants") or [] for m in re.findall(r"method (\w+)", v)})
                lines.append(f"| `{f['operation']}` | {', '.join(methods)} | {f['response']['status']} |")
            lines += ["", "Example request:", "", "```sh", curl(items[0]["request"], base), "```", "",
                      "What was wrong:", "", "```", items[0]["message"].strip()[:500], "```", ""]
            continue
        for i, f in enumerate(sorted(items, key=lambda x: (x["operation"], x["message"])), 1):
            msg = f["message"].replace("\n\n", "\n").strip()
            lines += [f"### {code}.{i} `{f['operation']}`", "",
                      f"- cases: {f['count']} (first seen in the {f['phase']} phase"
                      + (f"; scenario: {f['scenario']}" if f.get("scenario") else "") + ")",
                      f"- answer: {f['response']['status']} `{f['response']['content_type']}`", "",
                      "What was wrong:", "", "```", msg[:1500], "```", ""]
            if len(f.get("variants") or []) > 1 or (f.get("variants") and f["variants"][0] not in msg):
                lines += ["Seen as:", ""] + [f"- {v[:300]}" for v in f["variants"]] + [""]
            lines += ["Example request:", "", "```sh",
                      curl(f["request"], base), "```", ""]
            body = f["response"].get("body")
            if body:
                lines += ["Answer body (start):", "", "```", body[:400], "```", ""]
    if errors:
        lines += ["## Errors (not failures)", ""]
        for label, kind, message in errors:
            lines.append(f"- `{label}`: {kind}: {message}")
        lines.append("")
    with open(path, "w") as out:
        out.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--template", help="demo SQLite file to copy (default: build one)")
    ap.add_argument("--user", default="qu.admin")
    ap.add_argument("--max-examples", type=int, default=15)
    ap.add_argument("--min-cases", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20220725)
    ap.add_argument("--time-limit", type=float, default=720, help="seconds for schemathesis")
    ap.add_argument("--markdown", default=REPORT_MD)
    args = ap.parse_args()
    common.require_binary()
    started = time.time()
    work = common.workdir("api")
    db = common.demo_db(work, args.template)
    # GET /api/v1/clearance takes a licensing system's key (X-API-Key), not a person's token.
    rc, out = common.run_command(["apikey", "create", "ci-clearance", "--scope", "clearance"], db)
    m = re.search(r"\bsg_[0-9A-Za-z]+", out)
    if rc != 0 or not m:
        sys.exit(f"safegrid apikey create exited {rc}: {out[-500:]}")
    api_key = m.group(0)
    server = common.Server(db, extra_env={"SAFEGRID_SMS_SENDER": "off"})
    server.start()
    problems = []
    try:
        token = server.token(args.user)
        auth = {"Authorization": f"Bearer {token}"}
        me = json.loads(http("GET", server.base + "/api/v1/auth/me", headers=auth)[2])
        # The stand-in account that PATCHes of the signed-in account are sent to (st_hooks.py).
        status, _, body = http("POST", server.base + "/api/v1/users",
                               {"username": "ci.standin", "displayName": "CI stand-in", "password": "stand-in-password-1",
                                "role": me["role"], "areaCode": me["areaCode"]}, auth)
        if status not in (200, 201):
            sys.exit(f"could not make the stand-in account: {status} {body[:300]!r}")
        stand_in = json.loads(body)["id"]
        config = os.path.join(work, "schemathesis.toml")
        with open(config, "w") as f:
            f.write(CONFIG.format(workers=args.workers, seed=args.seed, max_examples=args.max_examples))
        report_dir = os.path.join(work, "report")
        # The demo's IoT platform and its key, for the hook that signs device events (st_hooks.py).
        con = sqlite3.connect(db)
        try:
            iot = con.execute("SELECT id, secret FROM iot_platforms ORDER BY id LIMIT 1").fetchone() or ("", "")
        finally:
            con.close()
        env = dict(os.environ, SCHEMATHESIS_HOOKS=os.path.join(os.path.dirname(os.path.abspath(__file__)), "st_hooks.py"),
                   SAFEGRID_CI_IOT_PLATFORM=iot[0], SAFEGRID_CI_IOT_SECRET=iot[1],
                   SAFEGRID_CI_PROTECTED_IDS=me["id"], SAFEGRID_CI_STAND_IN_ID=stand_in)
        cmd = [ST, "--config-file", config, "run", server.base + "/openapi.json",
               "--checks", "all", "-H", f"Authorization: Bearer {token}", "-H", f"X-API-Key: {api_key}",
               "--exclude-name", "DELETE /api/v1/auth/token",   # revokes the run's own token
               "--exclude-name", "GET /api/v1/stream",          # never ends (Swift LiveTests and the browser tests read it)
               "--no-color", "--report", "json,ndjson", "--report-dir", report_dir,
               "--report-json-path", os.path.join(report_dir, "run.json"),
               "--report-ndjson-path", os.path.join(report_dir, "events.ndjson")]
        out_path = os.path.join(work, "schemathesis.txt")
        t0 = time.time()
        timed_out = False
        with open(out_path, "w") as out:
            try:
                p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work, timeout=args.time_limit)
                exit_code = p.returncode
            except subprocess.TimeoutExpired:
                timed_out, exit_code = True, None
        seconds = time.time() - t0
        # The run must not have cost the token (else its later answers were all 401s).
        still_signed_in = http("GET", server.base + "/api/v1/auth/me", headers=auth)[0] == 200
    finally:
        server.stop()
    if timed_out:
        problems.append(f"schemathesis did not finish within {args.time_limit:.0f} s")
    if not still_signed_in:
        problems.append("the run's token stopped working during the run: later results are 401s, not tests")
    text = open(out_path).read()
    tail = text[text.find("SUMMARY"):] if "SUMMARY" in text else text[-3000:]
    run_json = os.path.join(report_dir, "run.json")
    events = os.path.join(report_dir, "events.ndjson")
    if not os.path.exists(events):
        log(text[-4000:])
        sys.exit("schemathesis wrote no event stream")
    faults, phase_cases, errors = collect(events)
    # Hypothesis's FlakyFailure inside schemathesis's own data generation (a case that fails to be
    # generated the same way twice) says nothing about the API: it is shown and counted, and does
    # not fail the suite when it is the only thing wrong. Every other error does.
    tool_errors = [e for e in errors if e[1] == "FlakyFailure"]
    errors = [e for e in errors if e[1] != "FlakyFailure"]
    report = json.load(open(run_json)) if os.path.exists(run_json) else {}
    tc = report.get("test_cases") or {}
    generated = tc.get("generated", sum(phase_cases.values()))
    by_kind = collections.Counter()
    for f in faults.values():
        by_kind[f"{f['code']} {f['title']}"] += 1
    server_errors = sum(1 for f in faults.values() if f["check"] == "not_a_server_error")
    if generated < args.min_cases:
        problems.append(f"only {generated} test cases (at least {args.min_cases} wanted)")
    warnings = report.get("warnings") or {}
    if warnings.get("missing_auth"):
        # Operations that answered only 401/403 for a district admin.
        problems.append("operations answering only 401/403: " + ", ".join(warnings["missing_auth"]))
    kinds = "; ".join(f"{k}: {v}" for k, v in by_kind.most_common()) or "none"
    summary = (f"{generated} test cases ({', '.join(f'{k} {v}' for k, v in phase_cases.items())}), "
               f"{len(faults)} distinct failures, {tc.get('unique_failures', '?')} unique by schemathesis, "
               f"{sum(f['count'] for f in faults.values())} failing checks; server errors {server_errors}; "
               f"errors {len(errors)}; generator hiccups {len(tool_errors)}")
    extra = []
    if problems:
        extra += ["Run problems:", ""] + [f"- {p}" for p in problems] + [""]
    os.makedirs(os.path.dirname(args.markdown), exist_ok=True)
    write_markdown(args.markdown, faults, summary, server.base, errors + tool_errors, extra)
    log(tail.strip()[:6000])
    log(f"api conformance: {generated} cases in {seconds:.0f} s, failures {len(faults)} distinct "
        f"(by kind: {kinds}), server errors {server_errors}, errors {len(errors)}, "
        f"generator hiccups {len(tool_errors)}{' (' + ', '.join(sorted({e[0] for e in tool_errors})) + ')' if tool_errors else ''}, "
        f"schemathesis exit {exit_code}; list: {os.path.relpath(args.markdown, common.ROOT)}")
    for p in problems:
        log(f"  FAIL {p}")
    # schemathesis exits 1 for a generator hiccup too; what counts is what was found.
    common.finish(faults or problems or errors or exit_code not in ((0, 1) if tool_errors else (0,)), work)


if __name__ == "__main__":
    main()
