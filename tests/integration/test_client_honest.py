"""test_client_honest.py -- latlab-client's reports never print convincing numbers for runs that
did not happen: no responses means no rate and no speed-up, an interrupted row says so, a
refused connection names the address and the server to start, "ideal unknown" says why, and
the outputs land where they should (a PNG path is refused, --json - moves the trace to stderr,
an interrupted `make demo` keeps the previous timeline, a doubled Ctrl-C still reports)."""
import http.server
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

from latlab import CLIENT_BIN, ROOT, SERVER_BIN, SLACK, Server, check, check_eq, client, run, run_json, test


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def json_of(p):
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise AssertionError("stdout is not JSON (rc %d): %r %r" % (p.returncode, p.stdout[:300], p.stderr[:300]))


@test
def no_server_gives_no_rate_no_speedup_and_names_the_port_to_start():
    port = free_port()
    url = "http://127.0.0.1:%d/naver" % port
    p = client("compare", "-n", 10, url)
    check_eq(p.returncode, 1, "exit code")
    rows = [l for l in p.stdout.splitlines() if l.split()[:1] in (["sequential"], ["threads"], ["processes"], ["async"])]
    check_eq(len(rows), 4, "four rows:\n" + p.stdout)
    for row in rows:
        check("0/10" in row and "\u2014" in row, "no rate and no speed-up, a dash: %r" % row)
    check("127.0.0.1:%d" % port in p.stdout, "names the address:\n" + p.stdout)
    check("latlab-server --port %d" % port in p.stdout, "suggests the server to start:\n" + p.stdout)
    doc = json_of(client("compare", "-n", 10, url, "--json", "-"))
    for r in doc["runs"]:
        check(r["rps"] is None, "%s rps null: %r" % (r["mode"], r["rps"]))
        check(r["speedup"] is None, "%s speedup null: %r" % (r["mode"], r["speedup"]))
    one = client("sequential", "-n", 3, url)
    check("latlab-server --port %d" % port in one.stdout, "the summary hints too:\n" + one.stdout)
    check("\u2014 req/s" in one.stdout, "the summary's rate is a dash:\n" + one.stdout)
    check("3 requests failed" in one.stdout, "ideal unknown says which requests failed:\n" + one.stdout)


@test
def the_wall_ends_with_the_last_result_and_counts_its_work():
    # wall: from the batch start to its last result. The CPU work after the last response is
    # the batch's (the GIL example's point); closing connections afterwards is not. A wall
    # taken from the last response's end would miss the work: >= 0.5 of it must be there.
    work_s = 0.1
    with Server() as s, tempfile.TemporaryDirectory() as tmp:
        csv_path = os.path.join(tmp, "r.csv")
        url = s.url + "/naver?latency=50ms"
        for mode in ("threads", "async"):
            rc, doc, err = run_json(mode, "-n", 4, "-c", 2, "--work", "cpu:100ms", "--csv", csv_path, url)
            check_eq(rc, 0, "%s exit code (%s)" % (mode, err))
            with open(csv_path) as f:
                ends = [int(row.split(",")[5]) for row in f.read().splitlines()[1:]]
            check_eq(len(ends), 4, "%s CSV rows" % mode)
            wall_us = doc["wall_s"] * 1e6
            check(wall_us >= max(ends) + 0.5 * work_s * 1e6,
                  "%s: wall %.0f us holds the last response's end %d and its work" % (mode, wall_us, max(ends)))


