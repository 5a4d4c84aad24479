"""test_client_load.py -- latlab-client as a load tool against a real latlab-server: -d runs a
closed loop for its duration in every mode (in-flight requests finish and count), --rate sends
request i at i/R (open model) and measures latency from the due time, so a stalled server shows
in the corrected percentiles and not in the uncorrected ones (coordinated omission)."""
import json
import time
import urllib.request

from latlab import SANITIZED, SLACK, Server, check, check_between, check_eq, client, run, test

MODES = ("sequential", "threads", "processes", "async")


def run_json(*args, timeout=120.0):
    """Runs the client with --json - and returns (exit code, parsed JSON, stderr, wall s)."""
    t0 = time.monotonic()
    p = client(*args, "--json", "-", timeout=timeout)
    wall = time.monotonic() - t0
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise AssertionError("stdout is not JSON (rc %d): %r %r" % (p.returncode, p.stdout[:300], p.stderr[:300]))
    return p.returncode, doc, p.stderr, wall


def server_requests(s):
    with urllib.request.urlopen(s.url + "/__latlab/stats", timeout=10) as r:
        return json.loads(r.read())["requests"]


@test
def duration_runs_a_closed_loop_for_its_time_in_every_mode():
    L, D, c = 0.1, 2.0, 4  # latency, duration, workers
    with Server() as s:
        for mode in MODES:
            before = server_requests(s)
            args = [mode, "-d", "2s", "%s/naver?latency=100ms" % s.url]
            if mode != "sequential":
                args[1:1] = ["-c", c]
            rc, doc, err, wall = run_json(*args)
            k = 1 if mode == "sequential" else c
            check_eq(rc, 0, "%s exit code (%s)" % (mode, err[-300:]))
            # 2 s plus the responses still in flight at the end: at most one latency more
            check_between(doc["wall_s"], D, D + L * 1.5 * SLACK + 0.3, "%s wall_s" % mode)
            check(wall >= D, "%s process ran %.2fs" % (mode, wall))
            # each worker sends one request per latency; the last ones finish and count
            check_between(doc["requests"], k * int(D / (L * 1.3 * SLACK)), k * (int(D / L) + 1),
                          "%s requests" % mode)
            check_eq(doc["ok"], doc["requests"], "%s: every request started was counted" % mode)
            check_eq(server_requests(s) - before - 1, doc["requests"], "%s: server saw them all" % mode)
            check_between(doc["duration_s"], 1.999, 2.001, "duration_s")
            check(doc["ideal_s"] is None, "no ideal time for a -d run")


@test
def rate_sends_rate_times_duration_requests_on_time():
    with Server() as s:
        for mode in ("async", "threads"):
            before = server_requests(s)
            rc, doc, err, wall = run_json(mode, "--rate", 200, "-d", "2s", "-c", 20,
                                          "%s/naver?latency=5ms" % s.url)
            check_eq(rc, 0, "exit code (%s)" % err[-300:])
            sent = server_requests(s) - before
            check_between(sent, 392, 408, "%s: requests the server saw (400 +- 2%%)" % mode)
            check_eq(doc["requests"], 400, "requests")
            check_between(doc["rate"]["achieved"], 196, 204, "%s: achieved rate" % mode)
            check_eq(doc["rate"]["asked"], 200, "asked rate")
            # the last request is due at 1.995 s: the run lasts about 2 s, not 400 x 5 ms
            check_between(doc["wall_s"], 1.99, 2.0 + 0.3 * SLACK, "%s wall_s" % mode)
            check_between(doc["rate"]["late_starts"], 0, 400, "late starts are counted")


def stall_urls(s, every, position):
    """every URLs, request i % every == position stalls 500 ms, the rest take 1 ms."""
    fast = "%s/naver?latency=1ms" % s.url
    slow = "%s/naver?latency=500ms" % s.url
    return [slow if k == position else fast for k in range(every)]


