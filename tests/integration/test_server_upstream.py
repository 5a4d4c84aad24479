"""test_server_upstream.py -- latlab-server as the upstream double of an integration test: clients
that give up, the access log of faults and delays, scripted failures, fault shapes."""
import os
import socket
import subprocess
import threading
import time

from latlab import (SLACK, CheckedServer, check, check_between, check_eq, http_get, http_json, run,
                    test)

FAST = ("--time-scale", "0.001")


def stats(s):
    return http_json(s.url + "/__latlab/stats")[2]


@test
def a_client_that_gives_up_is_no_longer_in_flight_and_a_stop_returns_at_once():
    s = CheckedServer("--grace", "10s").start()
    try:
        # curl gives up after 0.3 s on a 20 s delay
        rc = subprocess.run(["curl", "-s", "-m", "0.3", s.url + "/naver?latency=20s"],
                            capture_output=True).returncode
        check_eq(rc, 28, "curl's timeout")
        deadline = time.monotonic() + 2 * SLACK  # the socket check runs every 100 ms
        while time.monotonic() < deadline:
            doc = stats(s)
            if doc["in_flight"] == 1 and doc["suspended"] == 0:  # only the stats request
                break
            time.sleep(0.05)
        check_eq((doc["in_flight"], doc["suspended"]), (1, 0), "in flight after the client left")
        t0 = time.monotonic()
        rc = s.stop()
        took = time.monotonic() - t0
        check_eq(rc, 0)
        check(took < 2.0 * SLACK, "stop took %.2fs with --grace 10s and nobody waiting" % took)
    finally:
        s.stop()
        s.tmp.cleanup()


@test
def status_1xx_is_rejected():
    with CheckedServer(*FAST) as s:
        for code in ("100", "101", "199"):
            status, _, doc = http_json(s.url + "/naver?status=" + code)
            check_eq((status, doc["param"]), (400, "status"), code)


def read_log(s, path, want):
    deadline = time.monotonic() + 5 * SLACK
    while time.monotonic() < deadline:
        with open(path) as f:
            lines = f.read().splitlines()
        if len(lines) >= want:
            return lines
        time.sleep(0.02)
    return lines


