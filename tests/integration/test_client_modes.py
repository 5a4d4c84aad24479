"""test_client_modes.py -- latlab-client's four modes against a real latlab-server: each takes
the time its concurrency model predicts (envelopes derived from the configured latency), and
--trace shows who ran each request (one pid/tid, many tids, many pids)."""
import math
import re

from latlab import SLACK, Server, check, check_between, check_eq, client, run, run_json, test

L = 0.1  # configured latency (s) of every request in these tests
TRACE = re.compile(r"^(\d+) process \| (\d+) url : (\S+)$")


def url(s, extra=""):
    return "%s/naver?latency=%dms%s" % (s.url, int(L * 1000), extra)


@test
def sequential_takes_at_least_the_sum_of_the_delays():
    n = 8
    with Server() as s:
        rc, doc, _ = run_json("sequential", "-n", n, url(s))
    check_eq(rc, 0, "exit code")
    check_eq(doc["ok"], n, "ok")
    check_eq(doc["concurrency"], 1, "concurrency")
    check_between(doc["wall_s"], 0.9 * n * L, n * L * 2 * SLACK + 1.0, "sequential wall")
    check_between(doc["ideal_s"], n * L * 0.999, n * L * 1.001, "ideal = sum of delays")
    check(0 < doc["efficiency"] <= 1.05, "efficiency %r" % doc["efficiency"])


@test
def threads_take_about_ceil_n_over_c_latencies():
    n, c = 12, 4
    rounds = math.ceil(n / c)
    with Server() as s:
        rc, doc, _ = run_json("threads", "-n", n, "-c", c, url(s))
    check_eq(rc, 0, "exit code")
    check_eq(doc["ok"], n, "ok")
    check_eq(doc["concurrency"], c, "concurrency")
    check_between(doc["wall_s"], 0.9 * rounds * L, rounds * L * 2 * SLACK + 0.5, "threads wall")
    check_between(doc["ideal_s"], rounds * L * 0.999, rounds * L * 1.001, "ideal makespan")


@test
def processes_take_about_ceil_n_over_c_latencies():
    n, c = 12, 4
    rounds = math.ceil(n / c)
    with Server() as s:
        rc, doc, _ = run_json("processes", "-n", n, "-c", c, url(s))
    check_eq(rc, 0, "exit code")
    check_eq(doc["ok"], n, "ok")
    check_eq(doc["concurrency"], c, "concurrency")
    check_between(doc["wall_s"], 0.9 * rounds * L, rounds * L * 2 * SLACK + 0.5, "processes wall")


@test
def async_with_all_in_flight_finishes_within_three_latencies():
    n = 60
    with Server() as s:
        rc, doc, _ = run_json("async", "-n", n, url(s))
    check_eq(rc, 0, "exit code")
    check_eq(doc["ok"], n, "ok")
    check_eq(doc["concurrency"], n, "all in flight")
    check_between(doc["wall_s"], 0.9 * L, 3 * L * SLACK, "async wall")


@test
def async_keeps_at_most_c_in_flight():
    n, c = 12, 3
    rounds = math.ceil(n / c)
    with Server() as s:
        rc, doc, _ = run_json("async", "-n", n, "-c", c, url(s))
    check_eq(rc, 0, "exit code")
    check_eq(doc["concurrency"], c, "concurrency")
    check_between(doc["wall_s"], 0.9 * rounds * L, rounds * L * 2 * SLACK + 0.5, "async -c wall")


