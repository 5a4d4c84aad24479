#!/usr/bin/env python3
"""run_all.py -- runs every lab in order and prints one summary table.

For each lab: how many trace lines it printed, how many distinct PIDs and TIDs they show
(one and one for sequential and asyncio, many TIDs for threads, many PIDs for processes) and
its elapsed time. The network-bound labs (01-04, waiting on latlab-server) come first; the
CPU-bound GIL lab (05, no network) follows in a section of its own with its comparison rows,
since its times measure the CPU, not the network. Pass --trace to see every lab's full
output. Exit status 1 when any lab failed.

    LATLAB_URL=http://127.0.0.1:8080 python3 labs/run_all.py [--trace]
Environment: as the labs (LATLAB_URL, LATLAB_REPEAT, LATLAB_WORKERS, LATLAB_TASKS, LATLAB_WORK).
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NETWORK_LABS = ["01_sequential.py", "02_threads.py", "03_processes.py", "04_asyncio.py"]
CPU_LABS = ["05_gil_cpu.py"]
TRACE = re.compile(r"^(\d+) process \| (\d+) (?:url|task) : (.*)$")
ELAPSED = re.compile(r"^elapsed: ([0-9.]+) s$")


HEADER = f"{'lab':<18} {'lines':>6} {'PIDs':>5} {'TIDs':>5} {'elapsed':>10}"


def run_lab(lab, show_trace):
    """Runs one lab, prints its row; returns its non-trace lines, or None when it failed."""
    p = subprocess.run([sys.executable, os.path.join(HERE, lab)], capture_output=True, text=True)
    if show_trace:
        sys.stdout.write(p.stdout)
    traces = [m for m in map(TRACE.match, p.stdout.splitlines()) if m]
    elapsed = [m.group(1) for m in map(ELAPSED.match, p.stdout.splitlines()) if m]
    if p.returncode != 0 or not elapsed:
        print(f"{lab:<18} FAILED (exit {p.returncode}): {p.stderr.strip()[-300:]}", flush=True)
        return None
    pids = {m.group(1) for m in traces}
    tids = {(m.group(1), m.group(2)) for m in traces}
    print(f"{lab:<18} {len(traces):>6} {len(pids):>5} {len(tids):>5} {elapsed[-1]:>8} s", flush=True)
    return [line for line in p.stdout.splitlines() if not TRACE.match(line)]


def main():
    show_trace = "--trace" in sys.argv[1:]
    print(f"latlab labs against {os.environ.get('LATLAB_URL', 'http://127.0.0.1:8080')}", flush=True)
    print("network-bound: the workers wait on latlab-server (concurrency pays)", flush=True)
    print(HEADER, flush=True)
    failed = sum(run_lab(lab, show_trace) is None for lab in NETWORK_LABS)
    print("\nCPU-bound: no network, pure-Python work (the GIL decides; parallelism pays)",
          flush=True)
    print(HEADER, flush=True)
    for lab in CPU_LABS:
        lines = run_lab(lab, show_trace)
        if lines is None:
            failed += 1
            continue
        for line in lines:
            if not ELAPSED.match(line):
                print("  " + line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
