"""test_server_capacity.py -- finite sites: capacity K, a FIFO queue, the overload answer, the
queue-wait header and counters, a stop with queued requests, and idle keep-alive connections
given up first at the connection limit."""
import json
import math
import signal
import socket
import threading
import time

from latlab import (CheckedServer, SLACK, Server, check, check_between, check_eq, client, config_file,
                    http_get, http_json, parallel, run, test, timed_get)


def finite_server(text, *args, checked=True):
    srv = (CheckedServer if checked else Server)("--config", "/dev/null")
    srv.args = ["--config", config_file(directory=srv.tmp.name, text=text)] + list(args)
    return srv


def wait_stats(server, site, key, n):
    """Polls /__latlab/stats (bounded) until capacity[site][key] >= n; returns the stats."""
    deadline = time.monotonic() + 5 * SLACK
    while time.monotonic() < deadline:
        _, _, st = http_json(server.url + "/__latlab/stats")
        if st["capacity"][site][key] >= n:
            return st
        time.sleep(0.01)
    raise AssertionError("capacity.%s.%s never reached %d" % (site, key, n))


@test
def capacity_k_answers_n_requests_in_ceil_i_over_k_rounds_of_the_delay():
    delay, k, n = 0.2, 3, 9
    with finite_server("[finite]\nlatency = 200ms\nsize = 100\ncapacity = 3\n") as s:
        http_get(s.url + "/__latlab/health")
        results, _ = parallel(lambda i: timed_get(s.url + "/finite"), n)
        for r in results:
            check(not isinstance(r, Exception), repr(r))
            check_eq(r[1], 200)
        results.sort(key=lambda r: r[0])
        for i, (dt, _, headers, _) in enumerate(results, 1):
            rounds = math.ceil(i / k)
            check_between(dt, rounds * delay - 0.005, rounds * delay + (0.05 + 0.03 * rounds) * SLACK,
                          "response %d of %d at capacity %d (s)" % (i, n, k))
            queue_us = int(headers["x-latlab-queue-us"])
            # the header says how long it waited: a whole number of rounds of the delay
            check_between(queue_us / 1e6, (rounds - 1) * delay - 0.005,
                          (rounds - 1) * delay + (0.02 + 0.03 * rounds) * SLACK,
                          "X-Latlab-Queue-Us of response %d (s)" % i)
            # and the response time is the queue wait plus the delay
            check_between(dt - queue_us / 1e6 - int(headers["x-latlab-delay-us"]) / 1e6,
                          -0.002, 0.05 * SLACK, "response %d: time - queue - delay (s)" % i)


@test
def queue_order_is_arrival_order():
    with finite_server("[finite]\nlatency = 100ms\nsize = 10\ncapacity = 1\n") as s:
        # one every 20 ms: all arrive while the first is in service, in this order
        results, _ = parallel(lambda i: (i, time.monotonic(), http_get(s.url + "/finite?seq=%d" % i)), 5,
                           stagger=0.02)
        for r in results:
            check(not isinstance(r, Exception), repr(r))
        queue = [int(r[2][1]["x-latlab-queue-us"]) for r in results]
        check_eq(sorted(queue), queue, "queue waits in arrival order")
        check_eq(queue[0], 0, "the first one never waits")


@test
def queue_bound_answers_503_with_retry_after_at_once_beyond_it():
    with finite_server("[finite]\nlatency = 300ms\nsize = 10\ncapacity = 1\nqueue = 2\n") as s:
        results, _ = parallel(lambda i: timed_get(s.url + "/finite"), 3)  # 1 in service, 2 queued
        check_eq(sorted(r[1] for r in results), [200, 200, 200])
        got = {}

        def one(i):
            return timed_get(s.url + "/finite")

        # the 4th and 5th arrive while 1 is in service and 2 wait: refused at once
        results, _ = parallel(one, 5, stagger=0.03)
        for r in results:
            check(not isinstance(r, Exception), repr(r))
            got.setdefault(r[1], []).append(r)
        check_eq(len(got.get(200, [])), 3, "answered")
        check_eq(len(got.get(503, [])), 2, "refused")
        for dt, _, headers, body in got[503]:
            check(dt < 0.1 * SLACK, "a refusal comes at once, not after the queue: %.3fs" % dt)
            check_eq(headers.get("retry-after"), "1", "Retry-After")
            check(b"site overloaded" in body, body)
        _, _, st = http_json(s.url + "/__latlab/stats")
        check_eq(st["capacity"]["finite"]["rejected"], 2, "rejected")
        check_eq(st["capacity"]["finite"]["max_queued"], 2, "max_queued")


