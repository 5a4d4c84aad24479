"""test_client_requests.py -- what every request carries (-H, -m, --data, --data-file,
--no-keepalive, --http1.0), checked on the receiving side: a small recording HTTP server here
(method, version, headers, body, client port) and latlab-server's --access-log; --max-errors
as a CI gate; the run manifest in the JSON; hostile option values refused with exit 2."""
import http.server
import json
import os
import tempfile
import threading

from latlab import Server, check, check_eq, client, run, test

MODES = ("sequential", "threads", "processes", "async")


class Recorder:
    """A threaded HTTP/1.1 server on an ephemeral loopback port recording each request as
    (method, version, client port, headers dict, body bytes); answers 200 "ok"."""

    def __init__(self):
        self.seen = []
        lock = threading.Lock()
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with lock:
                    seen.append((self.command, self.request_version, self.client_address[1],
                                 dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(b"ok")

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d/r" % self.httpd.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        return False


@test
def headers_method_and_body_reach_the_server_in_every_mode():
    for mode in MODES:
        with Recorder() as r:
            p = client(mode, "-n", "4", "-c", "2", "-q", "-H", "X-Team: blue", "-H",
                       "Content-Type: application/json", "-m", "PUT", "--data", '{"a": 1}',
                       r.url)
            check_eq(p.returncode, 0, mode + " exit (stderr %r)" % p.stderr)
            check_eq(len(r.seen), 4, mode + " requests received")
            for method, version, _, headers, body in r.seen:
                check_eq(method, "PUT", mode + " method")
                check_eq(version, "HTTP/1.1", mode + " version")
                check_eq(headers.get("X-Team"), "blue", mode + " -H header")
                check_eq(headers.get("Content-Type"), "application/json", mode + " -H replaces")
                check("Expect" not in headers, mode + " no Expect: 100-continue")
                check_eq(body, b'{"a": 1}', mode + " body")
            seqs = sorted(int(h["X-Latlab-Seq"]) for _, _, _, h, _ in r.seen)
            check_eq(seqs, [0, 1, 2, 3], mode + " X-Latlab-Seq still per request")


@test
def data_file_is_posted_by_default_and_head_sends_no_body():
    with tempfile.TemporaryDirectory() as d, Recorder() as r:
        path = os.path.join(d, "body.bin")
        payload = bytes(range(256)) * 40  # binary, with NULs: 10 KiB
        with open(path, "wb") as f:
            f.write(payload)
        p = client("async", "-n", "3", "-q", "--data-file", path, r.url)
        check_eq(p.returncode, 0, "exit (stderr %r)" % p.stderr)
        check_eq([m for m, *_ in r.seen], ["POST"] * 3, "POST without -m")
        check(all(b == payload for *_, b in r.seen), "the file's bytes, NULs included")
        del r.seen[:]
        p = client("sequential", "-n", "2", "-q", "-m", "HEAD", r.url)
        check_eq(p.returncode, 0, "HEAD exit (stderr %r)" % p.stderr)
        check_eq([m for m, *_ in r.seen], ["HEAD", "HEAD"], "HEAD requests")
        del r.seen[:]
        p = client("sequential", "-n", "1", "-q", "-m", "GET", "--data", "q=1", r.url)
        check_eq(p.returncode, 0, "GET with a body exit")
        check_eq(r.seen[0][0], "GET", "GET with a body keeps GET")
        check_eq(r.seen[0][4], b"q=1", "GET with a body sends it, as curl -X GET -d does")


@test
def no_keepalive_opens_a_new_connection_per_request():
    for mode in MODES:
        with Recorder() as r:
            p = client(mode, "-n", "12", "-c", "2", "-q", r.url)
            check_eq(p.returncode, 0, mode + " keep-alive exit")
            reused = len({port for _, _, port, _, _ in r.seen})
            check(reused <= 2, "%s with keep-alive: %d connections for 12 requests" % (mode, reused))
        with Recorder() as r:
            p = client(mode, "-n", "12", "-c", "2", "-q", "--no-keepalive", r.url)
            check_eq(p.returncode, 0, mode + " --no-keepalive exit (stderr %r)" % p.stderr)
            ports = {port for _, _, port, _, _ in r.seen}
            check_eq(len(ports), 12, mode + " connections for 12 requests under --no-keepalive")
            check(all(h.get("Connection") == "close" for _, _, _, h, _ in r.seen),
                  mode + " sends Connection: close")


@test
def http10_sends_http_1_0_requests():
    with Recorder() as r:
        p = client("threads", "-n", "4", "-c", "2", "-q", "--http1.0", r.url)
        check_eq(p.returncode, 0, "exit (stderr %r)" % p.stderr)
        check_eq([v for _, v, _, _, _ in r.seen], ["HTTP/1.0"] * 4, "request versions")


@test
def method_headers_and_body_show_in_latlab_servers_journal_and_access_log():
    import hashlib
    import urllib.request
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "access.log")
        with Server("--time-scale", "0.01", "--access-log", log) as s:
            p = client("async", "-n", "5", "-c", "5", "-q", "-m", "PATCH", "--data", "a=1&b=2",
                       "-H", "X-Team: blue", s.url + "/naver")
            check_eq(p.returncode, 0, "PATCH with a body (stderr %r)" % p.stderr)
            p = client("threads", "-n", "3", "-c", "3", "-q", "-H", "Host: naver.com", s.url + "/")
            check_eq(p.returncode, 0, "GET with Host: naver.com (stderr %r)" % p.stderr)
            with urllib.request.urlopen(s.url + "/__latlab/requests?limit=100", timeout=10) as r:
                journal = json.loads(r.read())["requests"]
        with open(log) as f:
            lines = [l.split() for l in f if l.strip() and "/__latlab/" not in l]
        # timestamp addr METHOD url status bytes site seq delay
        check_eq(sorted(l[2] for l in lines), ["GET"] * 3 + ["PATCH"] * 5, "methods in the log")
        check_eq([l[6] for l in lines if l[2] == "GET"], ["naver"] * 3, "-H Host: naver.com picks the site")
        patches = [q for q in journal if q["method"] == "PATCH"]
        check_eq(len(patches), 5, "PATCH requests in the journal")
        digest = hashlib.sha256(b"a=1&b=2").hexdigest()
        for q in patches:
            check_eq(q["headers"].get("X-Team"), "blue", "-H header in the journal")
            check_eq((q["body"]["bytes"], q["body"]["sha256"]), (7, digest), "the body received")


@test
def max_errors_gates_the_exit_status():
    with Server("--time-scale", "0.01") as s:
        urls = [s.url + "/naver?latency=1ms", s.url + "/naver?status=503&latency=1ms"]
        for extra, want in (((), 1), (("--max-errors", "0"), 1), (("--max-errors", "4"), 1),
                            (("--max-errors", "5"), 0), (("--max-errors", "100"), 0)):
            p = client("async", "-n", "10", "-q", *extra, *urls)
            check_eq(p.returncode, want, "exit with %r and 5 of 10 failed" % (extra,))
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "run.json")
            p = client("async", "-n", "10", "-q", "--max-errors", "5", "--json", out, *urls)
            check_eq(p.returncode, 0, "run within its gate")
            check_eq(client("merge", "-q", out, out).returncode, 1, "merge: 10 of 20 failed")
            check_eq(client("merge", "-q", "--max-errors", "10", out, out).returncode, 0,
                     "merge --max-errors 10: 10 failed")
            check_eq(client("merge", "-q", "--max-errors", "9", out, out).returncode, 1,
                     "merge --max-errors 9: 10 failed")
            check_eq(client("merge", "--max-errors", "x", out).returncode, 2, "merge usage")
        p = client("compare", "-n", "4", "-q", "--max-errors", "2", *urls)
        check_eq(p.returncode, 0, "compare: every mode within 2 failed (stderr %r)" % p.stderr)
        p = client("compare", "-n", "4", "-q", "--max-errors", "1", *urls)
        check_eq(p.returncode, 1, "compare: some mode above 1 failed")