@test
def rate_shows_a_stall_that_the_uncorrected_latency_hides():
    # one connection at 100/s; request 100 and 300 of 400 stall 500 ms. The 50 requests due
    # during each stall wait behind it: from their due time they took up to 500 ms, from
    # their own start 1 ms. Only 2 of 400 (0.5%) are slow themselves.
    with Server() as s:
        rc, doc, err, _ = run_json("async", "-c", 1, "--rate", 100, "-n", 400,
                                   *stall_urls(s, 200, 100))
    check_eq(rc, 0, "exit code (%s)" % err[-300:])
    raw, fixed = doc["latency_ms"], doc["latency_from_due_ms"]
    # the bounds are fractions of the 500 ms stall, not machine speeds
    check(raw["p99"] < 100, "uncorrected p99 %.1f ms hides the stall" % raw["p99"])
    check(fixed["p99"] > 300, "corrected p99 %.1f ms shows it" % fixed["p99"])
    check(fixed["p99"] > 3 * raw["p99"], "corrected p99 far above the uncorrected one")
    check_between(raw["max"], 490, 600 * SLACK, "the stalled requests themselves")
    check(doc["rate"]["late_starts"] >= 60, "late starts %r" % doc["rate"]["late_starts"])


@test
def rate_shows_a_stall_every_50th_request():
    # every 50th request 500 ms late at 50/s on one connection: 2% of requests are slow, so
    # both p99s see the stall itself; the ~25 requests queued behind each one move the
    # corrected p75 and p90 to hundreds of ms while the uncorrected ones stay at 1 ms
    with Server() as s:
        rc, doc, err, _ = run_json("async", "-c", 1, "--rate", 50, "-n", 200, *stall_urls(s, 50, 25))
    check_eq(rc, 0, "exit code (%s)" % err[-300:])
    raw, fixed = doc["latency_ms"], doc["latency_from_due_ms"]
    check(raw["p90"] < 100 and raw["p75"] < 100, "uncorrected p75/p90 %.1f/%.1f ms" % (raw["p75"], raw["p90"]))
    check(fixed["p90"] > 200, "corrected p90 %.1f ms" % fixed["p90"])
    check(fixed["p99"] >= raw["p99"], "corrected p99 %.1f >= uncorrected %.1f" % (fixed["p99"], raw["p99"]))
    check(fixed["mean"] > 5 * raw["mean"], "corrected mean %.1f vs %.1f" % (fixed["mean"], raw["mean"]))


@test
def duration_with_csv_keeps_one_row_per_request():
    with Server() as s:
        import os
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            csv = os.path.join(d, "r.csv")
            rc, doc, err, _ = run_json("threads", "-c", 2, "-d", "500ms", "--csv", csv,
                                       "%s/naver?latency=20ms" % s.url)
            check_eq(rc, 0, "exit code (%s)" % err[-300:])
            with open(csv) as f:
                rows = f.read().splitlines()
    check_eq(len(rows) - 1, doc["requests"], "CSV rows")
    check(doc["requests"] >= 20, "requests %r" % doc["requests"])


@test
def phases_split_latency_into_queue_ttfb_and_transfer():
    # one thread, 4 requests of 50 ms: request k waits k x 50 ms in the client's queue; the
    # server's delay is time to first byte; a 20 KiB body dripped at 100 KiB/s takes ~200 ms
    with Server() as s:
        rc, doc, err, _ = run_json("threads", "-c", 1, "-n", 4, "%s/naver?latency=50ms&size=1KiB" % s.url)
        check_eq(rc, 0, "exit code (%s)" % err[-300:])
        ph = doc["phases_ms"]
        check_between(ph["ttfb"]["p50"], 50, 50 * 1.5 * SLACK + 20, "ttfb p50 = the injected delay")
        check_between(ph["queue"]["max"], 3 * 50, 3 * 50 * 1.5 * SLACK + 50, "queue of the 4th request")
        check_eq(ph["tls"]["max"], 0, "no TLS over http")
        check(ph["connect"]["max"] > 0, "the first request connected")
        rc, doc, err, _ = run_json("async", "-n", 2, "%s/naver?latency=0&size=20KiB&bandwidth=100KiB" % s.url)
        check_eq(rc, 0, "exit code (%s)" % err[-300:])
        tr = doc["phases_ms"]["transfer"]
        check_between(tr["p50"], 150, 200 * 1.5 * SLACK + 50, "transfer of a dripped body")
        for k in ("queue", "dns", "connect", "tls", "ttfb", "transfer"):
            check_eq(doc["histograms"][k]["count"], 2, "histogram of %s" % k)


