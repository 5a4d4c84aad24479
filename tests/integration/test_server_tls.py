"""test_server_tls.py -- HTTPS beside HTTP (--https-port), with a CA made at start-up or a given
pair, checked with real clients: the curl CLI, Python requests and aiohttp (Debian's)."""
import os
import signal
import subprocess
import tempfile
import threading
import time

from latlab import (SERVER_BIN, SLACK, HttpsServer, check, check_between,
                    check_eq, curl, run, test)

PY = "/usr/bin/python3"
SITE_HOSTS = ["naver.com", "www.naver.com", "google.com", "www.google.com", "apple.com",
              "www.apple.com"]


def server_exit(*args, timeout=10):
    p = subprocess.run([SERVER_BIN, "--port", "0"] + list(args), capture_output=True, text=True,
                       timeout=timeout * SLACK)
    return p.returncode, p.stdout, p.stderr


def make_pair(directory, cn="localhost", san="DNS:localhost,IP:127.0.0.1"):
    """A self-signed EC certificate and key made by the openssl CLI: (cert, key) paths."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=" + cn, "-addext", "subjectAltName=" + san],
                   check=True, capture_output=True)
    return cert, key


@test
def https_with_the_written_ca_serves_every_site_host_by_sni():
    with HttpsServer("--time-scale", "0") as s:
        for host in SITE_HOSTS:
            p = curl("--cacert", s.ca, "--resolve", "%s:%d:127.0.0.1" % (host, s.https_port),
                     "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}",
                     "https://%s:%d/" % (host, s.https_port))
            check_eq((p.returncode, p.stdout), (0, "200 0"), "%s: %s" % (host, p.stderr))
        for url in ("https://localhost:%d/naver" % s.https_port, s.https_url + "/google"):
            p = curl("--cacert", s.ca, "-o", "/dev/null", "-w", "%{http_code}", url)
            check_eq((p.returncode, p.stdout), (0, "200"), url + ": " + p.stderr)


@test
def a_new_https_connection_from_a_nagle_client_is_not_held_by_a_delayed_ack():
    # A client that keeps Nagle on (ab, Java's default) writes its request right after its TLS
    # Finished and holds it until that Finished is acknowledged. The server sends nothing then,
    # so unless it acknowledges at once the kernel's delayed ACK (40 ms) is added to every new
    # connection. Envelope from the configured latency: a 50 ms site answers in under 1.6 x
    # 50 ms (the median of 9 new connections, each a plain socket with Nagle on).
    import socket
    import ssl
    latency = 0.05
    req = b"GET /naver?latency=50ms&size=16 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with HttpsServer("--time-scale", "1") as s:
        ctx = ssl.create_default_context(cafile=s.ca)
        times = []
        for _ in range(9):
            raw = socket.create_connection(("127.0.0.1", s.https_port), timeout=10 * SLACK)
            check_eq(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 0, "Nagle on")
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:  # handshake done
                t0 = time.monotonic()
                tls.sendall(req)
                got = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                times.append(time.monotonic() - t0)
            check(got.startswith(b"HTTP/1.1 200"), "answered: %r" % got[:40])
    times.sort()
    check_between(times[len(times) // 2], latency, 1.6 * latency, "median request time on a new connection")


@test
def https_is_real_tls_an_untrusted_ca_is_refused():
    with HttpsServer("--time-scale", "0") as s:
        p = curl("-o", "/dev/null", s.https_url + "/naver")
        check_eq(p.returncode, 60, "curl without --cacert: " + p.stderr)  # peer cert not trusted
        p = curl("--cacert", s.ca, "--resolve", "example.org:%d:127.0.0.1" % s.https_port,
                 "https://example.org:%d/naver" % s.https_port)
        check(p.returncode == 60, "a host outside the certificate is refused: %r" % p.stderr)


@test
def https_with_a_given_pair():
    with tempfile.TemporaryDirectory() as d:
        cert, key = make_pair(d)
        with HttpsServer("--time-scale", "0", "--tls-cert", cert, "--tls-key", key) as s:
            p = curl("--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}",
                     "https://localhost:%d/apple" % s.https_port)
            check_eq((p.returncode, p.stdout), (0, "200"), p.stderr)


@test
def first_stdout_lines_name_both_listeners():
    with HttpsServer("--time-scale", "0") as s:
        lines = s.stdout().splitlines()
        check_eq(lines[:2], ["latlab-server listening on http://127.0.0.1:%d" % s.port,
                             "latlab-server listening on https://127.0.0.1:%d" % s.https_port])


@test
def http_and_https_are_served_at_once_each_with_its_delay():
    with HttpsServer("--time-scale", "1") as s:
        results = {}

        def get(name, args):
            t0 = time.monotonic()
            p = curl(*args)
            results[name] = (p.returncode, p.stdout, time.monotonic() - t0)

        ts = [threading.Thread(target=get, args=("http", ["-o", "/dev/null", "-w", "%{http_code}",
                                                          s.url + "/naver?latency=400ms"])),
              threading.Thread(target=get, args=("https", ["--cacert", s.ca, "-o", "/dev/null",
                                                           "-w", "%{http_code}",
                                                           s.https_url + "/naver?latency=400ms"]))]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.monotonic() - t0
        for name in ("http", "https"):
            check_eq(results[name][:2], (0, "200"), name)
            check_between(results[name][2], 0.4, 0.4 + 1.0 * SLACK, name + " time")
        check(wall < 0.8 + 0.6 * SLACK, "both at once, not one after the other: %.2fs" % wall)


@test
def requests_and_aiohttp_trust_the_written_ca():
    with HttpsServer("--time-scale", "0") as s:
        env = dict(os.environ, REQUESTS_CA_BUNDLE=s.ca, SSL_CERT_FILE=s.ca)
        code = ("import requests\n"
                "s = requests.Session()\n"
                "print(*[s.get('https://localhost:%d/naver').status_code for _ in range(3)])\n"
                % s.https_port)
        p = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env,
                           timeout=30 * SLACK)
        check_eq((p.returncode, p.stdout.strip()), (0, "200 200 200"), p.stderr[-500:])
        code = ("import asyncio, aiohttp\n"
                "async def main():\n"
                "    async with aiohttp.ClientSession() as c:\n"
                "        async def one(u):\n"
                "            async with c.get(u) as r:\n"
                "                return r.status, len(await r.read())\n"
                "        print(await asyncio.gather(*[one('%s/apple') for _ in range(4)]))\n"
                "asyncio.run(main())\n" % s.https_url)
        p = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env,
                           timeout=30 * SLACK)
        check_eq((p.returncode, p.stdout.strip()), (0, str([(200, 73728)] * 4)), p.stderr[-500:])


@test
def stop_drains_both_listeners():
    s = HttpsServer("--time-scale", "1", "--grace", "5s")
    with s:
        out = {}

        def slow(name, args):
            p = curl(*args)
            out[name] = (p.returncode, p.stdout)

        ts = [threading.Thread(target=slow, args=("http", ["-w", "%{http_code}", "-o", "/dev/null",
                                                           s.url + "/naver?latency=700ms"])),
              threading.Thread(target=slow, args=("https", ["--cacert", s.ca, "-w", "%{http_code}",
                                                            "-o", "/dev/null",
                                                            s.https_url + "/naver?latency=700ms"]))]
        for t in ts:
            t.start()
        time.sleep(0.3)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.1)
        for url in (s.url, s.https_url):  # the listeners are closed: new connections refused
            p = curl("--cacert", s.ca, "-o", "/dev/null", url + "/naver")
            check_eq(p.returncode, 7, "connect refused on %s: %s" % (url, p.stderr))
        for t in ts:
            t.join()
        check_eq(out, {"http": (0, "200"), "https": (0, "200")}, "requests in flight finish")
        s.proc.wait(timeout=10 * SLACK)
    check_eq(s.returncode, 0)


@test
def bad_certificate_or_key_files_are_one_line_errors_exit_2():
    with tempfile.TemporaryDirectory() as d:
        cert, key = make_pair(d)
        garbage = os.path.join(d, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("not a certificate\n")
        other = os.path.join(d, "other")
        os.mkdir(other)
        _, other_key = make_pair(other)
        cases = [
            (["--tls-cert", os.path.join(d, "missing.pem"), "--tls-key", key], "missing.pem"),
            (["--tls-cert", garbage, "--tls-key", key], "garbage.pem"),
            (["--tls-cert", cert, "--tls-key", garbage], "garbage.pem"),
            (["--tls-cert", cert, "--tls-key", other_key], "key.pem"),
        ]
        for args, name in cases:
            rc, out, err = server_exit("--https-port", "0", *args)
            check_eq(rc, 2, "exit status for %r: %s" % (args, err))
            check_eq(len(err.strip().splitlines()), 1, "one line: %r" % err)
            check(name in err, "%r names the file: %r" % (args, err))
            check_eq(out, "", "nothing on stdout")


@test
def tls_option_misuse_is_a_usage_error():
    cases = [["--tls-cert", "x.pem"], ["--tls-ca", "ca.pem"], ["--https-port-file", "p"],
             ["--https-port", "0", "--tls-cert", "x.pem"],
             ["--https-port", "0", "--tls-key", "x.pem"],
             ["--https-port", "0", "--tls-cert", "a", "--tls-key", "b", "--tls-ca", "c"],
             ["--https-port", "70000"], ["--https-port", "0", "--tls-ca", ""],
             ["--port", "8443", "--https-port", "8443"]]
    for args in cases:
        rc, _, err = server_exit(*args)
        check_eq(rc, 2, "exit status for %r: %s" % (args, err))
        check_eq(len(err.strip().splitlines()), 1, "one line for %r: %r" % (args, err))


@test
def unwritable_tls_ca_is_a_one_line_error():
    rc, _, err = server_exit("--https-port", "0", "--tls-ca", "/nonexistent-dir/ca.pem")
    check_eq(rc, 2, err)
    check_eq(len(err.strip().splitlines()), 1, err)
    check("--tls-ca" in err and "/nonexistent-dir/ca.pem" in err, err)


run()
