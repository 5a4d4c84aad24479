"""test_client_sweep.py -- latlab-client sweep runs the batch at each concurrency of a list for
each mode and prints one table, --json gives {"sweep": [run, ...]} with each run's setting,
--plot draws wall time and throughput against concurrency; compare takes one -c per mode."""
import json
import os
import tempfile
import xml.etree.ElementTree as ET

from latlab import SLACK, Server, check, check_between, check_eq, client, run, test

L = 0.05  # configured latency (s)


@test
def sweep_runs_each_mode_at_each_concurrency_and_wall_follows_ceil_n_over_c():
    n = 16
    with Server() as s, tempfile.TemporaryDirectory() as tmp:
        plot = os.path.join(tmp, "sweep.svg")
        p = client("sweep", "threads,async", "-c", "1,4,16", "-n", n, "--plot", plot, "--json", "-",
                   s.url + "/naver?latency=%dms" % int(L * 1000))
        check_eq(p.returncode, 0, "exit code: %r" % p.stderr)
        doc = json.loads(p.stdout)
        runs = doc["sweep"]
        check_eq([(r["mode"], r["concurrency"]) for r in runs],
                 [("threads", 1), ("threads", 4), ("threads", 16), ("async", 1), ("async", 4), ("async", 16)],
                 "one run per mode and setting, in order")
        for r in runs:
            rounds = -(-n // r["concurrency"])
            check_between(r["wall_s"], rounds * L * 0.9, rounds * L * 2.5 * SLACK + 0.2,
                          "%s -c %d wall" % (r["mode"], r["concurrency"]))
            check_eq(r["in_flight"]["max"], r["concurrency"], "in flight at most the setting")
        check("threads" in p.stderr and "async" in p.stderr, "the table on stderr with --json -")
        root = ET.parse(plot).getroot()
        check_eq(root.tag, "{http://www.w3.org/2000/svg}svg", "the plot is SVG")
        with open(plot) as f:
            svg = f.read()
        check_eq(svg.count('class="mode"'), 4, "two lines per mode (wall and throughput)")
        check_eq(svg.count('class="ideal"'), 2, "Little's law's ideal in both charts")


@test
def sweep_default_list_and_bad_lists_are_usage_errors():
    p = client("sweep", "threads", "-c", "1,0", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "-c 1,0")
    check("-c" in p.stderr, p.stderr)
    p = client("sweep", "fast", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "unknown mode")
    check("MODE[,MODE...]" in p.stderr, p.stderr)
    p = client("threads", "-c", "1,2", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "a list outside sweep")
    check("sweep" in p.stderr, p.stderr)
    p = client("threads", "--plot", "x.svg", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "--plot outside sweep")
    p = client("sweep", "processes", "-c", "1,300", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "processes limit checked for every value")
    check("256" in p.stderr, p.stderr)


@test
def compare_takes_one_concurrency_per_mode():
    with Server("--time-scale", "0.05") as s:
        p = client("compare", "-c", "threads=10,processes=4,async=100", "-n", 100, "--json", "-", s.url + "/naver")
        check_eq(p.returncode, 0, "exit code: %r" % p.stderr)
        got = {r["mode"]: r["concurrency"] for r in json.loads(p.stdout)["runs"]}
        check_eq(got, {"sequential": 1, "threads": 10, "processes": 4, "async": 100}, "each mode its own -c")
        p = client("compare", "-c", "threads=4", "-n", 10, "--json", "-", s.url + "/naver")
        got = {r["mode"]: r["concurrency"] for r in json.loads(p.stdout)["runs"]}
        check_eq(got, {"sequential": 1, "threads": 4, "processes": 8, "async": 10}, "unnamed modes keep their default")
    p = client("compare", "-c", "threads=10,8", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "mixed forms")
    p = client("compare", "-c", "fibers=3", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "unknown mode")
    check("fibers" in p.stderr, p.stderr)


run()
