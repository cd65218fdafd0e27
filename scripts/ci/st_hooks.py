"""Schemathesis hooks of the API conformance suite (loaded through SCHEMATHESIS_HOOKS).

Only one thing is changed, and only to keep the run itself alive: schemathesis learns ids from
responses (GET /api/v1/auth/me, GET /api/v1/users) and reuses them, so it PATCHes the signed-in
admin's own account — a new password or `active: false` revokes the very token every other
request carries, and the rest of the run answers 401. A PATCH /api/v1/users/{id} aimed at the
signed-in account is sent to a stand-in account instead (made for the run, same role and
area), so the operation is still exercised with the generated body and every check still runs.

And one thing is added so that an operation can be reached at all: an IoT platform's events
(POST /api/v1/iot/{platform}/events) are signed with the platform's key (HMAC-SHA256 of
"<timestamp>.<raw body>"), which no schema can generate. The demo's platform and key are given
(SAFEGRID_CI_IOT_PLATFORM, SAFEGRID_CI_IOT_SECRET); the generated body is sent as the exact bytes
that were signed.
"""
import hashlib
import hmac
import json
import os
import time

import schemathesis

PROTECTED = {i.strip().lower() for i in os.environ.get("SAFEGRID_CI_PROTECTED_IDS", "").split(",") if i.strip()}
STAND_IN = os.environ.get("SAFEGRID_CI_STAND_IN_ID", "")
REDIRECTED = {"count": 0}
IOT_PLATFORM = os.environ.get("SAFEGRID_CI_IOT_PLATFORM", "")
IOT_SECRET = os.environ.get("SAFEGRID_CI_IOT_SECRET", "")


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() == "POST" and case.operation.path == "/api/v1/iot/{platform}/events":
        sign_iot(case)
        return
    if not PROTECTED or not STAND_IN:
        return
    if case.method.upper() != "PATCH" or case.operation.path != "/api/v1/users/{id}":
        return
    params = case.path_parameters or {}
    value = params.get("id")
    if isinstance(value, str) and value.strip().lower() in PROTECTED:
        params["id"] = STAND_IN
        REDIRECTED["count"] += 1


def sign_iot(case):
    if not IOT_PLATFORM or not IOT_SECRET:
        return
    if case.path_parameters is None:
        case.path_parameters = {}
    case.path_parameters["platform"] = IOT_PLATFORM
    body = case.body
    if isinstance(body, bytes):
        raw = body
    else:
        try:
            raw = json.dumps(body).encode("utf-8")
        except TypeError:
            # No body generated (a case without one): sign and send an empty body.
            raw = b""
    case.body = raw
    ts = str(int(time.time()))
    headers = dict(case.headers or {})
    headers["X-SafeGrid-Timestamp"] = ts
    headers["X-SafeGrid-Signature"] = hmac.new(IOT_SECRET.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers["Content-Type"] = "application/json"
    case.headers = headers
