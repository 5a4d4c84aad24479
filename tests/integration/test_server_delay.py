"""test_server_delay.py -- latlab-server delays: accurate, non-blocking, seeded, scaled, drained."""
import signal
import socket
import threading
import time

from latlab import (CheckedServer, SLACK, Server, check, check_between, check_eq, config_file, http_get,
                    http_json, parallel, run, test, timed_get)


def wait_suspended(server, n=1):
    """Polls /__latlab/stats (bounded) until the server holds at least n delayed requests."""
    deadline = time.monotonic() + 5 * SLACK
    while time.monotonic() < deadline:
        _, _, st = http_json(server.url + "/__latlab/stats")
        if st["suspended"] >= n:
            return
        time.sleep(0.01)
    raise AssertionError("the server never held %d delayed request(s)" % n)


@test
def a_200ms_site_answers_in_200ms_plus_slack():
    srv = Server("--config", "/dev/null")
    path = config_file(directory=srv.tmp.name, text="[slow]\nlatency = 200ms\nsize = 1KiB\n")
    srv.args = ["--config", path]
    with srv as s:
        http_get(s.url + "/__latlab/health")  # warm up
        for _ in range(3):
            dt, status, headers, _ = timed_get(s.url + "/slow")
            check_eq(status, 200)
            check_eq(headers["x-latlab-delay-us"], "200000")
            check_between(dt, 0.200, 0.200 + 0.15 * SLACK, "elapsed seconds")


@test
def latency_override_is_honoured_to_the_millisecond_floor():
    with CheckedServer() as s:
        dt, status, headers, _ = timed_get(s.url + "/google?latency=150ms")
        check_eq(headers["x-latlab-delay-us"], "150000")
        check_between(dt, 0.150, 0.150 + 0.15 * SLACK, "elapsed seconds")


@test
def delays_do_not_block_threads():
    # 100 concurrent 300 ms requests on a 1-thread server: sequentially 30 s, in parallel ~0.3 s
    with CheckedServer("--threads", "1") as s:
        results, wall = parallel(lambda i: http_get(s.url + "/naver?latency=300ms&size=1KiB"), 100)
        bad = [r for r in results if isinstance(r, Exception) or r[0] != 200]
        check_eq(bad, [], "failed requests")
        check_between(wall, 0.3, 0.3 + 2.0 * SLACK, "wall seconds for 100 x 300 ms")
        check(wall < 100 * 0.3 / 5, "far below the sequential 30 s")
        _, _, stats = http_json(s.url + "/__latlab/stats")
        check(stats["max_in_flight"] >= 50, "requests overlapped: max in flight %d" % stats["max_in_flight"])
        check_eq(stats["late_us"]["count"], 100, "delayed answers in the lateness histogram")
        check(stats["late_us"]["max"] < 1000000 * SLACK, "answers follow their deadlines: %r" % stats["late_us"])
        check_eq(stats["in_flight"], 1, "only the stats request itself in flight")
        check_eq(stats["suspended"], 0)


def delays_of(server_args, path, seqs, header=True):
    with CheckedServer(*server_args) as s:
        out = []
        for k in seqs:
            if header:
                _, headers, _ = http_get(s.url + path, headers={"X-Latlab-Seq": str(k)})
            else:
                _, headers, _ = http_get(s.url + path + "?seq=%d" % k)
            check_eq(headers["x-latlab-seq"], str(k))
            out.append(int(headers["x-latlab-delay-us"]))
        return out


@test
def same_seed_and_seq_give_the_same_delay():
    a = delays_of(("--time-scale", "0.01", "--seed", "42"), "/naver", range(10))
    b = delays_of(("--time-scale", "0.01", "--seed", "42"), "/naver", reversed(range(10)), header=False)
    check_eq(a, list(reversed(b)), "delays by seq, whatever the order and the seq's carrier")
    check(len(set(a)) > 5, "the model spreads delays: %r" % a)


@test
def another_seed_gives_other_delays():
    a = delays_of(("--time-scale", "0.01", "--seed", "1"), "/google", range(10))
    b = delays_of(("--time-scale", "0.01", "--seed", "2"), "/google", range(10))
    check(a != b, "seed 1 %r vs seed 2 %r" % (a, b))


