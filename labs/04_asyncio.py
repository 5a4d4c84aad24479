#!/usr/bin/env python3
"""04_asyncio.py -- the lecture's batch with asyncio + aiohttp and gather: all in flight at once.

One process, one thread, one event loop: while a request waits for its response the loop
runs the others. Concurrency without parallelism: about 100 requests in flight, one thread
on a CPU now and then. The wall time is about the longest single delay, not the sum. Every
trace line shows the same PID and TID.

    python3 labs/04_asyncio.py [--csv PATH]
Environment: LATLAB_URL, LATLAB_REPEAT (default 50), LATLAB_URLS.
"""
import asyncio
import resource
import sys
import time

import lablib

lablib.require("aiohttp")
import aiohttp  # noqa: E402  (after require: it says what to install when this is missing)


def connection_cap(n):
    """Every request in flight holds a socket: raise the open-files limit as far as allowed,
    and keep the number in flight below it (as latlab-client does), saying so."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > soft):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    cap = n if soft == resource.RLIM_INFINITY else max(1, soft - 64)
    if n > cap:
        print(f"note: {n} requests but the open-files limit ({soft}) allows {cap} in flight; "
              f"the rest wait their turn (raise it with ulimit -n)", file=sys.stderr)
        return cap
    return 0  # aiohttp's "no cap"


async def fetcher(session, index, url, t0):
    lablib.trace(url)
    start = lablib.now_us()
    async with session.get(url, headers={"X-Latlab-Seq": str(index)}) as response:
        response.raise_for_status()
        body = await response.read()
        delay = int(response.headers.get("X-Latlab-Delay-Us", "0"))
        return lablib.row(index, url, t0, start, response.status, len(body), delay)


async def main():
    urls = lablib.batch()
    # limit=0: no cap on connections, so every request is in flight at once (aiohttp's
    # default caps a session at 100 connections); the open-files limit may set one
    connector = aiohttp.TCPConnector(limit=connection_cap(len(urls)))
    timeout = aiohttp.ClientTimeout(total=120)
    t0 = lablib.now_us()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return await asyncio.gather(*[fetcher(session, i, url, t0) for i, url in enumerate(urls)])


if __name__ == "__main__":
    args = lablib.options(__doc__.splitlines()[0])
    start = time.time()
    try:
        rows = asyncio.run(main())
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        print(f"error: {e!r}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    end = time.time()
    if args.csv:
        lablib.write_csv(args.csv, rows, "async")
    lablib.summary(rows, end - start)