@test
def query_capacity_and_queue_apply_to_one_request():
    with CheckedServer() as s:
        url = s.url + "/naver?latency=200ms&size=10&capacity=1&queue=0"
        results, _ = parallel(lambda i: timed_get(url), 2, stagger=0.03)
        check_eq(sorted(r[1] for r in results), [200, 503])
        status, _, body = http_json(s.url + "/naver?capacity=lots")
        check_eq(status, 400)
        check_eq(body["param"], "capacity")
        check("unlimited" in body["accepted"], body)


@test
def overload_reset_drops_the_connection():
    text = "[finite]\nlatency = 300ms\nsize = 10\ncapacity = 1\nqueue = 0\noverload = reset\n"
    with finite_server(text) as s:
        results, _ = parallel(lambda i: timed_get(s.url + "/finite"), 2, stagger=0.05)
        ok = [r for r in results if not isinstance(r, Exception)]
        dropped = [r for r in results if isinstance(r, Exception)]
        check_eq(len(ok), 1, "answered: %r" % results)
        check_eq(len(dropped), 1, "dropped: %r" % results)
        check(isinstance(dropped[0], (ConnectionError, http_client_error())), repr(dropped[0]))


def http_client_error():
    import http.client
    return http.client.RemoteDisconnected


@test
def stats_and_metrics_count_in_service_queued_and_rejected():
    text = "[finite]\nlatency = 400ms\nsize = 10\ncapacity = 2\nqueue = 3\n"
    with finite_server(text) as s:
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("r", parallel(lambda i: timed_get(s.url + "/finite"), 6,
                                                                          stagger=0.01)[0]))
        t.start()
        st = wait_stats(s, "finite", "queued", 3)
        c = st["capacity"]["finite"]
        check_eq(c["in_service"], 2, "in service while full")
        check_eq(c["capacity"], 2)
        check_eq(c["queue"], 3)
        _, _, metrics = http_get(s.url + "/__latlab/metrics")
        metrics = metrics.decode()
        check('latlab_capacity_in_service{site="finite"} 2' in metrics, metrics[-1500:])
        check('latlab_capacity_queued{site="finite"} 3' in metrics, metrics[-1500:])
        t.join()
        check_eq(sorted(r[1] for r in box["r"]), [200] * 5 + [503])
        _, _, st = http_json(s.url + "/__latlab/stats")
        c = st["capacity"]["finite"]
        check_eq((c["in_service"], c["queued"], c["max_queued"], c["rejected"]), (0, 0, 3, 1))
        check_eq(c["queue_wait_us"]["count"], 5)
        # two waited one round, the last two rounds (less the 10 ms steps between arrivals)
        check_between(c["queue_wait_us"]["max"] / 1e6, 0.8 - 0.06, 0.8 + 0.1 * SLACK, "longest wait (s)")
        _, _, metrics = http_get(s.url + "/__latlab/metrics")
        check('latlab_capacity_rejected_total{site="finite"} 1' in metrics.decode(), "rejected in metrics")


@test
def same_seed_gives_the_same_delays_with_a_capacity():
    text = "[finite]\nmedian = 20ms\np99 = 60ms\nsize = 10\ncapacity = 2\n"

    def delays():
        with finite_server(text, "--seed", "7") as s:
            return [http_get(s.url + "/finite?seq=%d" % i)[1]["x-latlab-delay-us"] for i in range(6)]

    check_eq(delays(), delays(), "delays of seq 0..5")


@test
def client_ideal_time_counts_the_servers_queue():
    # capacity 5, 20 at once, 100 ms each: 4 rounds; the client is not blamed for the queue
    import json
    with CheckedServer() as s:
        p = client("async", "-q", "-n", "20", "-c", "20", "--json", "-",
                   s.url + "/naver?latency=100ms&capacity=5&size=10")
        check_eq(p.returncode, 0, p.stderr)
        run_ = json.loads(p.stdout)
        run_ = run_["runs"][0] if "runs" in run_ else run_
        check_between(run_["ideal_s"], 0.4 - 0.01, 0.4 + 0.1 * SLACK, "ideal (s): delay + queue")
        check(run_["efficiency"] > 0.8, "efficiency %r" % run_["efficiency"])


