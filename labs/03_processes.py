#!/usr/bin/env python3
"""03_processes.py -- the lecture's batch on a multiprocessing.Pool (one Session per process).

Each worker is a separate process with its own interpreter (and its own GIL). For waiting on
the network that is parallelism we do not need -- threads already overlap the waits -- and it
costs a process start and pickling each result back. Many PIDs in the trace.

    LATLAB_URL=http://127.0.0.1:8080 python3 labs/03_processes.py
Environment: LATLAB_URL, LATLAB_REPEAT (default 50), LATLAB_WORKERS (default 10).
"""
import multiprocessing
import os
import sys
import threading
import time

import requests

BASE = os.environ.get("LATLAB_URL", "http://127.0.0.1:8080").rstrip("/")
REPEAT = int(os.environ.get("LATLAB_REPEAT", "50"))
WORKERS = int(os.environ.get("LATLAB_WORKERS", "10"))

session = None  # one per worker process, made by init_worker


def init_worker():
    global session
    session = requests.Session()


def fetcher(params):
    index, url = params
    # one write per line (end=""), so that lines from threads or processes never interleave
    print(f"{os.getpid()} process | {threading.get_native_id()} url : {url}\n", end="", flush=True)
    try:
        with session.get(url, headers={"X-Latlab-Seq": str(index)}, timeout=120) as response:
            response.raise_for_status()
            return len(response.text), int(response.headers.get("X-Latlab-Delay-Us", "0")), None
    except requests.RequestException as e:
        # exceptions holding a response may not pickle: send the message back instead
        return 0, 0, f"{url}: {e}"


def main():
    urls = [f"{BASE}/naver", f"{BASE}/google"] * REPEAT
    with multiprocessing.Pool(WORKERS, initializer=init_worker) as pool:
        return pool.map(fetcher, list(enumerate(urls)), chunksize=1)


if __name__ == "__main__":
    start = time.time()
    results = main()
    end = time.time()
    errors = [e for _, _, e in results if e]
    if errors:
        print(f"error: {errors[0]} ({len(errors)} failed)", file=sys.stderr)
        sys.exit(1)
    delays = [d for _, d, _ in results]
    print(f"requests: {len(results)}, bytes: {sum(n for n, _, _ in results)}, workers: {WORKERS}")
    print(f"injected delay: total {sum(delays) / 1e6:.3f} s, max {max(delays, default=0) / 1e6:.3f} s")
    print(f"elapsed: {end - start:.3f} s")