@test
def an_interrupted_row_is_marked_and_gets_no_speedup():
    with Server() as s, tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "r.json")
        cmd = [CLIENT_BIN, "compare", "-n", "20", "--trace", "--json", path, s.url + "/naver?latency=200ms"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            check(" url : " in p.stdout.readline(), "a trace line first")
            time.sleep(0.5)  # two or three of sequential's requests done
            os.killpg(p.pid, signal.SIGINT)
            out, err = p.communicate(timeout=20 * SLACK)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        check_eq(p.returncode, 1, "exit code")
        row = [l for l in out.splitlines() if l.startswith("sequential")]
        check(row and "/20 interrupted" in row[0], "the row says interrupted: %r" % out)
        check(row[0].rstrip().split()[-4] == "\u2014", "no speed-up for a partial row: %r" % row)
        with open(path) as f:
            r = json.load(f)["runs"][0]
        check(r["speedup"] is None, "JSON speedup null: %r" % r["speedup"])
        check(0 < r["rps"] < 20 / 0.2 * 1.5, "rps counts responses received: %r" % r["rps"])


class NoDelayHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


@test
def ideal_unknown_says_the_server_sent_no_delay_header():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoDelayHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = "http://127.0.0.1:%d/" % srv.server_address[1]
        p = client("threads", "-n", 4, "-c", 2, url)
        check_eq(p.returncode, 0, "exit code")
        check("the server sent no X-Latlab-Delay-Us on 4 responses" in p.stdout, p.stdout)
        c = client("compare", "-n", 4, "-c", 2, url)
        check("threads: ideal unknown: the server sent no X-Latlab-Delay-Us" in c.stdout, c.stdout)
    finally:
        srv.shutdown()
        srv.server_close()


@test
def a_png_timeline_is_a_usage_error_suggesting_svg_and_rsvg_convert():
    for name in ("x.png", "out.PNG", "t.pdf"):
        p = client("threads", "--timeline", name, "http://127.0.0.1:1/")
        check_eq(p.returncode, 2, name + " exit code")
        check(".svg" in p.stderr and "rsvg-convert" in p.stderr, "%s: %r" % (name, p.stderr))
        check(not os.path.exists(name), name + " not created")


@test
def with_json_on_stdout_the_trace_goes_to_stderr():
    with Server("--time-scale", "0.01") as s:
        for mode in ("sequential", "threads", "processes", "async"):
            p = client(mode, "-n", 4, "--trace", "--json", "-", s.url + "/naver")
            check_eq(p.returncode, 0, mode + " exit code")
            check_eq(json_of(p)["requests"], 4, mode + ": stdout is the JSON alone")
            check_eq(p.stderr.count(" url : "), 4, mode + ": four trace lines on stderr: %r" % p.stderr)


@test
def ctrl_c_delivered_twice_at_once_still_reports_in_processes_mode():
    # GNU timeout -s INT signals the client and then its process group: two SIGINTs at once,
    # the second sometimes after the first was handled (a race: tried five times)
    with Server() as s, tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "r.json")
        for attempt in range(5):
            cmd = ["timeout", "--preserve-status", "-s", "INT", "0.5", CLIENT_BIN, "processes", "-n", "40",
                   "-c", "2", "--json", path, s.url + "/naver?latency=200ms"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=30 * SLACK, start_new_session=True)
            check_eq(p.returncode, 1, "attempt %d: exit code (interrupted, not killed): %r" % (attempt, p.stderr))
            with open(path) as f:
                r = json.load(f)
            check(r["ok"] >= 2 and r["ok"] + r["errors"]["other"] == 40, "report written: %r" % r)
            os.unlink(path)
            deadline = time.monotonic() + 5 * SLACK
            left = [pid for pid in os.listdir("/proc") if pid.isdigit() and path in _cmd(pid)]
            while left and time.monotonic() < deadline:
                time.sleep(0.05)
                left = [pid for pid in left if _cmd(pid)]
            check_eq(left, [], "workers left behind")


def _cmd(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


@test
def an_interrupted_demo_keeps_the_previous_timeline():
    with tempfile.TemporaryDirectory(prefix="latlab-demo-test-") as tmp:
        build = os.path.join(tmp, "build")
        os.mkdir(build)
        os.symlink(SERVER_BIN, os.path.join(build, "latlab-server"))
        os.symlink(CLIENT_BIN, os.path.join(build, "latlab-client"))
        svg = os.path.join(build, "demo-timeline.svg")
        old = '<svg xmlns="http://www.w3.org/2000/svg"><!-- the previous demo --></svg>\n'
        with open(svg, "w") as f:
            f.write(old)
        env = dict(os.environ, LATLAB_TIME_SCALE="1.0")
        p = subprocess.Popen(["sh", os.path.join(ROOT, "scripts", "demo.sh"), build], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 15 * SLACK
            while time.monotonic() < deadline and not any(
                    os.path.join(build, "latlab-client") in _cmd(pid) for pid in os.listdir("/proc") if pid.isdigit()):
                time.sleep(0.05)
            time.sleep(0.5)
            os.killpg(p.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole group
            p.communicate(timeout=30 * SLACK)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        check(p.returncode != 0, "an interrupted demo does not succeed")
        with open(svg) as f:
            check_eq(f.read(), old, "the previous timeline")


run()