@test
def memory_does_not_grow_with_the_request_count():
    # no per-request output: a 4x longer run at full speed keeps the same peak RSS (the old
    # client kept ~176 bytes a request: 100,000 requests were 17 MB more)
    with Server() as s:
        u = "%s/naver?latency=0&size=512" % s.url
        rc1, short, err1, _ = run_json("async", "-c", 50, "-d", "500ms", u)
        rc2, long_, err2, _ = run_json("async", "-c", 50, "-d", "2s", u)
    check_eq((rc1, rc2), (0, 0), "exit codes (%s %s)" % (err1[-200:], err2[-200:]))
    check(long_["requests"] > 2 * short["requests"], "requests %d vs %d" % (long_["requests"], short["requests"]))
    if SANITIZED:
        return  # ASan's quarantine holds freed memory (up to 256 MiB): RSS says nothing there
    grew = long_["maxrss_kib"] - short["maxrss_kib"]
    check(grew < 4096, "peak RSS grew %d KiB for %d more requests" % (grew, long_["requests"] - short["requests"]))


@test
def per_second_timeline_in_json_and_csv():
    import os
    import tempfile
    with Server() as s, tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "sec.csv")
        rc, doc, err, _ = run_json("async", "--rate", 100, "-d", "3s", "--per-second", path,
                                   "%s/naver?latency=20ms" % s.url)
        check_eq(rc, 0, "exit code (%s)" % err[-300:])
        with open(path) as f:
            rows = f.read().splitlines()
    check_eq(rows[0], "second,requests,errors,p50_ms,p99_ms", "CSV header")
    tl = doc["timeline"]
    check_between(len(tl), 3, 4, "seconds in the JSON timeline")
    check_eq(len(rows) - 1, len(tl), "CSV rows = JSON seconds")
    check_eq(sum(t["requests"] for t in tl), 300, "every request in some second")
    for t in tl[1:3]:
        check_between(t["requests"], 90, 110, "requests in second %d" % t["second"])
        check_between(t["p50_ms"], 20 * 0.97, 20 * 1.5 * SLACK + 10, "p50 of second %d" % t["second"])
        check_eq(t["errors"], 0, "errors")


def pty_run(*args):
    """Runs the client with stdout on a pseudo-terminal; returns (exit code, what it wrote)."""
    import os
    import pty
    import subprocess
    from latlab import CLIENT_BIN
    master, slave = pty.openpty()
    p = subprocess.Popen([CLIENT_BIN] + [str(a) for a in args], stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=60), out.decode("utf-8", "replace")


@test
def progress_line_only_on_a_terminal():
    with Server() as s:
        u = "%s/naver?latency=20ms" % s.url
        rc, out = pty_run("async", "-c", 4, "-d", "1500ms", u)
        check_eq(rc, 0, "exit code")
        updates = out.count("\r\x1b[K") - 1  # the last one erases the line
        # about 4 a second for 1.5 s; fewer only when the machine is busy
        check_between(updates, 3, 8, "progress updates")
        check("req/s" in out and "p99" in out and "ETA" in out and "/1.50s" in out,
              "the line shows elapsed/duration, req/s, p99, ETA: %r" % out[:300])
        rc, out = pty_run("async", "-n", 100, "-c", 4, u)  # 25 x 20 ms: about 0.5 s
        check("/100 " in out, "done/total for a batch: %r" % out[:300])
        rc, out = pty_run("async", "-c", 4, "-d", "600ms", "--quiet", u)
        check_eq(out, "", "nothing with --quiet")
        p = client("async", "-c", 4, "-d", "600ms", u)
        check("\r" not in p.stdout, "no progress when stdout is not a terminal")


@test
def loops_2_runs_two_event_loops_on_two_threads():
    import re
    with Server() as s:
        p = client("async", "--loops", 2, "-n", 40, "-c", 10, "--trace", "-q", "%s/naver?latency=20ms" % s.url)
    check_eq(p.returncode, 0, "exit code (%s)" % p.stderr[-300:])
    lines = [re.match(r"^(\d+) process \| (\d+) url : ", l) for l in p.stdout.splitlines()]
    check(all(lines) and len(lines) == 40, "40 trace lines")
    check_eq(len({m.group(1) for m in lines}), 1, "one process")
    check_eq(len({m.group(2) for m in lines}), 2, "two thread ids")


def nearest_rank(sorted_values, p):
    import math
    k = max(1, math.ceil(p / 100.0 * len(sorted_values) - 1e-9))
    return sorted_values[k - 1]


