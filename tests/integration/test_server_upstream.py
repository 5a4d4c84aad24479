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


run()