def put_site(s, name, keys):
    return http_json(s.url + "/__latlab/sites/" + name, method="PUT", body=json.dumps(keys).encode())


def site_of(s, name):
    _, _, doc = http_json(s.url + "/__latlab/sites")
    return {x["name"]: x for x in doc["sites"]}.get(name)


def journal_of(s, site):
    _, _, doc = http_json(s.url + "/__latlab/requests?site=" + site)
    return doc["requests"]


@test
def runtime_put_makes_a_site_finite_and_sites_lists_its_capacity():
    with CheckedServer() as s:
        check_eq((site_of(s, "naver")["capacity"], site_of(s, "naver")["queue"]), (0, None))
        status, _, doc = put_site(s, "naver", {"latency": "300ms", "size": 10, "capacity": 1,
                                               "queue": "1", "overload_status": 429})
        check_eq(status, 200, doc)
        n = site_of(s, "naver")
        check_eq((n["capacity"], n["queue"], n["overload"], n["overload_status"]), (1, 1, "status", 429))
        results, _ = parallel(lambda i: timed_get(s.url + "/naver"), 3, stagger=0.03)
        for r in results:
            check(not isinstance(r, Exception), repr(r))
        check_eq(sorted(r[1] for r in results), [200, 200, 429], "one served, one queued, one refused")
        queued = [r for r in results if r[1] == 200 and int(r[2]["x-latlab-queue-us"]) > 0]
        check_eq(len(queued), 1, "one waited for the slot")
        check_between(int(queued[0][2]["x-latlab-queue-us"]) / 1e6, 0.3 - 0.07, 0.3 + 0.05 * SLACK,
                      "its wait: the first one's delay less the stagger (s)")
        refused = [r for r in results if r[1] == 429][0]
        check(refused[0] < 0.2 * SLACK, "refused at once, not after a delay: %.3fs" % refused[0])
        check_eq(refused[2].get("retry-after"), "1")
        _, _, st = http_json(s.url + "/__latlab/stats")
        check_eq((st["capacity"]["naver"]["rejected"], st["capacity"]["naver"]["capacity"]), (1, 1))
        status, _, doc = put_site(s, "naver", {"capacity": "-1"})
        check_eq((status, doc.get("param")), (400, "naver"))
        check("capacity" in doc["error"] and "0 or unlimited" in doc["error"] + doc["accepted"], doc)
        status, _, doc = put_site(s, "naver", {"overload": "drop"})
        check_eq(status, 400)
        check("overload" in doc["error"], doc)
        check_eq(site_of(s, "naver")["capacity"], 1, "a refused change leaves the site as it was")
        status, _, _ = http_json(s.url + "/__latlab/sites/naver", method="DELETE")
        check_eq(status, 200)
        check_eq((site_of(s, "naver")["capacity"], site_of(s, "naver")["queue"]), (0, None))


def leave_while_queued(s, path, linger=0.0):
    """Sends a request on a raw connection and closes it after linger seconds."""
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    time.sleep(linger)
    sock.close()


@test
def a_queued_request_whose_client_leaves_leaves_the_queue_as_client_gone():
    text = "[finite]\nlatency = 2s\nsize = 10\ncapacity = 1\n"
    with finite_server(text, "--access-log", "-") as s:
        box = {}
        t0 = time.monotonic()
        first = threading.Thread(target=lambda: box.setdefault("a", timed_get(s.url + "/finite?seq=0")))
        first.start()
        wait_stats(s, "finite", "in_service", 1)
        leave_while_queued(s, "/finite?seq=1", linger=0.2)
        st = wait_stats(s, "finite", "gone", 1)
        c = st["capacity"]["finite"]
        # noticed while the first still holds the slot (not when the slot would have come)
        check(time.monotonic() - t0 < 1.5, "noticed after %.2fs" % (time.monotonic() - t0))
        check_eq((c["queued"], c["in_service"], c["gone"]), (0, 1, 1))
        # the next one waits only for the first, not for the one that left
        third = timed_get(s.url + "/finite?seq=2&latency=10ms")
        first.join()
        check_eq((box["a"][1], third[1]), (200, 200))
        check(int(third[2]["x-latlab-queue-us"]) < (2.0 - 0.2) * 1e6, third[2])
        check_between(third[0], 0.01, 2.0 + 0.1 * SLACK, "the third: the first's rest + 10 ms (s)")
        _, _, st = http_json(s.url + "/__latlab/stats")
        c = st["capacity"]["finite"]
        check_eq((c["in_service"], c["queued"], c["gone"], c["queue_wait_us"]["count"]), (0, 0, 1, 2))
        outcomes = {e["seq"]: e["outcome"] for e in journal_of(s, "finite")}
        check_eq(outcomes, {0: "answered", 1: "client_gone", 2: "answered"})
        check("client_gone" in s.stdout(), "the access log says client_gone: " + s.stdout())


