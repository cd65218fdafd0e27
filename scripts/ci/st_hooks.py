"""Schemathesis hooks of the API conformance suite (loaded through SCHEMATHESIS_HOOKS).

Only one thing is changed, and only to keep the run itself alive: schemathesis learns ids from
responses (GET /api/v1/auth/me, GET /api/v1/users) and reuses them, so it PATCHes the signed-in
admin's own account — a new password or `active: false` revokes the very token every other
request carries, and the rest of the run answers 401. A PATCH /api/v1/users/{id} aimed at the
signed-in account is sent to a stand-in account instead (made for the run, same role and
area), so the operation is still exercised with the generated body and every check still runs.
"""
import os

import schemathesis

PROTECTED = {i.strip().lower() for i in os.environ.get("SAFEGRID_CI_PROTECTED_IDS", "").split(",") if i.strip()}
STAND_IN = os.environ.get("SAFEGRID_CI_STAND_IN_ID", "")
REDIRECTED = {"count": 0}


@schemathesis.hook
def before_call(context, case, kwargs):
    if not PROTECTED or not STAND_IN:
        return
    if case.method.upper() != "PATCH" or case.operation.path != "/api/v1/users/{id}":
        return
    params = case.path_parameters or {}
    value = params.get("id")
    if isinstance(value, str) and value.strip().lower() in PROTECTED:
        params["id"] = STAND_IN
        REDIRECTED["count"] += 1
