"""test_client_https.py -- latlab-client over https:// against latlab-server --https-port: every
mode, trusting the server's CA with --cacert (libcurl's CURLOPT_CAINFO)."""
import json
import os

from latlab import HttpsServer, check, check_eq, client, run, test

MODES = ("sequential", "threads", "processes", "async")


@test
def every_mode_works_over_https_with_cacert():
    with HttpsServer("--time-scale", "0.05") as s:
        urls = [s.https_url + "/naver", "https://localhost:%d/google" % s.https_port]
        out = os.path.join(s.tmp.name, "compare.json")
        p = client("compare", "--cacert", s.ca, "-r", "5", "-c", "4", "-q", "-j", out, *urls)
        check_eq(p.returncode, 0, p.stderr)
        with open(out) as f:
            runs = json.load(f)["runs"]
        check_eq([r["mode"] for r in runs], list(MODES))
        for r in runs:
            check_eq((r["ok"], sum(r["errors"].values())), (10, 0), r["mode"])
            check(r["ideal_s"] is not None and r["ideal_s"] > 0,
                  "%s: the server's X-Latlab-Delay-Us came back over TLS" % r["mode"])


@test
def each_mode_alone_over_https():
    with HttpsServer("--time-scale", "0") as s:
        for mode in MODES:
            p = client(mode, "--cacert", s.ca, "-n", "6", "-q", s.https_url + "/apple")
            check_eq(p.returncode, 0, "%s: %s" % (mode, p.stderr))


@test
def without_cacert_the_servers_certificate_is_not_trusted():
    with HttpsServer("--time-scale", "0") as s:
        out = os.path.join(s.tmp.name, "r.json")
        p = client("sequential", "-n", "2", "-q", "-j", out, s.https_url + "/apple")
        check_eq(p.returncode, 1, p.stderr)
        with open(out) as f:
            r = json.load(f)
        check_eq((r["ok"], r["errors"]["other"]), (0, 2))


@test
def unreadable_cacert_is_a_usage_error():
    p = client("sequential", "--cacert", "/nonexistent/ca.pem", "https://127.0.0.1:1/")
    check_eq(p.returncode, 2)
    check_eq(len(p.stderr.strip().splitlines()), 1, p.stderr)
    check("--cacert" in p.stderr and "/nonexistent/ca.pem" in p.stderr, p.stderr)


run()
