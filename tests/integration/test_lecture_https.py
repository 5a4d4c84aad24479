"""test_lecture_https.py -- the lecture's two programs exactly as written (labs/lecture_*.py:
https://naver.com, https://google.com, https://apple.com) against latlab-server with the
`lecture` preset (examples/lecture.ini), through scripts/lecture.sh: a private network and mount
namespace where /etc/hosts sends the names to 127.0.0.1 and the server's CA is trusted.

The time envelopes come from the delays the server injected (its access log), not from the
machine's speed. Needs root (unshare -mn, mount --bind), as scripts/lecture.sh says."""
import collections
import os
import re
import subprocess
import tempfile

from latlab import BUILD, ROOT, SLACK, check, check_between, check_eq, run, test

TRACE = re.compile(r"^(\d+) process \| (\d+) url : (\S+)$")


def lecture(which, *server_args):
    """Runs scripts/lecture.sh; returns (trace lines, elapsed, access-log rows)."""
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "access.log")
        p = subprocess.run(["sh", os.path.join(ROOT, "scripts", "lecture.sh"), which,
                            "--access-log", log] + list(server_args), capture_output=True,
                           text=True, timeout=120 * SLACK, env=dict(os.environ, LATLAB_BUILD=BUILD))
        check_eq(p.returncode, 0, "lecture.sh %s: %s" % (which, p.stderr[-800:]))
        with open(log) as f:
            rows = [l.split() for l in f]
    lines = p.stdout.splitlines()
    traces = [m.groups() for m in map(TRACE.match, lines) if m]
    rest = [l for l in lines if not TRACE.match(l) and not l.startswith("== ")]
    check_eq(len(rest), 1, "one closing line, the elapsed time: %r" % rest)
    return traces, float(rest[0]), rows


def by_site(rows):
    """{(site, status): count} from access-log rows (time addr method path status bytes site
    seq delay_us)."""
    return collections.Counter((r[6], int(r[4])) for r in rows)


@test
def lecture_requests_runs_unchanged_and_pays_redirects_and_latency():
    traces, elapsed, rows = lecture("requests")
    check_eq([t[2] for t in traces], ["https://naver.com", "https://google.com"] * 50)
    check_eq(len({(t[0], t[1]) for t in traces}), 1, "one process, one thread")
    check_eq(by_site(rows), {("naver_com", 301): 50, ("naver", 200): 50,
                             ("google_com", 301): 50, ("google", 200): 50},
             "every URL redirected to www.* and followed")
    injected = sum(int(r[8]) for r in rows) / 1e6
    # one after another: the sum of every delay, plus Python's and TLS's time per request
    check_between(elapsed, injected, injected + 0.02 * 200 * SLACK + 1.0, "elapsed vs injected")
    check_between(injected, 14.0, 17.5, "the preset's delays add up near the lecture's 16.3 s")


@test
def lecture_aiohttp_runs_unchanged_all_at_once():
    traces, elapsed, rows = lecture("aiohttp")
    check_eq(sorted(t[2] for t in traces), sorted(["https://google.com", "https://apple.com"] * 50))
    check_eq(len({(t[0], t[1]) for t in traces}), 1, "one process, one thread")
    check_eq(by_site(rows), {("google_com", 301): 50, ("google", 200): 50,
                             ("apple_com", 301): 50, ("apple", 200): 50})
    delays = [int(r[8]) / 1e6 for r in rows]
    # all in flight at once: at least the longest delay, far below their sum
    check(elapsed >= max(delays), "elapsed %.2f >= the longest delay %.2f" % (elapsed, max(delays)))
    check(elapsed < sum(delays) / 4, "elapsed %.2f far below the sum %.2f" % (elapsed, sum(delays)))
    check(elapsed < 3.0 * SLACK, "near the lecture's 1.2 s: %.2f" % elapsed)


run()
