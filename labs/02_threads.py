#!/usr/bin/env python3
"""02_threads.py -- the lecture's batch on a ThreadPoolExecutor (one requests.Session shared).

While one thread waits for a response, the others send theirs: waiting is I/O, and Python
releases the GIL while it waits. The wall time is about (requests / workers) rounds of one
delay each. One PID, many TIDs in the trace.

    LATLAB_URL=http://127.0.0.1:8080 python3 labs/02_threads.py
Environment: LATLAB_URL, LATLAB_REPEAT (default 50), LATLAB_WORKERS (default 10).
"""
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

BASE = os.environ.get("LATLAB_URL", "http://127.0.0.1:8080").rstrip("/")
REPEAT = int(os.environ.get("LATLAB_REPEAT", "50"))
WORKERS = int(os.environ.get("LATLAB_WORKERS", "10"))


def fetcher(params):
    session, index, url = params
    # one write per line (end=""), so that lines from threads or processes never interleave
    print(f"{os.getpid()} process | {threading.get_native_id()} url : {url}\n", end="", flush=True)
    with session.get(url, headers={"X-Latlab-Seq": str(index)}, timeout=120) as response:
        response.raise_for_status()
        return len(response.text), int(response.headers.get("X-Latlab-Delay-Us", "0"))


def main():
    urls = [f"{BASE}/naver", f"{BASE}/google"] * REPEAT
    executor = ThreadPoolExecutor(max_workers=WORKERS)
    with requests.Session() as session:
        # the session's connection pool keeps up to WORKERS connections alive
        session.mount("http://", HTTPAdapter(pool_connections=2, pool_maxsize=WORKERS))
        params = [(session, i, url) for i, url in enumerate(urls)]
        with executor:
            return list(executor.map(fetcher, params))


if __name__ == "__main__":
    start = time.time()
    try:
        results = main()
    except requests.RequestException as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    end = time.time()
    delays = [d for _, d in results]
    print(f"requests: {len(results)}, bytes: {sum(n for n, _ in results)}, workers: {WORKERS}")
    print(f"injected delay: total {sum(delays) / 1e6:.3f} s, max {max(delays, default=0) / 1e6:.3f} s")
    print(f"elapsed: {end - start:.3f} s")