@test
def compare_runs_every_mode_on_the_same_batch():
    n, c = 8, 4
    with Server() as s:
        rc, doc, _ = run_json("compare", "-n", n, "-c", c, url(s))
        text = client("compare", "-n", n, "-c", c, url(s))
    check_eq(rc, 0, "exit code")
    modes = [r["mode"] for r in doc["runs"]]
    check_eq(modes, ["sequential", "threads", "processes", "async"], "modes in order")
    seq = doc["runs"][0]
    check_between(seq["wall_s"], 0.9 * n * L, n * L * 2 * SLACK + 1.0, "sequential wall")
    for r in doc["runs"][1:]:
        check_eq(r["ok"], n, r["mode"] + " ok")
        check_between(r["wall_s"], 0.9 * (n / c) * L, (n / c) * L * 2 * SLACK + 0.5, r["mode"] + " wall")
        check(r["speedup"] > 1.5, "%s speed-up %r" % (r["mode"], r["speedup"]))
        for key in ("cpu_user_s", "cpu_sys_s", "ctx_voluntary", "ctx_involuntary", "maxrss_kib"):
            check(key in r, "%s has %s" % (r["mode"], key))
        check(r["maxrss_kib"] > 0, r["mode"] + " peak RSS")
    check_eq(text.returncode, 0, "exit code of the table")
    header = text.stdout.splitlines()[0].split()
    for col in ("mode", "wall", "req/s", "p50", "p99", "ideal", "effic", "speed-up", "cpu", "ctx-sw", "peak-RSS"):
        check(col in header, "table column %s in %r" % (col, header))
    for m in ("sequential", "threads", "processes", "async"):
        check(re.search(r"^%s\s" % m, text.stdout, re.M), "table row " + m)


def traces(*args):
    p = client(*args, "--trace", "--quiet")
    lines = p.stdout.splitlines()
    parsed = [TRACE.match(line) for line in lines]
    check(all(parsed), "every stdout line is a trace line: %r" % lines[:5])
    return p, [(int(m.group(1)), int(m.group(2)), m.group(3)) for m in parsed]


@test
def trace_shows_one_pid_and_one_tid_in_sequential_and_async():
    n = 6
    with Server() as s:
        for mode in ("sequential", "async"):
            p, rows = traces(mode, "-n", n, url(s))
            check_eq(p.returncode, 0, mode + " exit code")
            check_eq(len(rows), n, mode + " trace lines")
            check_eq(len({r[0] for r in rows}), 1, mode + " pids")
            check_eq(len({r[1] for r in rows}), 1, mode + " tids")
            check_eq(rows[0][0], rows[0][1], mode + " runs on the main thread")
            check_eq(rows[0][2], url(s), mode + " URL")


@test
def trace_shows_many_tids_in_threads_and_many_pids_in_processes():
    # each request lasts 250 ms, far longer than starting a thread or forking a worker, so
    # every worker takes one of the first c requests
    n, c = 8, 4
    with Server() as s:
        slow = s.url + "/naver?latency=250ms"
        p, rows = traces("threads", "-n", n, "-c", c, slow)
        check_eq(len(rows), n, "threads trace lines")
        check_eq(len({r[0] for r in rows}), 1, "threads: one pid")
        check_eq(len({r[1] for r in rows}), c, "threads: one tid per thread")
        check(all(r[1] != r[0] for r in rows), "threads: not the main thread")
        p, rows = traces("processes", "-n", n, "-c", c, slow)
        check_eq(len(rows), n, "processes trace lines")
        check_eq(len({r[0] for r in rows}), c, "processes: one pid per worker")
        check(all(r[0] == r[1] for r in rows), "processes: each worker is single-threaded")


@test
def same_seed_gives_the_same_delays_in_every_mode():
    # the built-in sites have random (lognormal) latency: only X-Latlab-Seq makes them agree
    import csv
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "runs.csv")
        with Server("--seed", "7", "--time-scale", "0.1") as s:
            p = client("compare", "-n", 12, "-c", 4, "--csv", path, "--quiet",
                       s.url + "/naver", s.url + "/google")
            check_eq(p.returncode, 0, "exit code: " + p.stderr)
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        with Server("--seed", "7", "--time-scale", "0.1") as s:
            p = client("async", "-n", 12, "--csv", path, "--quiet", s.url + "/naver", s.url + "/google")
        with open(path, newline="") as f:
            again = {r["index"]: r["delay_us"] for r in csv.DictReader(f)}
    by_mode = {}
    for r in rows:
        by_mode.setdefault(r["mode"], {})[r["index"]] = r["delay_us"]
    check_eq(sorted(by_mode), ["async", "processes", "sequential", "threads"], "modes")
    base = by_mode["sequential"]
    check_eq(len(base), 12, "requests")
    check(all(v.isdigit() for v in base.values()), "every delay known")
    check(len(set(base.values())) > 3, "delays vary: %r" % sorted(set(base.values())))
    for mode, delays in by_mode.items():
        check_eq(delays, base, mode + " delays")
    check_eq(again, base, "delays from a restarted server with the same seed")


run()
