"""Shared helpers of the CI suites: the binary, a demo database, a server process on 127.0.0.1.

Every suite starts its own `safegrid serve` on a free loopback port, from its own copy of a
demo database (built once by suites.sh with `safegrid demo --no-serve`, or here when a suite
runs alone), and stops it before exiting. Only 127.0.0.1 is ever contacted.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, ".build")
BINARY = os.environ.get("SAFEGRID_BIN", os.path.join(BUILD, "debug", "safegrid"))
PASSWORD = "safegrid-demo"
HOST = "127.0.0.1"


def log(*args):
    print(*args, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def base_env(db_path, port=None):
    env = dict(os.environ)
    for k in ("DATABASE_URL",):
        env.pop(k, None)
    env.update({
        "SAFEGRID_SQLITE": db_path,
        "SAFEGRID_HOST": HOST,
        "SAFEGRID_SMS_PROVIDER": "log",
        "SAFEGRID_WEBHOOKS": "off",
        "LOG_LEVEL": env.get("LOG_LEVEL", "warning"),
    })
    if port is not None:
        env["SAFEGRID_PORT"] = str(port)
        env["SAFEGRID_PUBLIC_URL"] = f"http://{HOST}:{port}"
    return env


def copy_db(src, dst):
    """Copies a SQLite file with its -wal/-shm companions (if any)."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)


def demo_db(workdir, template=None, timeout=600):
    """A fresh demo database in `workdir`: a copy of `template` (or of $SAFEGRID_CI_DEMO_DB),
    else built now with `safegrid demo --no-serve` (a fixed as-of day, so figures repeat)."""
    template = template or os.environ.get("SAFEGRID_CI_DEMO_DB")
    path = os.path.join(workdir, "safegrid.sqlite")
    if template and os.path.exists(template):
        copy_db(template, path)
        return path
    build_demo(path, timeout=timeout)
    return path


def build_demo(path, timeout=600):
    env = base_env(path)
    env["SAFEGRID_DEMO_SQLITE"] = path
    env["SAFEGRID_JOBS"] = "off"
    t = time.time()
    p = subprocess.run([BINARY, "demo", "--no-serve"], env=env, cwd=os.path.dirname(path),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if p.returncode != 0:
        sys.stderr.write(p.stdout.decode("utf-8", "replace")[-4000:])
        raise RuntimeError(f"safegrid demo --no-serve exited {p.returncode}")
    log(f"demo database built in {time.time() - t:.1f} s: {path}")
    return path


def run_command(args, db_path, timeout=300):
    """Runs `safegrid ARGS` on the database; returns (exit code, output)."""
    p = subprocess.run([BINARY] + args, env=base_env(db_path), cwd=os.path.dirname(db_path),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def http(method, url, body=None, headers=None, timeout=30):
    """A small HTTP client (urllib): returns (status, headers, body bytes); never raises on 4xx/5xx."""
    data = body
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


_started = []


@atexit.register
def _kill_leftovers():
    """A suite that stops on an exception still ends the servers it started (and only those)."""
    for server in _started:
        try:
            server.kill()
        except Exception:
            pass


class Server:
    """`safegrid serve` on 127.0.0.1:port over `db_path`; its output goes to a log file."""

    def __init__(self, db_path, port=None, extra_env=None, log_path=None):
        self.db_path = db_path
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.env = base_env(db_path, self.port)
        self.env.setdefault("SAFEGRID_JOBS", "off")
        self.env.update(extra_env or {})
        self.log_path = log_path or os.path.join(os.path.dirname(db_path), "server.log")
        self.proc = None
        self.starts = 0

    def start(self, timeout=120):
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BINARY, "serve", "--hostname", HOST, "--port", str(self.port)],
                                     env=self.env, cwd=os.path.dirname(self.db_path),
                                     stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        if self not in _started:
            _started.append(self)
        self.starts += 1
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode} while starting; see {self.log_path}:\n"
                                   + self.tail())
            try:
                status, _, _ = http("GET", self.base + "/readyz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready within {timeout} s; see {self.log_path}")

    def tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL, then reap."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=30)

    def stop(self, timeout=20):
        """SIGTERM (graceful: in-flight requests finish), SIGKILL after `timeout`."""
        if not self.alive():
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def memory(self):
        """(VmRSS, VmHWM) in bytes from /proc/PID/status, or (None, None) once it has gone."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            kb = lambda k: int(fields[k].strip().split()[0]) * 1024 if k in fields else None
            return kb("VmRSS"), kb("VmHWM")
        except (OSError, ValueError, AttributeError):
            return None, None

    def token(self, username="guali.admin", password=PASSWORD):
        status, _, body = http("POST", self.base + "/api/v1/auth/token",
                               {"username": username, "password": password})
        if status not in (200, 201):
            raise RuntimeError(f"sign-in as {username}: {status} {body[:300]!r}")
        return json.loads(body)["token"]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def workdir(name):
    """A fresh scratch folder for one suite (removed by the caller's choice; kept on failure)."""
    return tempfile.mkdtemp(prefix=f"safegrid-{name}-")


def require_binary():
    if not os.path.exists(BINARY):
        sys.exit(f"no binary at {BINARY}: run `swift build --product safegrid` first")


def finish(failed, work, keep_note=None):
    """End a suite: on failure keep its scratch folder (named in the log, with `keep_note` if
    given) and exit 1; on success remove it."""
    if failed:
        log(keep_note or f"  scratch folder kept: {work}")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