@test
def time_scale_multiplies_every_delay():
    with CheckedServer("--time-scale", "0.5") as s:
        _, h, _ = http_get(s.url + "/apple?latency=300ms")
        check_eq(h["x-latlab-delay-us"], "150000")
    a = delays_of(("--time-scale", "0.001",), "/naver", range(5))
    b = delays_of(("--time-scale", "0.002",), "/naver", range(5))
    for x, y in zip(a, b):
        check_between(y, 2 * x - 1, 2 * x + 1, "delay at twice the scale")


@test
def max_delay_caps_every_delay():
    with CheckedServer("--max-delay", "50ms") as s:
        for k in range(20):
            _, h, _ = http_get(s.url + "/naver", headers={"X-Latlab-Seq": str(k)})
            check(int(h["x-latlab-delay-us"]) <= 50000, "capped: %s" % h["x-latlab-delay-us"])
        status, _, doc = http_json(s.url + "/naver?latency=51ms")
        check_eq((status, doc["param"]), (400, "latency"))


@test
def jitter_spreads_delays_within_bounds_deterministically():
    with CheckedServer() as s:
        got = []
        for k in range(20):
            _, h, _ = http_get(s.url + "/google?latency=0&jitter=0&seq=%d" % k)
            check_eq(h["x-latlab-delay-us"], "0")
        for k in range(20):
            _, h, _ = http_get(s.url + "/google?latency=20ms&jitter=10ms&size=0&seq=%d" % k)
            got.append(int(h["x-latlab-delay-us"]))
        check(all(10000 <= d <= 30000 for d in got), "within 20ms +- 10ms: %r" % got)
        check(len(set(got)) > 10, "spread: %r" % got)
        _, h, _ = http_get(s.url + "/google?latency=20ms&jitter=10ms&size=0&seq=3")
        check_eq(int(h["x-latlab-delay-us"]), got[3])


@test
def lecture_batch_takes_about_16_seconds_at_scale_1():
    # the injected delays of naver, google x 50 (seq 0..49 each), read at a small time scale
    scale = 0.001
    with CheckedServer("--time-scale", str(scale)) as s:
        total = 0
        for k in range(50):
            for site in ("naver", "google"):
                _, h, _ = http_get(s.url + "/%s?seq=%d" % (site, k))
                total += int(h["x-latlab-delay-us"])
        seconds = total / scale / 1e6
        check_between(seconds, 14.5, 18.0, "sum of the batch's delays at scale 1.0 (s)")


@test
def bandwidth_drips_the_body_without_blocking():
    with CheckedServer() as s:
        def one(i):
            return timed_get(s.url + "/google?latency=0&size=20KiB&bandwidth=40KiB")
        results, wall = parallel(one, 10)
        for r in results:
            check(not isinstance(r, Exception), repr(r))
            dt, status, _, body = r
            check_eq((status, len(body)), (200, 20480))
            check_between(dt, 0.45, 0.5 + 0.3 * SLACK, "20 KiB at 40 KiB/s (s)")
        check(wall < 0.5 + 0.5 * SLACK, "10 drips overlap: wall %.2f s" % wall)
    with CheckedServer("--time-scale", "0.5") as s:
        dt, status, _, body = timed_get(s.url + "/google?latency=0&size=20KiB&bandwidth=40KiB")
        check_eq((status, len(body)), (200, 20480))
        check_between(dt, 0.22, 0.25 + 0.3 * SLACK, "the same drip at time scale 0.5 (s)")


@test
def connections_over_the_limit_wait_their_turn():
    # 2 connections allowed, 3 clients of 300 ms each: the third waits for a slot, then succeeds
    with CheckedServer("--max-connections", "2", "--threads", "1") as s:
        results, wall = parallel(lambda i: timed_get(s.url + "/naver?latency=300ms&size=10"), 3)
        for r in results:
            check(not isinstance(r, Exception), repr(r))
            check_eq(r[1], 200)
        times = sorted(r[0] for r in results)
        check_between(times[1], 0.3, 0.3 + 0.3 * SLACK, "the second request (s)")
        check_between(times[2], 0.6, 0.6 + 0.6 * SLACK, "the third, after a slot freed (s)")


@test
def timeout_fault_never_answers_within_the_clients_patience():
    with CheckedServer() as s:
        t0 = time.monotonic()
        try:
            http_get(s.url + "/naver?fault=timeout", timeout=0.3)
            check(False, "an answer came")
        except socket.timeout:
            pass
        check_between(time.monotonic() - t0, 0.3, 0.3 + 0.5 * SLACK, "client waited (s)")


