"""lablib.py -- what the labs share, so that each lab file holds only its concurrency model.

- require("requests"): the lab runs with the python3 a student types. When that interpreter
  lacks a package and Debian's /usr/bin/python3 has it, the lab re-runs itself there (one note
  on stderr); otherwise it prints one line saying what to install, and exits 2. No traceback.
- batch(): the lecture's batch, [naver, google] * LATLAB_REPEAT, or LATLAB_URLS (full URLs,
  separated by commas or spaces) * LATLAB_REPEAT.
- options(): the labs' command line: --csv PATH (one row per request, in latlab-client's CSV
  schema, so `latlab-client timeline PATH.csv -o out.svg` draws a Python run beside the C one).
- Recorder: times each request on CLOCK_MONOTONIC (shared by every process of the machine)
  from the batch's start, and writes the CSV.
Standard library only: it must load before the lab knows whether its packages are there.
"""
import argparse
import csv
import importlib.util
import os
import subprocess
import sys
import threading
import time

DEBIAN_PYTHON = "/usr/bin/python3"
CSV_HEADER = ["index", "url", "pid", "tid", "start_us", "end_us", "status", "bytes", "delay_us",
              "error", "mode"]


def require(*modules):
    """Returns when every module can be imported; otherwise re-runs the lab under Debian's
    python3 when that one has them, or exits 2 with one line saying what to install."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    lab = os.path.basename(sys.argv[0])
    # LATLAB_PYTHON_FALLBACK: the interpreter to try (tests set it to check the message)
    fallback = os.environ.get("LATLAB_PYTHON_FALLBACK", DEBIAN_PYTHON)
    tried = os.environ.get("LATLAB_LAB_REEXEC") == "1"
    if not tried and os.access(fallback, os.X_OK) and \
            os.path.realpath(fallback) != os.path.realpath(sys.executable):
        probe = subprocess.run([fallback, "-c", "import " + ", ".join(missing)],
                               capture_output=True)
        if probe.returncode == 0:
            print(f"note: {sys.executable} has no {', '.join(missing)}; running {lab} with "
                  f"{fallback}", file=sys.stderr, flush=True)
            os.environ["LATLAB_LAB_REEXEC"] = "1"
            os.execv(fallback, [fallback] + sys.argv)
    debs = " ".join("python3-" + m for m in missing)
    print(f"error: {lab} needs the Python package {' and '.join(missing)}, which "
          f"{sys.executable} lacks: install it with 'sudo apt-get install {debs}' (Debian) or "
          f"'{sys.executable} -m pip install {' '.join(missing)}', or run the lab with "
          f"{DEBIAN_PYTHON}", file=sys.stderr)
    sys.exit(2)


def batch():
    """The URLs the lab fetches, in order."""
    base = os.environ.get("LATLAB_URL", "http://127.0.0.1:8080").rstrip("/")
    repeat = int(os.environ.get("LATLAB_REPEAT", "50"))
    listed = os.environ.get("LATLAB_URLS", "").replace(",", " ").split()
    return (listed or [f"{base}/naver", f"{base}/google"]) * repeat


def options(description):
    """Parses the lab's command line (--csv PATH)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--csv", metavar="PATH",
                   help="write one row per request in latlab-client's CSV schema")
    return p.parse_args()


def trace(url):
    """The lecture's trace line; one write per line (end=""), so that lines from threads or
    processes never interleave."""
    print(f"{os.getpid()} process | {threading.get_native_id()} url : {url}\n", end="", flush=True)


def now_us():
    return time.monotonic_ns() // 1000


def row(index, url, t0_us, start_us, status, nbytes, delay_us, error=""):
    """One request's CSV row (a plain tuple, so it pickles back from a worker process)."""
    return (index, url, os.getpid(), threading.get_native_id(), start_us - t0_us,
            now_us() - t0_us, status, nbytes, "" if delay_us is None else delay_us, error)


def error_class(exc):
    """The client's error classes: connect, timeout, http, other."""
    name = type(exc).__name__.lower()
    if "timeout" in name:
        return "timeout"
    if "connect" in name:
        return "connect"
    if "status" in name or "http" in name or "response" in name:
        return "http"
    return "other"


def summary(rows, elapsed_s, extra=""):
    """The labs' closing lines: requests and bytes, the injected delays, the elapsed time."""
    delays = [r[8] for r in rows if r[8] != ""]
    print(f"requests: {len(rows)}, bytes: {sum(r[7] for r in rows)}{extra}")
    print(f"injected delay: total {sum(delays) / 1e6:.3f} s, max {max(delays, default=0) / 1e6:.3f} s")
    print(f"elapsed: {elapsed_s:.3f} s")


def write_csv(path, rows, mode):
    """Writes rows (from row()) to path: a temporary file renamed over it."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_HEADER)
        for r in sorted(rows, key=lambda r: r[0]):
            w.writerow(list(r) + [mode])
    os.replace(tmp, path)
