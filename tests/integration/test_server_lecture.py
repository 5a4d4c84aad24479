"""test_server_lecture.py -- the lecture's Python requests and aiohttp programs, with the URL
changed to the stand-in server, run against it (Debian's python3-requests, python3-aiohttp)."""
import os
import subprocess
import tempfile

from latlab import CheckedServer, SLACK, check, check_between, check_eq, http_json, run, test



# The lecture's programs, unchanged except for where the URLs point.
SEQUENTIAL = '''
import os, threading, time
import requests

BASE = os.environ["LATLAB_URL"]

def fetcher(session, url):
    print(f"{os.getpid()} process | {threading.get_ident()} url : {url}")
    with session.get(url) as response:
        return response.text

def main():
    urls = [BASE + "/naver", BASE + "/google"] * 50
    with requests.Session() as session:
        result = [fetcher(session, url) for url in urls]
        print(len(result), sum(len(r) for r in result))

if __name__ == "__main__":
    start = time.time()
    main()
    end = time.time()
    print(end - start)
'''

ASYNC = '''
import asyncio, os, threading, time
import aiohttp

BASE = os.environ["LATLAB_URL"]

async def fetcher(session, url):
    print(f"{os.getpid()} process | {threading.get_ident()} url : {url}")
    async with session.get(url) as response:
        return await response.text()

async def main():
    urls = [BASE + "/naver", BASE + "/google"] * 50
    async with aiohttp.ClientSession() as session:
        result = await asyncio.gather(*[fetcher(session, url) for url in urls])
        print(len(result), sum(len(r) for r in result))

if __name__ == "__main__":
    start = time.time()
    asyncio.run(main())
    end = time.time()
    print(end - start)
'''

SCALE = 0.05  # the 16 s lesson in ~0.8 s


def run_program(source, url):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    try:
        env = dict(os.environ, LATLAB_URL=url)
        p = subprocess.run(["/usr/bin/python3", f.name], capture_output=True, text=True,
                           env=env, timeout=60 * SLACK)
    finally:
        os.unlink(f.name)
    check_eq(p.returncode, 0, "exit status (stderr: %s)" % p.stderr[-500:])
    lines = p.stdout.strip().splitlines()
    trace = [l for l in lines if " process | " in l]
    check_eq(len(trace), 100, "trace lines")
    check_eq(lines[-2], "100 %d" % (50 * 160 * 1024 + 50 * 48 * 1024), "bodies received")
    return float(lines[-1])


def injected_seconds(s):
    _, _, st = http_json(s.url + "/__latlab/stats")
    return st["injected_delay_s"]


@test
def lecture_requests_program_runs_sequentially():
    with CheckedServer("--time-scale", str(SCALE)) as s:
        took = run_program(SEQUENTIAL, s.url)
        ideal = injected_seconds(s)
        check_between(ideal, 14.5 * SCALE, 18.0 * SCALE, "injected delay of the batch (s)")
        check_between(took, ideal, ideal + 1.5 * SLACK, "sequential wall (s) vs injected sum")


@test
def lecture_aiohttp_program_overlaps_the_delays():
    with CheckedServer("--time-scale", str(SCALE)) as s:
        took = run_program(ASYNC, s.url)
        ideal = injected_seconds(s)
        _, _, st = http_json(s.url + "/__latlab/stats")
        check(st["max_in_flight"] >= 50, "requests overlapped: max in flight %d" % st["max_in_flight"])
        check(took < ideal / 3, "async wall %.2fs vs sequential ideal %.2fs" % (took, ideal))


run()
