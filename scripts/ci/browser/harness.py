"""What the browser tests share (field_app.py, screen.py): failures, checks, the API client the
tests verify the server with, the command line, and running the tests with their report."""
import argparse
import json
import os
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402  (scripts/ci/common.py: binary, demo database, server process, http)

SHOTS = os.path.join(common.BUILD, "browser-screenshots")


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    common.log(f"    ok: {what}")


class Api:
    """The server's API with a bearer token per demo account (password common.PASSWORD)."""

    def __init__(self, base):
        self.base = base
        self.tokens = {}

    def token(self, user):
        if user not in self.tokens:
            st, _, body = common.http("POST", self.base + "/api/v1/auth/token", {"username": user, "password": common.PASSWORD})
            if st not in (200, 201):
                raise Failure(f"sign-in of {user} through the API: {st} {body[:200]!r}")
            self.tokens[user] = json.loads(body)["token"]
        return self.tokens[user]

    def get(self, path, user="guali.admin", raw=False):
        """The JSON of a 200 answer (`raw`: status, headers and body whatever the status)."""
        st, headers, body = common.http("GET", self.base + path, headers={"Authorization": "Bearer " + self.token(user)})
        if raw:
            return st, headers, body
        if st != 200:
            raise Failure(f"GET {path} as {user}: {st} {body[:300]!r}")
        return json.loads(body)

    def post(self, path, body, user="guali.admin"):
        st, _, answer = common.http("POST", self.base + path, body, headers={"Authorization": "Bearer " + self.token(user)})
        return st, answer


def arguments(doc, tests, base_help):
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", help=base_help)
    ap.add_argument("--template", help="demo SQLite file to copy (default: build one)")
    ap.add_argument("--only", help="comma list of tests: " + ", ".join(n for n, _ in tests))
    ap.add_argument("--chromedriver", default=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    return ap.parse_args()


def clear_shots(prefix=""):
    os.makedirs(SHOTS, exist_ok=True)
    for old in os.listdir(SHOTS):
        if old.startswith(prefix) and old.endswith(".png"):
            os.remove(os.path.join(SHOTS, old))


def run(tests, wanted, ctx, windows, label="", after_each=None, extra_check=None):
    """Runs each wanted test with `ctx`: a failure is reported with a screenshot of every open
    window (`windows(ctx)`) and the run goes on; `ctx.close()` after each. Returns (name, ok,
    detail) per test, ok None for a skipped one."""
    results = []
    for name, fn in tests:
        if wanted and name not in wanted:
            continue
        common.log(f"== {label}{name}")
        t0 = time.time()
        try:
            fn(ctx)
            if extra_check:
                extra_check(ctx)
            results.append((name, True, f"{time.time() - t0:.1f} s"))
        except Skip as e:
            results.append((name, None, f"skipped: {e}"))
            common.log(f"    SKIP {e}")
        except Exception as e:  # noqa: BLE001 — every failure is reported, the run goes on
            for w in windows(ctx):
                if getattr(w, "closed", False):
                    continue
                try:
                    w.shot("failure")
                except Exception:  # noqa: BLE001
                    pass
            detail = f"{type(e).__name__}: {e}"
            if not isinstance(e, Failure):
                detail += "\n" + traceback.format_exc(limit=4)
            results.append((name, False, detail))
            common.log("    FAIL " + detail)
        finally:
            ctx.close()
            if after_each:
                after_each()
    return results


def finish(results, work, label, shots):
    """Prints each result and the summary line `browser: …`, removes `work` when all passed
    (else keeps it and says so) and exits 1 when a test failed."""
    failed = [r for r in results if r[1] is False]
    skipped = [r for r in results if r[1] is None]
    for name, ok, detail in results:
        common.log(f"{'PASS' if ok else 'SKIP' if ok is None else 'FAIL'} {label}{name}: {detail.splitlines()[0]}")
    common.log(f"browser: {label}{len([r for r in results if r[1]])} passed, {len(failed)} failed"
               + (f", {len(skipped)} skipped" if skipped else "") + f"; screenshots in {shots}")
    if work and not failed:
        shutil.rmtree(work, ignore_errors=True)
    elif work:
        common.log(f"  server log and database kept in {work}")
    sys.exit(1 if failed else 0)