@test
def a_client_that_leaves_in_service_gives_its_slot_to_the_next_at_once():
    text = "[finite]\nlatency = 2s\nsize = 10\ncapacity = 1\n"
    with finite_server(text) as s:
        t = threading.Thread(target=leave_while_queued, args=(s, "/finite?seq=0", 0.2))
        t.start()
        wait_stats(s, "finite", "in_service", 1)
        dt, status, headers, _ = timed_get(s.url + "/finite?seq=1&latency=10ms")
        t.join()
        check_eq(status, 200)
        check(dt < 1.0 * SLACK, "the slot came when the first client left: %.2fs" % dt)
        outcomes = {e["seq"]: e["outcome"] for e in journal_of(s, "finite")}
        check_eq(outcomes, {0: "client_gone", 1: "answered"})


@test
def overload_answers_are_journaled_with_their_status_or_fault():
    for overload, want in (("status\noverload_status = 503", (503, None)), ("reset", (None, "reset"))):
        text = "[finite]\nlatency = 300ms\nsize = 10\ncapacity = 1\nqueue = 0\noverload = %s\n" % overload
        with finite_server(text) as s:
            parallel(lambda i: timed_get(s.url + "/finite?seq=%d" % i), 2, stagger=0.05)
            deadline = time.monotonic() + 2 * SLACK
            while time.monotonic() < deadline:
                entries = journal_of(s, "finite")
                if all(e["outcome"] != "pending" for e in entries):
                    break
                time.sleep(0.02)
            by_seq = {e["seq"]: e for e in entries}
            check_eq((by_seq[0]["status"], by_seq[0]["fault"], by_seq[0]["outcome"]), (200, None, "answered"))
            check_eq((by_seq[1]["status"], by_seq[1]["fault"], by_seq[1]["outcome"]), want + ("answered",),
                     "the refused one (overload = %s)" % overload.split()[0])


@test
def overload_comes_first_and_the_script_applies_once_in_service():
    # k = 0 is in service and gets its scripted 500 after the delay; k = 1 finds no room and
    # gets the overload answer at once, not its scripted 200
    text = "[finite]\nlatency = 300ms\nsize = 10\ncapacity = 1\nqueue = 0\noverload_status = 429\n" \
           "sequence = 500,200\n"
    with finite_server(text) as s:
        results, _ = parallel(lambda i: timed_get(s.url + "/finite", headers={"X-Latlab-Scenario": "o"}), 2,
                           stagger=0.05)
        by_status = {r[1]: r[0] for r in results}
        check_eq(sorted(by_status), [429, 500], repr(results))
        check(by_status[429] < 0.2 * SLACK, "the overload answer at once: %.3fs" % by_status[429])
        check(by_status[500] >= 0.3 - 0.005, "the scripted status after the delay: %.3fs" % by_status[500])
        check_eq(http_get(s.url + "/finite", headers={"X-Latlab-Scenario": "o"})[0], 200, "k = 2")


