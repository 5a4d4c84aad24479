"""test_server_conncost.py -- what a new connection costs (per-site connect_delay and query
connect_delay=, paid by the first request of each connection only) and per-site redirect (a 301
to another of the site's hosts, which a following client pays for with one more round trip),
measured with the curl CLI's phases, Python requests and latlab-client, over HTTP and HTTPS."""
import json
import os
import subprocess

from latlab import (SERVER_BIN, SLACK, HttpsServer, check, check_between, check_eq, client,
                    config_file, curl, http_get, run, test)

PY = "/usr/bin/python3"
TIMES = "%{http_code} %{time_appconnect} %{time_starttransfer} %{num_connects}\\n"

NAVER = """[naver]
model = fixed
latency = 100ms
connect_delay = 300ms
redirect = www.naver.com
"""


def phases(out):
    """curl -w TIMES lines: [(status, ttfb after the connection is up, new connections)]"""
    rows = []
    for line in out.strip().splitlines():
        code, app, ttfb, conns = line.split()
        rows.append((int(code), float(ttfb) - float(app), int(conns)))
    return rows


def resolve(s, *hosts):
    args = []
    for h in hosts:
        args += ["--resolve", "%s:%d:127.0.0.1" % (h, s.https_port)]
    return args


@test
def connect_delay_is_paid_by_the_first_request_of_a_connection_only():
    with HttpsServer("--config", config_file(NAVER)) as s:
        url = "https://www.naver.com:%d/" % s.https_port
        # two requests on one curl handle: the second reuses the connection
        p = curl("--cacert", s.ca, *resolve(s, "www.naver.com"), "-o", "/dev/null", "-o",
                 "/dev/null", "-w", TIMES, url, url)
        check_eq(p.returncode, 0, p.stderr)
        (c1, first, n1), (c2, reused, n2) = phases(p.stdout)
        check_eq((c1, n1, c2, n2), (200, 1, 200, 0), "a new connection, then the same one")
        check_between(first, 0.4, 0.4 + 0.3 * SLACK, "first request: latency + connect_delay")
        check_between(reused, 0.1, 0.1 + 0.25 * SLACK, "reused connection: latency only")


@test
def connect_delay_query_overrides_the_site_and_scales_with_time_scale():
    with HttpsServer("--config", config_file(NAVER), "--time-scale", "0.5") as s:
        url = "%s/naver?connect_delay=1s&latency=0ms" % s.url
        p = curl("-o", "/dev/null", "-o", "/dev/null", "-w", TIMES, url, url)
        (_, first, _), (_, reused, _) = phases(p.stdout)
        check_between(first, 0.5, 0.5 + 0.3 * SLACK, "1s x 0.5 on the new connection")
        check_between(reused, 0.0, 0.15 * SLACK, "nothing on the reused one")
        status, _, body = http_get(s.url + "/naver?connect_delay=soon")
        check_eq(status, 400)
        check(b"connect_delay" in body, body)


@test
def latlab_client_keepalive_pays_once_and_new_connections_pay_each():
    with HttpsServer() as s:
        url = s.https_url + "/naver?latency=50ms&connect_delay=300ms"
        walls = {}
        for mode in ("sequential", "threads"):
            out = os.path.join(s.tmp.name, mode + ".json")
            p = client(mode, "--cacert", s.ca, "-n", "6", "-c", "6", "-q", "-j", out, url)
            check_eq(p.returncode, 0, p.stderr)
            with open(out) as f:
                walls[mode] = json.load(f)["wall_s"]
        # sequential: one connection, 6 x 50 ms + 300 ms once; threads: 6 connections at once
        check_between(walls["sequential"], 0.6, 0.6 + 0.4 * SLACK, "sequential wall")
        check_between(walls["threads"], 0.35, 0.35 + 0.4 * SLACK, "threads wall")


