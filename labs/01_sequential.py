#!/usr/bin/env python3
"""01_sequential.py -- the lecture's batch, one request after another (requests.Session).

Every request waits for the one before it, so the wall time is the sum of all the delays:
about 16 s at latlab-server's default latency. One process, one thread: every trace line
shows the same PID and the same TID. Concurrency 1, parallelism 1.

    python3 labs/01_sequential.py [--csv PATH]
Environment: LATLAB_URL (base URL, default http://127.0.0.1:8080), LATLAB_REPEAT (default 50),
LATLAB_URLS (full URLs instead of [naver, google]).
"""
import sys
import time

import lablib

lablib.require("requests")
import requests  # noqa: E402  (after require: it says what to install when this is missing)


def fetcher(session, index, url, t0):
    lablib.trace(url)
    start = lablib.now_us()
    # X-Latlab-Seq: the server derives request k's delay from (seed, site, k), so every lab
    # and every latlab-client mode sees the same delays for the same batch
    with session.get(url, headers={"X-Latlab-Seq": str(index)}, timeout=120) as response:
        response.raise_for_status()
        delay = int(response.headers.get("X-Latlab-Delay-Us", "0"))
        return lablib.row(index, url, t0, start, response.status_code, len(response.content), delay)


def main():
    urls = lablib.batch()
    t0 = lablib.now_us()
    with requests.Session() as session:
        return [fetcher(session, i, url, t0) for i, url in enumerate(urls)]


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
        sys.exit(130)
    end = time.time()
    if args.csv:
        lablib.write_csv(args.csv, rows, "sequential")
    lablib.summary(rows, end - start)
