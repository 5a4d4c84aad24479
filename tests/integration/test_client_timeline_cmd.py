"""test_client_timeline_cmd.py -- `latlab-client timeline PATH.csv... -o out.svg` draws request
CSVs in one picture: the labs' (run by Debian's /usr/bin/python3 with --csv against a real
latlab-server) beside the C client's own, one panel per run, one lane per worker."""
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from latlab import ROOT, SLACK, Server, check, check_eq, client, run, test

PYTHON = "/usr/bin/python3"
REPEAT = 10


def lab_csv(name, url, path):
    env = dict(os.environ, LATLAB_URL=url, LATLAB_REPEAT=str(REPEAT), LATLAB_WORKERS="4")
    p = subprocess.run([PYTHON, os.path.join(ROOT, "labs", name), "--csv", path], capture_output=True,
                       text=True, env=env, timeout=120 * SLACK)
    check(p.returncode == 0, "%s exited %d: %s" % (name, p.returncode, p.stderr[-600:]))


@test
def timeline_draws_the_labs_threads_and_asyncio_beside_the_c_client():
    with Server("--time-scale", "0.1") as s, tempfile.TemporaryDirectory() as tmp:
        t, a, c = (os.path.join(tmp, n) for n in ("threads.csv", "asyncio.csv", "c.csv"))
        lab_csv("02_threads.py", s.url, t)
        lab_csv("04_asyncio.py", s.url, a)
        p = client("compare", "--repeat", REPEAT, "-c", 4, "--csv", c, s.url + "/naver", s.url + "/google")
        check_eq(p.returncode, 0, "client exit code")
        out = os.path.join(tmp, "out.svg")
        p = client("timeline", t, a, c, "-o", out)
        check_eq(p.returncode, 0, "timeline exit code: %r" % p.stderr)
        root = ET.parse(out).getroot()
        check_eq(root.tag, "{http://www.w3.org/2000/svg}svg", "an SVG")
        with open(out) as f:
            svg = f.read()
        modes = [g.get("data-mode") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "panel"]
        check_eq(modes, ["threads", "async", "sequential", "threads", "processes", "async"],
                 "the labs' two runs, then the four of compare's CSV")
        check_eq(svg.count('class="req'), 6 * 2 * REPEAT, "one bar per request of every run")
        check("thread 4 (tid" in svg, "the lab's four threads get four lanes")
        check('class="inflight"' in svg, "the concurrency strip")


@test
def timeline_rejects_bad_csv_and_bad_output_with_a_usage_line():
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("index,url,pid,tid,start_us,end_us,status,bytes,delay_us,error\n0,http://x/,1,1,zero,5,200,1,,\n")
        p = client("timeline", bad, "-o", os.path.join(tmp, "o.svg"))
        check_eq(p.returncode, 1, "exit code")
        check("bad.csv:2: bad start_us" in p.stderr, p.stderr)
        p = client("timeline", bad, "-o", os.path.join(tmp, "o.png"))
        check_eq(p.returncode, 2, "a PNG output")
        check("rsvg-convert" in p.stderr, p.stderr)
        p = client("timeline", "-o", os.path.join(tmp, "o.svg"))
        check_eq(p.returncode, 2, "no CSV")
        hdr = os.path.join(tmp, "hdr.csv")
        with open(hdr, "w") as f:
            f.write("a,b,c\n")
        p = client("timeline", hdr, "-o", os.path.join(tmp, "o.svg"))
        check_eq(p.returncode, 1, "a foreign header")
        check("expected the header" in p.stderr, p.stderr)
        check(not os.path.exists(os.path.join(tmp, "o.svg")), "nothing written")


run()
