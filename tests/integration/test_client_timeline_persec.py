"""test_client_timeline_persec.py -- the per-second strips under a long run's panel in the SVG
timeline (--timeline): one bar per second whose requests and errors are the --per-second CSV's
rows, errors drawn where the server failed requests, p50/p99 per second with p99 >= p50; a
batch or a run shorter than 3 s looks as it always did (no strips)."""
import csv
import os
import tempfile
import xml.etree.ElementTree as ET

from latlab import Server, check, check_between, check_eq, client, run, test

SVG = "{http://www.w3.org/2000/svg}"


def by_class(root, cls):
    """The elements whose class is cls, by their data-second."""
    return {int(e.get("data-second")): e for e in root.iter() if e.get("class") == cls}


def title(e):
    t = e.find(SVG + "title")
    return t.text if t is not None else ""


@test
def long_rate_run_draws_each_second_as_the_per_second_csv_counts_it():
    # 50/s for 4 s: about 50 requests a second; the server answers a fifth of them with a 500
    with Server() as s, tempfile.TemporaryDirectory() as tmp:
        svg, rows_path = os.path.join(tmp, "x.svg"), os.path.join(tmp, "y.csv")
        p = client("async", "-d", "4s", "--rate", 50, "--max-errors", 200, "--timeline", svg,
                   "--per-second", rows_path, s.url + "/naver?latency=20ms&status=200:0.8,500:0.2")
        check_eq(p.returncode, 0, "exit code (%s)" % p.stderr[-300:])
        with open(rows_path) as f:
            rows = list(csv.DictReader(f))
        root = ET.parse(svg).getroot()
    check_between(len(rows), 4, 5, "seconds in the CSV")
    check_eq(sum(int(r["requests"]) for r in rows), 200, "every request in some second")
    bars, errs, lat = by_class(root, "persec"), by_class(root, "persec-err"), by_class(root, "persec-lat")
    check_eq(sorted(bars), list(range(len(rows))), "one persec bar per CSV row")
    for r in rows:
        k, n, e = int(r["second"]), int(r["requests"]), int(r["errors"])
        b = bars[k]
        check_eq((int(b.get("data-requests")), int(b.get("data-errors"))), (n, e), "second %d's counts" % k)
        check(title(b).startswith("second %d " % k), "second %d's tooltip: %r" % (k, title(b)))
        check(("%d requests" % n) in title(b) and ("%d errors" % e) in title(b), "tooltip %r" % title(b))
        if e:
            check(k in errs, "second %d's %d errors drawn in red" % (k, e))
            check_eq(int(errs[k].get("data-errors")), e, "second %d's red part" % k)
            check(float(errs[k].get("height")) <= float(b.get("height")), "red part within its bar")
        else:
            check(k not in errs, "no red part in second %d" % k)
        if r["p50_ms"]:
            got = (lat[k].get("data-p50-ms"), lat[k].get("data-p99-ms"))
            check_eq(got, (r["p50_ms"], r["p99_ms"]), "second %d's p50/p99" % k)
            check(float(got[1]) >= float(got[0]), "second %d: p99 %s >= p50 %s" % (k, got[1], got[0]))
            check("p50 " in title(lat[k]) and "p99 " in title(lat[k]), "latency tooltip %r" % title(lat[k]))
        else:
            check(k not in lat, "second %d without responses leaves a gap" % k)
    # a fifth of 200 failed: the red parts are there, in the whole seconds at least
    check_between(sum(int(e.get("data-errors")) for e in errs.values()), 15, 70, "errors drawn")
    check(all(k in errs for k in range(3)), "errors in each of the first three seconds: %r" % sorted(errs))
    classes = {e.get("class") for e in root.iter()}
    check({"p50", "p99"} <= classes, "the p50 and p99 lines")


@test
def short_batch_and_short_run_have_no_per_second_strips():
    with Server() as s, tempfile.TemporaryDirectory() as tmp:
        for args in (["-n", 20], ["-d", "2s", "--rate", 20]):
            svg = os.path.join(tmp, "x.svg")
            p = client("async", *args, "--timeline", svg, s.url + "/naver?latency=20ms")
            check_eq(p.returncode, 0, "%s exit code (%s)" % (args, p.stderr[-300:]))
            root = ET.parse(svg).getroot()
            check_eq(sum(1 for e in root.iter() if e.get("class") == "req"), 20 if args[0] == "-n" else 40,
                     "%s: one bar per request" % args)
            found = [e.get("class") for e in root.iter()
                     if e.get("class") in ("persec", "persec-err", "persec-lat", "p50", "p99")]
            check_eq(found, [], "%s: no per-second strips" % args)
            with open(svg) as f:
                check("per second" not in f.read(), "%s: no per-second labels" % args)


run()
