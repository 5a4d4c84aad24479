#!/usr/bin/env python3
"""01_sequential.py -- the lecture's batch, one request after another (requests.Session).

Every request waits for the one before it, so the wall time is the sum of all the delays:
about 16 s at latlab-server's default latency. One process, one thread: every trace line
shows the same PID and the same TID.

    LATLAB_URL=http://127.0.0.1:8080 python3 labs/01_sequential.py
Environment: LATLAB_URL (base URL, default http://127.0.0.1:8080), LATLAB_REPEAT (default 50).
"""
import os
import sys
import threading
import time

import requests

BASE = os.environ.get("LATLAB_URL", "http://127.0.0.1:8080").rstrip("/")
REPEAT = int(os.environ.get("LATLAB_REPEAT", "50"))


def fetcher(session, index, url):
    # one write per line (end=""), so that lines from threads or processes never interleave
    print(f"{os.getpid()} process | {threading.get_native_id()} url : {url}\n", end="", flush=True)
    # X-Latlab-Seq: the server derives request k's delay from (seed, site, k), so every lab
    # and every latlab-client mode sees the same delays for the same batch
    with session.get(url, headers={"X-Latlab-Seq": str(index)}, timeout=120) as response:
        response.raise_for_status()
        return len(response.text), int(response.headers.get("X-Latlab-Delay-Us", "0"))


def main():
    urls = [f"{BASE}/naver", f"{BASE}/google"] * REPEAT
    with requests.Session() as session:
        return [fetcher(session, i, url) for i, url in enumerate(urls)]


if __name__ == "__main__":
    start = time.time()
    try:
        results = main()
    except requests.RequestException as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    end = time.time()
    delays = [d for _, d in results]
    print(f"requests: {len(results)}, bytes: {sum(n for n, _ in results)}")
    print(f"injected delay: total {sum(delays) / 1e6:.3f} s, max {max(delays, default=0) / 1e6:.3f} s")
    print(f"elapsed: {end - start:.3f} s")
