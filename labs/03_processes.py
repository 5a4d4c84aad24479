#!/usr/bin/env python3
"""03_processes.py -- the lecture's batch on a multiprocessing.Pool (one Session per process).

Each worker is a separate process with its own interpreter (and its own GIL). For waiting on
the network that is parallelism we do not need -- threads already overlap the waits -- and it
costs a process start and pickling each result back. Many PIDs in the trace.

    python3 labs/03_processes.py [--csv PATH]
Environment: LATLAB_URL, LATLAB_REPEAT (default 50), LATLAB_URLS, LATLAB_WORKERS (default 10).
"""
import multiprocessing
import os
import signal
import sys
import time

import lablib

lablib.require("requests")
import requests  # noqa: E402  (after require: it says what to install when this is missing)

WORKERS = int(os.environ.get("LATLAB_WORKERS", "10"))
session = None  # one per worker process, made by init_worker


def init_worker():
    global session
    # Ctrl-C reaches every process of the terminal's group: the parent alone reports it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    session = requests.Session()


def fetcher(params):
    index, url, t0 = params
    lablib.trace(url)
    start = lablib.now_us()
    try:
        with session.get(url, headers={"X-Latlab-Seq": str(index)}, timeout=120) as response:
            response.raise_for_status()
            delay = int(response.headers.get("X-Latlab-Delay-Us", "0"))
            return lablib.row(index, url, t0, start, response.status_code,
                              len(response.content), delay)
    except requests.RequestException as e:
        # exceptions holding a response may not pickle: send the message back instead
        status = e.response.status_code if e.response is not None else 0
        return lablib.row(index, url, t0, start, status, 0, None,
                          f"{lablib.error_class(e)}: {url}: {e}")


def main():
    urls = lablib.batch()
    t0 = lablib.now_us()
    with multiprocessing.Pool(WORKERS, initializer=init_worker) as pool:
        return pool.map(fetcher, [(i, url, t0) for i, url in enumerate(urls)], chunksize=1)


if __name__ == "__main__":
    args = lablib.options(__doc__.splitlines()[0])
    start = time.time()
    try:
        rows = main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    end = time.time()
    if args.csv:
        lablib.write_csv(args.csv, rows, "processes")
    errors = [r[9] for r in rows if r[9]]
    if errors:
        print(f"error: {errors[0]} ({len(errors)} failed)", file=sys.stderr)
        sys.exit(1)
    lablib.summary(rows, end - start, f", workers: {WORKERS}")
