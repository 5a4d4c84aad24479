#!/usr/bin/env python3
"""05_gil_cpu.py -- CPU-bound work: sequential vs threads vs processes, and the GIL.

The same tasks (a pure-Python loop, no I/O) run three ways. Threads do not help: CPython's
Global Interpreter Lock lets one thread run Python bytecode at a time, so the threads take
turns on one core and the wall time stays that of sequential (or a little worse). Processes
each have their own interpreter and GIL and run on separate cores at once: parallelism. The
"cores" column (CPU time / wall time) shows it: about 1.0 for threads, about the number of
free cores for processes. Compare with 02_threads.py, where threads do win: waiting for the
network releases the GIL.

    python3 labs/05_gil_cpu.py
Environment: LATLAB_TASKS (default 8), LATLAB_WORK (loop iterations per task, default
10000000), LATLAB_WORKERS (threads and processes, default: the number of CPUs, at least 2).
"""
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

TASKS = int(os.environ.get("LATLAB_TASKS", "8"))
WORK = int(os.environ.get("LATLAB_WORK", "10000000"))
WORKERS = int(os.environ.get("LATLAB_WORKERS", "0")) or max(2, os.cpu_count() or 1)


def cpu_bound(task):
    """Sums squares in a pure-Python loop: bytecode all the way, so it holds the GIL."""
    # one write per line (end=""), so that lines from threads or processes never interleave
    print(f"{os.getpid()} process | {threading.get_native_id()} task : {task}\n", end="", flush=True)
    t0 = time.thread_time()
    total = 0
    for i in range(WORK):
        total += i * i % 7
    return total, time.thread_time() - t0  # result, CPU seconds this task used


def run_sequential(tasks):
    return [cpu_bound(t) for t in tasks]


def run_threads(tasks):
    with ThreadPoolExecutor(max_workers=WORKERS) as executor:
        return list(executor.map(cpu_bound, tasks))


def run_processes(tasks):
    with multiprocessing.Pool(WORKERS) as pool:
        return pool.map(cpu_bound, tasks, chunksize=1)


def main():
    tasks = list(range(TASKS))
    rows = []
    expected = None
    for name, fn in (("sequential", run_sequential), ("threads", run_threads),
                     ("processes", run_processes)):
        start = time.time()
        results = fn(tasks)
        wall = time.time() - start
        answers = [r for r, _ in results]
        if expected is None:
            expected = answers
        assert answers == expected, f"{name} computed different results"
        cpu = sum(c for _, c in results)
        rows.append((name, wall, cpu))
    print(f"{TASKS} tasks x {WORK} iterations, {WORKERS} workers, {os.cpu_count()} CPUs")
    seq_wall = rows[0][1]
    for name, wall, cpu in rows:
        print(f"{name}: elapsed {wall:.3f} s, cpu {cpu:.3f} s, cores {cpu / wall:.2f}, "
              f"speed-up {seq_wall / wall:.2f}x")
    return sum(wall for _, wall, _ in rows)


if __name__ == "__main__":
    start = time.time()
    main()
    print(f"elapsed: {time.time() - start:.3f} s")