@test
def reset_clears_the_capacity_counters_and_queue_waits():
    text = "[finite]\nlatency = 200ms\nsize = 10\ncapacity = 1\nqueue = 1\n"
    with finite_server(text) as s:
        results, _ = parallel(lambda i: timed_get(s.url + "/finite"), 3, stagger=0.03)
        check_eq(sorted(r[1] for r in results), [200, 200, 503])
        _, _, st = http_json(s.url + "/__latlab/stats")
        c = st["capacity"]["finite"]
        check_eq((c["rejected"], c["max_queued"], c["queue_wait_us"]["count"]), (1, 1, 2))
        check(c["queue_wait_us"]["max"] > 100000, c)
        status, _, _ = http_json(s.url + "/__latlab/reset", method="POST")
        check_eq(status, 200)
        _, _, st = http_json(s.url + "/__latlab/stats")
        c = st["capacity"]["finite"]
        check_eq((c["in_service"], c["queued"], c["max_queued"], c["rejected"], c["gone"]), (0, 0, 0, 0, 0))
        check_eq(c["queue_wait_us"], {"count": 0, "p50": 0, "p90": 0, "p99": 0, "max": 0})
        _, _, metrics = http_get(s.url + "/__latlab/metrics")
        check('latlab_capacity_rejected_total{site="finite"} 0' in metrics.decode(), "metrics after reset")
        # and it counts again from there
        check_eq(http_get(s.url + "/finite")[0], 200)
        _, _, st = http_json(s.url + "/__latlab/stats")
        check_eq(st["capacity"]["finite"]["queue_wait_us"]["count"], 1)


@test
def a_stop_cuts_queued_requests_and_exits_cleanly():
    text = "[finite]\nlatency = 2s\nsize = 10\ncapacity = 1\n"
    with finite_server(text, "--grace", "200ms") as s:
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("r", parallel(lambda i: timed_get(s.url + "/finite"), 4)[0]))
        t.start()
        wait_stats(s, "finite", "queued", 3)
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=5 * SLACK)
        check(time.monotonic() - t0 < 1.0 * SLACK, "the stop took %.2fs" % (time.monotonic() - t0))
        t.join()
        check(all(isinstance(r, Exception) for r in box["r"]), "every request cut short: %r" % box["r"])
        check("4 cut short" in s.stderr(), s.stderr())


@test
def at_the_connection_limit_idle_keep_alive_connections_are_given_up_first():
    # the classroom exercise: 4 connections, 40 clients at once, each keeping its connection
    # alive. Before, 8 answered and 32 timed out while 4 sat idle for the 15 s idle timeout.
    import json
    delay = 0.1
    with CheckedServer("--max-connections", "4", "--threads", "2") as s:
        p = client("async", "-q", "-n", "40", "-t", "20s", "--json", "-",
                   s.url + "/naver?latency=100ms&size=10")
        check_eq(p.returncode, 0, p.stderr)
        r = json.loads(p.stdout)
        check_eq(r["ok"], 40, "answered: %r" % r["errors"])
        # 10 rounds of 4: the waiting ones get their turn within milliseconds of a slot freeing
        check_between(r["wall_s"], 10 * delay, 10 * delay + (0.5 + 0.05 * 10) * SLACK, "wall (s)")
        _, _, st = http_json(s.url + "/__latlab/stats")
        check(st["idle_given_up"] >= 36 - 4, "idle connections given up: %r" % st["idle_given_up"])
        # a keep-alive client that reuses its connection is not starved either
        p = client("threads", "-q", "-c", "8", "-n", "40", "-t", "20s", "--json", "-",
                   s.url + "/naver?latency=100ms&size=10")
        r = json.loads(p.stdout)
        check_eq(r["ok"], 40, "threads answered: %r" % r["errors"])
        check_between(r["wall_s"], 10 * delay, 10 * delay + 1.0 * SLACK, "threads wall (s)")


@test
def capacity_keys_are_validated_with_the_accepted_forms():
    for line, key in (("capacity = -1", "capacity"), ("queue = lots", "queue"),
                      ("overload = drop", "overload"), ("overload_status = 99", "overload_status")):
        srv = Server("--config", "/dev/null")
        path = config_file(directory=srv.tmp.name, text="[finite]\n%s\n" % line)
        import subprocess
        from latlab import SERVER_BIN
        p = subprocess.run([SERVER_BIN, "--port", "0", "--config", path], capture_output=True, text=True,
                           timeout=10)
        srv.tmp.cleanup()
        check_eq(p.returncode, 2, "exit status for %r" % line)
        check("key '%s'" % key in p.stderr and "accepted:" in p.stderr, p.stderr)


run()
