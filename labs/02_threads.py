#!/usr/bin/env python3
"""02_threads.py -- the lecture's batch on a ThreadPoolExecutor (one requests.Session shared).

While one thread waits for a response, the others send theirs: waiting is I/O, and Python
releases the GIL while it waits. The wall time is about (requests / workers) rounds of one
delay each. One PID, many TIDs in the trace. Concurrency up to the number of workers;
parallelism near 0: the threads spend their time waiting, not running.

    python3 labs/02_threads.py [--csv PATH]
Environment: LATLAB_URL, LATLAB_REPEAT (default 50), LATLAB_URLS, LATLAB_WORKERS (default 10).
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import lablib

lablib.require("requests")
import requests  # noqa: E402  (after require: it says what to install when this is missing)
from requests.adapters import HTTPAdapter  # noqa: E402

WORKERS = int(os.environ.get("LATLAB_WORKERS", "10"))


def fetcher(params):
    session, index, url, t0 = params
    lablib.trace(url)
    start = lablib.now_us()
    with session.get(url, headers={"X-Latlab-Seq": str(index)}, timeout=120) as response:
        response.raise_for_status()
        delay = int(response.headers.get("X-Latlab-Delay-Us", "0"))
        return lablib.row(index, url, t0, start, response.status_code, len(response.content), delay)


def main():
    urls = lablib.batch()
    t0 = lablib.now_us()
    executor = ThreadPoolExecutor(max_workers=WORKERS)
    with requests.Session() as session:
        # the session's connection pool keeps up to WORKERS connections alive
        session.mount("http://", HTTPAdapter(pool_connections=2, pool_maxsize=WORKERS))
        params = [(session, i, url, t0) for i, url in enumerate(urls)]
        with executor:
            return list(executor.map(fetcher, params))


if __name__ == "__main__":
    args = lablib.options(__doc__.splitlines()[0])
    start = time.time()
    try:
        rows = main()
    except requests.RequestException as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        os._exit(130)  # without waiting for the pool's threads to finish their requests
    end = time.time()
    if args.csv:
        lablib.write_csv(args.csv, rows, "threads")
    lablib.summary(rows, end - start, f", workers: {WORKERS}")