@test
def graceful_shutdown_lets_an_in_flight_delayed_request_complete():
    s = Server().start()
    out = {}

    def slow():
        out["r"] = timed_get(s.url + "/naver?latency=1s&size=1KiB")
    t = threading.Thread(target=slow)
    t.start()
    wait_suspended(s)
    s.proc.send_signal(signal.SIGTERM)
    t.join(10 * SLACK)
    # the server exits by itself once the request is done; a second signal from s.stop()
    # could land between the client's last byte and the server's count of it, and cut short
    s.proc.wait(10 * SLACK)
    rc = s.stop()
    s.tmp.cleanup()
    dt, status, headers, _ = out["r"]
    check_eq(status, 200, "the in-flight request's status")
    check_between(dt, 1.0, 1.0 + 0.3 * SLACK, "it still waited its delay (s)")
    check_eq(rc, 0, "exit status after a graceful stop")


@test
def new_connections_are_refused_while_draining():
    s = Server().start()
    t = threading.Thread(target=lambda: http_get(s.url + "/naver?latency=2s&size=0"))
    t.start()
    wait_suspended(s)
    s.proc.send_signal(signal.SIGTERM)
    # the listening socket closes as the drain starts: new connections are refused while
    # the delayed request is still held (polled, bounded by that request's own delay)
    refused = False
    while t.is_alive() and not refused:
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
            time.sleep(0.01)
        except OSError:
            refused = True
    still_draining = t.is_alive()
    t.join()
    s.proc.wait(10 * SLACK)  # by itself: one signal only (see above)
    rc = s.stop()
    s.tmp.cleanup()
    check(refused and still_draining, "a new connection during the drain was accepted")
    check_eq(rc, 0)


@test
def second_signal_cuts_the_drain_short():
    s = Server().start()
    errors = []

    def slow():
        try:
            http_get(s.url + "/naver?latency=20s&size=0", timeout=30)
        except Exception as e:
            errors.append(e)
    t = threading.Thread(target=slow)
    t.start()
    wait_suspended(s)
    s.proc.send_signal(signal.SIGTERM)
    try:
        s.proc.wait(0.3)
    except Exception:
        pass
    check(s.proc.poll() is None, "still draining after the first signal")
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGINT)
    s.proc.wait(5 * SLACK)
    took = time.monotonic() - t0
    t.join(5)
    rc = s.stop()
    s.tmp.cleanup()
    check(took < 1.0 * SLACK, "exited %.2fs after the second signal" % took)
    check_eq(rc, 1, "exit status when requests were cut short")
    check(errors, "the held request was cut short, not answered early")


@test
def grace_bounds_the_drain_and_cuts_held_requests_short():
    s = Server("--grace", "300ms").start()
    errors, answers = [], []

    def slow():
        try:
            answers.append(http_get(s.url + "/naver?latency=20s&size=0", timeout=30)[0])
        except Exception as e:
            errors.append(e)
    t = threading.Thread(target=slow)
    t.start()
    wait_suspended(s)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(10 * SLACK)
    took = time.monotonic() - t0
    t.join(5)
    rc = s.stop()
    s.tmp.cleanup()
    check_between(took, 0.3, 0.3 + 1.5 * SLACK, "exited after --grace 300ms (s)")
    check_eq(rc, 0, "exit status after the grace period (one signal)")
    check(errors and not answers, "the held request was cut short, not answered: %r" % answers)


@test
def idle_timeout_closes_an_idle_keep_alive_connection():
    with CheckedServer("--idle-timeout", "1s") as s:
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10 * SLACK)
        c.sendall(b"GET /naver?latency=0&size=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = c.recv(4096)
            check(chunk, "the server answered before closing")
            head += chunk
        t0 = time.monotonic()
        # the connection stays open after the answer, then the server closes it: recv blocks
        # until then and returns b"" (bounded by the socket timeout)
        rest = c.recv(4096)
        idle = time.monotonic() - t0
        c.close()
        check_eq(rest, b"", "nothing more on the idle connection")
        check(b"200 OK" in head.split(b"\r\n")[0], "answered 200: %r" % head[:40])
        check_between(idle, 0.9, 1.0 + 2.5 * SLACK, "closed after --idle-timeout 1s (s)")


run()