@test
def json_carries_a_run_manifest():
    with Server("--time-scale", "0.01") as s, tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "run.json")
        p = client("-n", "3", "async", "-H", "Authorization: Bearer s3cret", "--json", out,
                   "-q", s.url + "/naver")
        check_eq(p.returncode, 0, "exit (stderr %r)" % p.stderr)
        with open(out) as f:
            text = f.read()
        m = json.loads(text)["manifest"]
        check_eq(m["mode"], "async", "mode")
        check_eq(m["options"], ["-n", "3", "async", "-H", "Authorization: ***", "--json", out,
                                "-q", s.url + "/naver"], "options as given, secret masked")
        check("s3cret" not in text, "the Authorization value is nowhere in the JSON")
        check(m["version"] and m["host"] and m["libcurl"], "version, host, libcurl")
        check(m["start_time"].endswith("Z") and m["start_time"][10] == "T", "ISO 8601 UTC")
        check(isinstance(m["clock_resolution_ns"], int) and m["clock_resolution_ns"] > 0,
              "clock resolution")
        check("seed" in m, "seed key")
        p = client("compare", "-n", "2", "--json", out, "-q", s.url + "/naver")
        with open(out) as f:
            doc = json.load(f)
        check_eq(doc["manifest"]["mode"], "compare", "compare's manifest beside runs")
        merged = os.path.join(d, "merged.json")
        p = client("merge", "-q", out, "--json", merged)
        with open(merged) as f:
            check_eq(json.load(f)["manifest"]["options"], ["-q", out, "--json", merged],
                     "merge's manifest")


@test
def hostile_request_options_are_usage_errors():
    with tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "big")
        with open(big, "wb") as f:
            f.write(b"x" * ((1 << 20) + 1))
        rows = [
            (("-H", "NoColon"), "-H"),
            (("-H", "Bad Name: x"), "-H"),
            (("-H", ": x"), "-H"),
            (("-H", "X-A: a\r\nX-B: b"), "-H"),
            (("-H", "X-A: a\nb"), "-H"),
            (("-H", "X-Latlab-Seq: 7"), "-H"),
            (("-H", "Content-Length: 3"), "-H"),
            (("-H", "X-Long: " + "v" * 5000), "-H"),
            (tuple(a for k in range(65) for a in ("-H", "X-%d: v" % k)), "-H"),
            (("-m", "GE T"), "-m"),
            (("-m", ""), "-m"),
            (("-m", "M" * 33), "-m"),
            (("-m", "HEAD", "--data", "x"), "-m HEAD"),
            (("--data", "a", "--data", "b"), "--data"),
            (("--data-file", os.path.join(d, "missing")), "--data-file"),
            (("--data-file", big), "--data-file"),
            (("--data-file", d), "--data-file"),
            (("--max-errors", "-1"), "--max-errors"),
            (("--max-errors", "x"), "--max-errors"),
        ]
        for args, flag in rows:
            p = client("async", "-n", "1", *args, "http://127.0.0.1:1/")
            check_eq(p.returncode, 2, "exit for %r" % (args[:4],))
            line = p.stderr.strip()
            check(flag in line and "\n" not in line, "one line naming %s: %r" % (flag, line))


run()
