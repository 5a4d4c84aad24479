#!/usr/bin/env python3
"""04_asyncio.py -- the lecture's batch with asyncio + aiohttp and gather: all in flight at once.

One process, one thread, one event loop: while a request waits for its response the loop
runs the others. Concurrency without parallelism. The wall time is about the longest single
delay, not the sum. Every trace line shows the same PID and TID.

    LATLAB_URL=http://127.0.0.1:8080 python3 labs/04_asyncio.py
Environment: LATLAB_URL, LATLAB_REPEAT (default 50).
"""
import asyncio
import os
import sys
import threading
import time

import aiohttp

BASE = os.environ.get("LATLAB_URL", "http://127.0.0.1:8080").rstrip("/")
REPEAT = int(os.environ.get("LATLAB_REPEAT", "50"))


async def fetcher(session, index, url):
    # one write per line (end=""), so that lines from threads or processes never interleave
    print(f"{os.getpid()} process | {threading.get_native_id()} url : {url}\n", end="", flush=True)
    async with session.get(url, headers={"X-Latlab-Seq": str(index)}) as response:
        response.raise_for_status()
        text = await response.text()
        return len(text), int(response.headers.get("X-Latlab-Delay-Us", "0"))


async def main():
    urls = [f"{BASE}/naver", f"{BASE}/google"] * REPEAT
    # limit=0: no cap on connections, so every request is in flight at once (aiohttp's
    # default caps a session at 100 connections)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return await asyncio.gather(*[fetcher(session, i, url) for i, url in enumerate(urls)])


if __name__ == "__main__":
    start = time.time()
    try:
        results = asyncio.run(main())
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        print(f"error: {e!r}", file=sys.stderr)
        sys.exit(1)
    end = time.time()
    delays = [d for _, d in results]
    print(f"requests: {len(results)}, bytes: {sum(n for n, _ in results)}")
    print(f"injected delay: total {sum(delays) / 1e6:.3f} s, max {max(delays, default=0) / 1e6:.3f} s")
    print(f"elapsed: {end - start:.3f} s")
