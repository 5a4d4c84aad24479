"""latlab.py -- helpers for latlab's integration tests (Debian's /usr/bin/python3, stdlib only).

A test file registers behaviour-named functions with @test and calls run(); each prints one
TAP line ("ok N - name" / "not ok N - name" with '# ' diagnostics), which tests/run.sh counts.

    from latlab import test, run, Server, http_get, client
    @test
    def site_routes_by_host_header():
        with Server("--time-scale", "0.01") as s:
            status, headers, body = http_get(s.url + "/", headers={"Host": "naver.com"})
            check_eq(status, 200)
    run()
"""
import atexit
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

ROOT = os.environ.get("LATLAB_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("LATLAB_BUILD") or os.path.join(ROOT, "build")
SERVER_BIN = os.path.join(BUILD, "latlab-server")
CLIENT_BIN = os.path.join(BUILD, "latlab-client")
# Under ASan+UBSan everything is several times slower: widen time envelopes, never narrow them.
SANITIZED = os.environ.get("LATLAB_SANITIZED") == "1"
SLACK = 3.0 if SANITIZED else 1.0

_tests = []


def test(fn):
    """Registers a test; its name is the function's name (a behaviour)."""
    _tests.append(fn)
    return fn


class CheckFailed(AssertionError):
    pass


def check(cond, what="condition"):
    if not cond:
        raise CheckFailed(what)


def check_eq(got, want, what="value"):
    if got != want:
        raise CheckFailed("%s: got %r, want %r" % (what, got, want))


def check_between(got, lo, hi, what="value"):
    if not (lo <= got <= hi):
        raise CheckFailed("%s: got %r, want in [%r, %r]" % (what, got, lo, hi))


def run():
    """Runs every registered test in order and prints TAP; exits 1 if any failed."""
    only = os.environ.get("LATLAB_TEST_ONLY")
    selected = [t for t in _tests if not only or only in t.__name__]
    print("1..%d" % len(selected), flush=True)
    failed = 0
    for i, fn in enumerate(selected, 1):
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # a failed check or an unexpected error: both fail the test
            failed += 1
            print("not ok %d - %s" % (i, fn.__name__), flush=True)
            for line in traceback.format_exception(type(e), e, e.__traceback__)[-6:]:
                for sub in line.rstrip().splitlines():
                    print("# " + sub)
        else:
            print("ok %d - %s # %.2fs" % (i, fn.__name__, time.monotonic() - t0), flush=True)
    sys.exit(1 if failed else 0)


_config_dir = None


def config_file(text, directory=None):
    """Writes text as a sites.ini and returns its path: in directory when given (e.g. a
    Server's tmp.name), else in one temporary folder removed when the test program exits."""
    global _config_dir
    if directory is None:
        if _config_dir is None:
            _config_dir = tempfile.TemporaryDirectory(prefix="latlab-config-")
            atexit.register(_config_dir.cleanup)
        directory = _config_dir.name
    fd, path = tempfile.mkstemp(suffix=".ini", dir=directory)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def free_port():
    """A port nothing listens on (bound then released), for connect-refused tests."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """latlab-server on an ephemeral loopback port, as a child process.

    Waits for --port-file to appear (bounded), exposes .url and .port, and on exit sends
    SIGTERM and waits for a clean exit (the exit code is kept in .returncode)."""

    def __init__(self, *args, binary=None, start_timeout=10.0):
        self.args = list(args)
        self.binary = binary or SERVER_BIN
        self.start_timeout = start_timeout
        self.proc = None
        self.returncode = None
        self.tmp = tempfile.TemporaryDirectory(prefix="latlab-test-")
        self.port_file = os.path.join(self.tmp.name, "port")
        self.stdout_path = os.path.join(self.tmp.name, "stdout")
        self.stderr_path = os.path.join(self.tmp.name, "stderr")

    def start(self):
        cmd = [self.binary, "--port", "0", "--port-file", self.port_file] + self.args
        self.out = open(self.stdout_path, "w")
        self.err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err)
        deadline = time.monotonic() + self.start_timeout * SLACK
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed("server exited with %d: %s" % (self.proc.returncode, self.stderr()))
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    self.url = "http://127.0.0.1:%d" % self.port
                    return self
            time.sleep(0.01)
        self.proc.kill()
        raise CheckFailed("server did not write its port file within %.0fs" % self.start_timeout)

    def stderr(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()
        except OSError:
            return ""

    def stdout(self):
        try:
            with open(self.stdout_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout * SLACK)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise CheckFailed("server did not exit within %.0fs of signal %d" % (timeout, sig))
        if self.proc:
            self.returncode = self.proc.returncode
        for f in (getattr(self, "out", None), getattr(self, "err", None)):
            if f:
                f.close()
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
        finally:
            self.tmp.cleanup()
        return False


class CheckedServer(Server):
    """A Server whose stop must be clean: exit status 0 and no sanitizer report on stderr."""

    def __exit__(self, exc_type, exc, tb):
        try:
            rc = self.stop()
            err = self.stderr()
        finally:
            self.tmp.cleanup()
        if exc_type is None:
            check_eq(rc, 0, "server exit status (stderr: %s)" % err[-800:])
            check("Sanitizer" not in err and "runtime error" not in err,
                  "sanitizer report: " + err[-2000:])
        return False


def http_get(url, headers=None, timeout=30.0, method="GET", body=None):
    """One request on a new connection; returns (status, headers as a lower-cased dict, body)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout * SLACK)
    try:
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