@test
def redirect_answers_301_to_the_sites_host_keeping_scheme_port_path_and_query():
    with HttpsServer("--config", config_file(NAVER), "--time-scale", "0") as s:
        p = curl("--cacert", s.ca, *resolve(s, "naver.com"), "-o", "/dev/null", "-w",
                 "%{http_code} %{redirect_url}",
                 "https://naver.com:%d/a/b?seq=3&size=10" % s.https_port)
        check_eq(p.stdout, "301 https://www.naver.com:%d/a/b?seq=3&size=10" % s.https_port)
        status, headers, _ = http_get(s.url + "/", headers={"Host": "naver.com"})
        check_eq((status, headers.get("location")), (301, "http://www.naver.com/"))
        status, headers, _ = http_get(s.url + "/naver")  # by path: no redirect
        check_eq(status, 200)
        status, _, _ = http_get(s.url + "/", headers={"Host": "www.naver.com"})
        check_eq(status, 200)


@test
def curl_following_the_redirect_pays_the_extra_round_trip():
    with HttpsServer("--config", config_file(NAVER)) as s:
        hosts = resolve(s, "naver.com", "www.naver.com")
        p = curl("--cacert", s.ca, *hosts, "-L", "-o", "/dev/null", "-w",
                 "%{http_code} %{num_redirects} %{num_connects} %{time_total}",
                 "https://naver.com:%d/" % s.https_port)
        code, redirects, conns, total = p.stdout.split()
        check_eq((code, redirects, conns), ("200", "1", "2"), "two hosts, two connections")
        # 301 (100 ms + 300 ms set-up) then 200 on a new connection (100 + 300 ms)
        check_between(float(total), 0.8, 0.8 + 0.4 * SLACK, "redirect + target")


@test
def requests_following_the_redirect_pays_the_extra_round_trip():
    with HttpsServer("--config", config_file(NAVER)) as s:
        code = ("import requests, time\n"
                "s = requests.Session()\n"
                "for i in range(3):\n"
                "    t0 = time.monotonic()\n"
                "    r = s.get('https://naver.com:%d/')\n"
                "    print(r.status_code, [h.status_code for h in r.history], r.url,"
                " round(time.monotonic() - t0, 3))\n" % s.https_port)
        # requests resolves through the system: give it the names with a hosts file of its own
        env = dict(os.environ, REQUESTS_CA_BUNDLE=s.ca)
        p = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount --bind %s /etc/hosts && exec %s -c \"$0\"" % (
                                config_file("127.0.0.1 naver.com www.naver.com\n"), PY), code],
                           capture_output=True, text=True, env=env, timeout=60 * SLACK)
        check_eq(p.returncode, 0, p.stderr[-600:])
        rows = [l.split() for l in p.stdout.strip().splitlines()]
        want_url = "https://www.naver.com:%d/" % s.https_port
        for r in rows:
            check_eq(r[:3], ["200", "[301]", want_url])
        # first: two new connections (2 x 400 ms); then both are kept alive (2 x 100 ms)
        check_between(float(rows[0][3]), 0.8, 0.8 + 0.4 * SLACK, "first, new connections")
        for r in rows[1:]:
            check_between(float(r[3]), 0.2, 0.2 + 0.3 * SLACK, "later, kept-alive connections")


@test
def bad_connect_delay_or_redirect_keys_are_one_line_errors():
    cases = [("[naver]\nredirect = example.org\n", "redirect"),
             ("[naver]\nredirect = bad host!\n", "redirect"),
             ("[naver]\nconnect_delay = 2h\n", "connect_delay"),
             ("[naver]\nconnect_delay = fast\n", "connect_delay")]
    for text, key in cases:
        p = subprocess.run([SERVER_BIN, "--port", "0", "--config", config_file(text)],
                           capture_output=True, text=True, timeout=10 * SLACK)
        check_eq(p.returncode, 2, p.stderr)
        check_eq(len(p.stderr.strip().splitlines()), 1, p.stderr)
        check(key in p.stderr, "%r names %s: %r" % (text, key, p.stderr))


run()