@test
def access_log_shows_faults_bodiless_replies_and_arrival_times():
    s = CheckedServer("--access-log", "PLACEHOLDER")
    log = os.path.join(s.tmp.name, "access.log")
    s.args[1] = log
    with s:
        slow = threading.Thread(target=http_get, args=(s.url + "/naver?latency=400ms&seq=1",))
        slow.start()
        time.sleep(0.1)
        http_get(s.url + "/naver?latency=0&seq=2")          # arrives later, answered first
        slow.join()
        http_get(s.url + "/naver?latency=0&seq=3", method="HEAD")
        http_get(s.url + "/naver?latency=0&seq=4&status=204")
        http_get(s.url + "/naver?latency=0&seq=5&status=304")
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(b"GET /naver?latency=0&seq=6&fault=reset HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            c.recv(100)
        except OSError:
            pass
        c.close()
        lines = read_log(s, log, 6)
    rows = [l.split() for l in lines]
    # time addr method path status bytes site seq delay_us
    by_seq = {r[7]: r for r in rows}
    check_eq(by_seq["1"][4:6], ["200", str(160 * 1024)], "the delayed request")
    check(by_seq["1"][0] < by_seq["2"][0], "stamped at arrival: %r" % lines[:2])
    check_eq(rows[0][7], "2", "written when answered: the fast one first")
    check_eq(by_seq["3"][2:6], ["HEAD", "/naver", "200", "0"], "HEAD sends no body")
    check_eq(by_seq["4"][4:6], ["204", "0"])
    check_eq(by_seq["5"][4:6], ["304", "0"])
    check_eq(by_seq["6"][4:6], ["fault=reset", "0"])


@test
def a_stop_that_cuts_a_delay_short_logs_cut_at_stop():
    from latlab import Server
    s = Server("--access-log", "PLACEHOLDER", "--grace", "200ms")
    log = os.path.join(s.tmp.name, "access.log")
    s.args[1] = log
    s.start()
    try:
        t = threading.Thread(target=lambda: subprocess.run(
            ["curl", "-s", "-m", "5", s.url + "/naver?latency=10s"], capture_output=True))
        t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        s.stop()
        took = time.monotonic() - t0
        t.join()
        with open(log) as f:
            lines = f.read().splitlines()
    finally:
        s.tmp.cleanup()
    check(took < 2.0 * SLACK, "stop took %.2fs with --grace 200ms" % took)
    check_eq([l.split()[4] for l in lines], ["cut_at_stop"], repr(lines))


# what each fault does to real clients, as README documents it: (query, curl exit code,
# requests exception or "short body", aiohttp exception)
FAULTS = [
    ("fault=reset", 56, "ConnectionError", "ClientOSError"),
    ("fault=reset_body", 56, "ChunkedEncodingError", "ClientPayloadError"),
    ("fault=empty", 52, "ConnectionError", "ServerDisconnectedError"),
    ("fault=timeout", 28, "ReadTimeout", "TimeoutError"),
    ("fault=garbage", 1, "ConnectionError", "ClientResponseError"),
    ("fault=truncate", 18, "short body", "ClientPayloadError"),
    ("fault=close", 18, "short body", "ClientPayloadError"),
    ("stall_after=1KiB", 28, "ConnectionError", "TimeoutError"),
]

AIO_SCRIPT = r"""
import asyncio, sys, aiohttp
async def main(url):
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0)) as s:
            async with s.get(url) as r:
                await r.read()
                print("ok", r.status)
    except Exception as e:
        print(type(e).__name__)
asyncio.run(main(sys.argv[1]))
"""

REQ_SCRIPT = r"""
import sys, requests
try:
    r = requests.get(sys.argv[1], timeout=1.0)
    n = int(r.headers["Content-Length"])
    print("short body" if len(r.content) < n else "ok %d" % r.status_code)
except Exception as e:
    print(type(e).__name__)
"""


@test
def each_fault_gives_the_documented_client_error():
    py = "/usr/bin/python3"
    with CheckedServer("--max-delay", "3s") as s:
        for query, curl_rc, req_err, aio_err in FAULTS:
            url = s.url + "/google?latency=0&" + query
            rc = subprocess.run(["curl", "-s", "-o", os.devnull, "-m", "1", url]).returncode
            check_eq(rc, curl_rc, "curl on " + query)
            out = subprocess.run([py, "-c", REQ_SCRIPT, url], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
            check_eq(out, req_err, "requests on " + query)
            out = subprocess.run([py, "-c", AIO_SCRIPT, url], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
            check_eq(out, aio_err, "aiohttp on " + query)
        # carried out: not the stalls (a shape), nor the timeouts, whose clients left first
        check_eq(stats(s)["faults"], 3 * (len(FAULTS) - 2), "faults carried out")


def outcomes(url, ks, scenario=None, threads=1):
    """{k: status or exception name} for requests k in ks, from threads at once."""
    got = {}
    def one(k):
        h = {"X-Latlab-Seq": str(k)}
        try:
            got[k] = http_get(url, headers=h, timeout=5)[0]
        except Exception as e:
            got[k] = type(e).__name__
    for i in range(0, len(ks), threads):
        ts = [threading.Thread(target=one, args=(k,)) for k in ks[i:i + threads]]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return got


@test
def weighted_statuses_and_faults_fail_the_same_requests_every_run_and_order():
    path = "/apple?latency=0&status=200:0.8,503:0.2&fault=reset:0.1,empty:0.1"
    ks = list(range(60))
    runs = []
    for order, threads in ((ks, 1), (ks[::-1], 8)):
        with CheckedServer("--seed", "7") as s:
            runs.append(outcomes(s.url + path, order, threads=threads))
    check_eq(runs[0], runs[1], "same outcomes forwards/sequential and backwards/8 threads")
    kinds = list(runs[0].values())
    for want in (200, 503):
        check(want in kinds, "%r among %r" % (want, kinds))
    failed = sum(1 for v in kinds if not isinstance(v, int))
    check_between(failed, 4, 24, "faults at 20%% of 60")
    with CheckedServer("--seed", "8") as s:
        other = outcomes(s.url + path, ks)
    check(other != runs[0], "another seed fails other requests")


def scenario_statuses(url, scenario, n):
    return [http_get(url, headers={"X-Latlab-Scenario": scenario})[0] for _ in range(n)]


@test
def fail_first_and_sequence_count_per_scenario_under_parallel_clients():
    with CheckedServer(*FAST) as s:
        results = {}
        def worker(name, query):
            results[name] = scenario_statuses(s.url + "/naver?" + query, name, 5)
        jobs = [("ff-%d" % i, "fail_first=2&fail_status=502") for i in range(4)]
        jobs += [("seq-%d" % i, "sequence=503,429,200") for i in range(4)]
        ts = [threading.Thread(target=worker, args=j) for j in jobs]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for name, _ in jobs:
            want = [502, 502, 200, 200, 200] if name.startswith("ff") else [503, 429, 200, 200, 200]
            check_eq(results[name], want, name)
        # without the header the site is the scenario
        got = [http_get(s.url + "/google?fail_first=1")[0] for _ in range(3)]
        check_eq(got, [503, 200, 200], "the site as the scenario")
        status, _, doc = http_json(s.url + "/naver", headers={"X-Latlab-Scenario": "bad name"})
        check_eq((status, doc["param"]), (400, "X-Latlab-Scenario"))


@test
def ttfb_sends_headers_late_and_the_body_on_time():
    with CheckedServer() as s:
        out = subprocess.run(["curl", "-s", "-o", os.devnull, "-w",
                              "%{time_starttransfer} %{time_total} %{http_code}",
                              s.url + "/google?latency=600ms&ttfb=150ms"],
                             capture_output=True, text=True).stdout.split()
        first, total = float(out[0]), float(out[1])
        check_eq(out[2], "200")
        check_between(first, 0.15, 0.15 + 0.2 * SLACK, "first byte")
        check_between(total, 0.6, 0.6 + 0.25 * SLACK, "last byte")


@test
def sites_ini_scripts_failures_bandwidth_and_faults():
    from latlab import config_file
    ini = config_file("[flaky]\nlatency = 0\nsize = 4KiB\nfail_first = 2\nfault = reset\n"
                      "[slow]\nlatency = 0\nsize = 20KiB\nbandwidth = 40KiB\n"
                      "[weighted]\nlatency = 0\nstatus = 200:0.5,500:0.5\n")
    with CheckedServer("--config", ini) as s:
        got = outcomes(s.url + "/flaky", [0, 1, 2])
        check_eq(got, {0: "ConnectionResetError", 1: "ConnectionResetError", 2: 200}, "flaky")
        t0 = time.monotonic()
        status, _, body = http_get(s.url + "/slow")
        took = time.monotonic() - t0
        check_eq((status, len(body)), (200, 20 * 1024))
        check_between(took, 0.45, 0.5 + 0.3 * SLACK, "20 KiB at 40 KiB/s")
        got = set(outcomes(s.url + "/weighted", list(range(20))).values())
        check_eq(got, {200, 500}, "weighted statuses from sites.ini")


METHODS_SCRIPT = r"""
import asyncio, hashlib, json, sys, requests, aiohttp
url = sys.argv[1]
body = b"x" * 100000
out = {}
for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
    r = requests.request(m, url, data=body)
    out["requests " + m] = [r.status_code, r.headers.get("X-Latlab-Delay-Us"),
                            r.headers.get("X-Latlab-Body-Bytes"), r.headers.get("X-Latlab-Body-Sha256")]
async def aio():
    async with aiohttp.ClientSession() as s:
        for m in ("POST", "PUT", "DELETE"):
            async with s.request(m, url, data=body) as r:
                await r.read()
                out["aiohttp " + m] = [r.status, r.headers.get("X-Latlab-Delay-Us"),
                                       r.headers.get("X-Latlab-Body-Bytes"),
                                       r.headers.get("X-Latlab-Body-Sha256")]
asyncio.run(aio())
print(json.dumps(out))
"""


@test
def every_method_gets_the_delay_status_and_faults_and_its_body_is_hashed():
    import hashlib
    import json
    sha = hashlib.sha256(b"x" * 100000).hexdigest()
    with CheckedServer() as s:
        out = subprocess.run(["/usr/bin/python3", "-c", METHODS_SCRIPT,
                              s.url + "/google?latency=30ms&status=201"],
                             capture_output=True, text=True, timeout=60)
        got = json.loads(out.stdout)
        check_eq(len(got), 9, out.stderr)
        for who, (status, delay, nbytes, digest) in got.items():
            check_eq((status, delay, nbytes, digest), (201, "30000", "100000", sha), who)
        rc = subprocess.run(["curl", "-s", "-o", os.devnull, "-X", "POST", "--data", "a=1",
                             s.url + "/google?latency=0&fault=reset"]).returncode
        check_eq(rc, 56, "a POST gets the fault too")


@test
def a_body_beyond_max_body_gets_413():
    with CheckedServer("--max-body", "1KiB") as s:
        status, _, doc = http_json(s.url + "/google", method="POST", body=b"y" * 1025)
        check_eq(status, 413)
        check("--max-body" in doc["accepted"], doc)
        status, _, _ = http_get(s.url + "/google?latency=0", method="POST", body=b"y" * 1024)
        check_eq(status, 200)


@test
def unknown_query_parameters_are_ignored_and_listed_unless_strict():
    with CheckedServer(*FAST) as s:
        status, headers, _ = http_get(s.url + "/naver?q=shoes&page=2&latency=0&x%0d%0ay=1")
        check_eq(status, 200)
        check_eq(headers.get("x-latlab-ignored"), "q,page,x??y")
        status, headers, _ = http_get(s.url + "/naver?latency=0")
        check("x-latlab-ignored" not in headers, "nothing ignored, no header")
    with CheckedServer("--strict-query", *FAST) as s:
        status, _, doc = http_json(s.url + "/naver?q=shoes")
        check_eq((status, doc["param"]), (400, "q"))


@test
def a_method_the_site_excludes_gets_405_with_allow():
    from latlab import config_file
    ini = config_file("[readonly]\nlatency = 0\nmethods = GET, HEAD\n")
    with CheckedServer("--config", ini) as s:
        status, headers, doc = http_json(s.url + "/readonly", method="POST", body=b"z")
        check_eq((status, headers.get("allow"), doc["accepted"]), (405, "GET, HEAD", "GET, HEAD"))
        check_eq(http_get(s.url + "/readonly")[0], 200)


run()