def http_json(url, **kw):
    status, headers, body = http_get(url, **kw)
    return status, headers, json.loads(body.decode("utf-8"))


def client(*args, timeout=120.0, env=None):
    """Runs latlab-client with args; returns CompletedProcess (text stdout/stderr)."""
    return subprocess.run([CLIENT_BIN] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout * SLACK, env=env)


class HttpsServer(CheckedServer):
    """A CheckedServer that also serves HTTPS on an ephemeral port with a CA made at start-up:
    .https_port, .https_url ("https://127.0.0.1:PORT") and .ca (the CA's PEM file to trust)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.ca = os.path.join(self.tmp.name, "ca.pem")
        self.https_port_file = os.path.join(self.tmp.name, "https-port")
        tls = ["--https-port", "0", "--https-port-file", self.https_port_file]
        if "--tls-cert" not in self.args:
            tls += ["--tls-ca", self.ca]
        self.args = tls + self.args

    def start(self):
        super().start()  # the HTTPS port file is written before --port-file
        with open(self.https_port_file) as f:
            self.https_port = int(f.read().strip())
        self.https_url = "https://127.0.0.1:%d" % self.https_port
        return self


def curl(*args, timeout=60.0):
    """Runs the curl CLI (-sS) with args; returns CompletedProcess (text stdout/stderr)."""
    return subprocess.run(["curl", "-sS"] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout * SLACK)


def timed_get(url, **kw):
    """http_get, timed: (seconds, status, headers, body)."""
    t0 = time.monotonic()
    status, headers, body = http_get(url, **kw)
    return time.monotonic() - t0, status, headers, body


def parallel(fn, n, stagger=0.0):
    """Runs fn(i) on n threads released at once (thread i starts i*stagger s after the first);
    returns the results in order (an exception in place of a failed call) and the wall time
    from the release to the last one's end."""
    results = [None] * n
    start = threading.Barrier(n + 1)

    def worker(i):
        start.wait()
        time.sleep(i * stagger)
        try:
            results[i] = fn(i)
        except Exception as e:  # reported by the caller's checks
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    return results, time.monotonic() - t0


def run_json(*args, timeout=120.0):
    """Runs the client with --json - and returns (exit code, the parsed JSON, stderr)."""
    p = client(*args, "--json", "-", timeout=timeout)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise AssertionError("stdout is not JSON (rc %d): %r %r" % (p.returncode, p.stdout[:300], p.stderr[:300]))
    return p.returncode, doc, p.stderr