@test
def the_summary_draws_a_text_histogram_of_every_latency():
    # ten rows from min to max whose counts add up to the responses; even rows for a narrow
    # spread, log-spaced once max is 10x min (a 5 ms site beside a 300 ms one)
    import re
    with Server() as s:
        for sites, spacing in ((["naver?latency=50ms&jitter=10ms"], "even"),
                               (["naver?latency=5ms&jitter=0", "google?latency=300ms&jitter=0"], "log-spaced")):
            p = client("async", "-n", 40, "-c", 40, *["%s/%s" % (s.url, x) for x in sites])
            check_eq(p.returncode, 0, "exit code: %s" % p.stderr)
            lines = p.stdout.splitlines()
            head = [k for k, l in enumerate(lines) if l.strip().startswith("histogram")]
            check_eq(len(head), 1, "one histogram:\n" + p.stdout)
            check(spacing + " rows" in lines[head[0]], "%s rows: %r" % (spacing, lines[head[0]]))
            rows = lines[head[0] + 1:head[0] + 11]
            counts = []
            for row in rows:
                m = re.match(r"^\s+\S+\s+(\d+)(\s+(\u25a0+))?$", row)
                check(m is not None, "a row: from, count, bar: %r" % row)
                counts.append(int(m.group(1)))
                check_eq(len(m.group(3) or ""), -(-int(m.group(1)) * 40 // max(1, max_count(rows))), "bar of %r" % row)
            check_eq(sum(counts), 40, "rows add up to the responses")
            if spacing == "log-spaced":
                check(counts[0] == 20 and counts[-1] == 20, "5 ms in the first row, 300 ms in the last: %r" % counts)


def max_count(rows):
    import re
    return max(int(re.match(r"^\s+\S+\s+(\d+)", r).group(1)) for r in rows)


@test
def merge_of_two_runs_equals_one_run_over_both_batches():
    import os
    import tempfile
    with Server() as s, tempfile.TemporaryDirectory() as d:
        lat = []
        files = []
        import csv
        batches = (("async", ["naver?latency=5ms"]),
                   ("threads", ["google?latency=8ms", "apple?latency=2ms&status=503"]))
        for k, (mode, sites) in enumerate(batches):
            j, c = os.path.join(d, "%d.json" % k), os.path.join(d, "%d.csv" % k)
            p = client(mode, "-n", 150, "-c", 10, "--json", j, "--csv", c, "-q",
                       *["%s/%s" % (s.url, site) for site in sites])
            check(p.returncode in (0, 1), "run %d: %s" % (k, p.stderr[-300:]))
            with open(c, newline="") as f:
                rows = list(csv.reader(f))[1:]
            lat += [(int(r[5]) - int(r[4])) / 1000.0 for r in rows if int(r[6]) > 0]
            files.append(j)
        out = os.path.join(d, "merged.json")
        p = client("merge", files[0], files[1], "--json", out)
        check(p.returncode in (0, 1), "merge exit %d: %s" % (p.returncode, p.stderr[-300:]))
        with open(out) as f:
            m = json.load(f)
        docs = [json.load(open(f)) for f in files]
        bad = client("merge", files[0], os.path.join(d, "1.csv"))
    check_eq(bad.returncode, 2, "merging a CSV is a usage error")
    check("1.csv" in bad.stderr, "the message names the file: %r" % bad.stderr)
    check_eq(m["requests"], 300, "requests summed")
    check_eq(m["ok"], docs[0]["ok"] + docs[1]["ok"], "ok summed")
    for k in ("http", "other", "connect", "timeout"):
        check_eq(m["errors"][k], docs[0]["errors"][k] + docs[1]["errors"][k], "errors." + k)
    check_eq(m["latency_count"], len(lat), "latency samples")
    lat.sort()
    for key, p in (("p50", 50), ("p75", 75), ("p90", 90), ("p99", 99), ("p99.9", 99.9)):
        want = nearest_rank(lat, p)
        check_between(m["latency_ms"][key], want * 0.999 - 0.001, want * 1.001 + 0.001, key)
    check_between(m["latency_ms"]["max"], lat[-1] - 0.001, lat[-1] + 0.001, "max")
    check_between(m["latency_ms"]["min"], lat[0] - 0.001, lat[0] + 0.001, "min")
    # requests in flight side by side add up: time integrals (mean x wall) over the longest wall
    want_mean = sum(x["in_flight"]["mean"] * x["wall_s"] for x in docs) / m["wall_s"]
    check_between(m["in_flight"]["mean"], want_mean * 0.99, want_mean * 1.01 + 1e-6, "in_flight.mean")
    check(m["in_flight"]["mean"] > 0, "in_flight.mean measured: %r" % m["in_flight"])
    check_eq(m["in_flight"]["max"], docs[0]["in_flight"]["max"] + docs[1]["in_flight"]["max"], "in_flight.max")


run()
