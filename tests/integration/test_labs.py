"""test_labs.py -- every lab in labs/ runs against latlab-server and shows the lesson's ordering.

The labs are run by Debian's /usr/bin/python3 with python3-requests and python3-aiohttp, as a
student would, against a real server with a small --time-scale. Envelopes come from the delays
the server injected (each lab prints their total), never from the machine's speed."""
import os
import re
import subprocess

from latlab import ROOT, SLACK, Server, check, check_eq, client, free_port, run, test

LABS = os.path.join(ROOT, "labs")
PYTHON = "/usr/bin/python3"
SCALE = "0.2"  # server delays: about 32 ms a request, so latency dominates Python's overheads
REPEAT = 10  # 20 requests: [naver, google] * 10
TRACE = re.compile(r"^(\d+) process \| (\d+) (url|task) : (.*)$")


class LabRun:
    def __init__(self, proc, stdout, stderr):
        self.pid = proc.pid
        self.returncode = proc.returncode
        self.stdout = stdout
        self.stderr = stderr
        lines = stdout.splitlines()
        self.traces = [m.groups() for m in map(TRACE.match, lines) if m]
        self.other = [l for l in lines if not TRACE.match(l)]

    def value(self, pattern):
        for line in self.other:
            m = re.match(pattern, line)
            if m:
                return m.groups()
        raise AssertionError("no line matching %r in:\n%s\n%s" % (pattern, self.stdout[-2000:], self.stderr))

    @property
    def elapsed(self):
        return float(self.value(r"^elapsed: ([0-9.]+) s$")[0])

    @property
    def injected(self):
        total, mx = self.value(r"^injected delay: total ([0-9.]+) s, max ([0-9.]+) s$")
        return float(total), float(mx)


def lab(name, timeout=60, **env):
    full = dict(os.environ)
    full.update({k: str(v) for k, v in env.items()})
    p = subprocess.Popen([PYTHON, os.path.join(LABS, name)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=full)
    try:
        out, err = p.communicate(timeout=timeout * SLACK)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError("%s did not finish within %ss: %s" % (name, timeout, err[-500:]))
    return LabRun(p, out, err)


def io_lab(name, url, **env):
    r = lab(name, LATLAB_URL=url, LATLAB_REPEAT=REPEAT, **env)
    check(r.returncode == 0, "%s exited %d: %s" % (name, r.returncode, r.stderr[-800:]))
    want = ["%s/naver" % url, "%s/google" % url] * REPEAT
    check_eq(sorted(t[3] for t in r.traces), sorted(want), "%s: URLs in its trace lines" % name)
    check(all(t[2] == "url" for t in r.traces), "trace lines read 'PID process | TID url : URL'")
    check_eq(r.value(r"^requests: (\d+)")[0], str(len(want)), "%s: requests" % name)
    return r


@test
def labs_show_the_lesson_sequential_slow_threads_processes_async_fast():
    with Server("--time-scale", SCALE) as s:
        seq = io_lab("01_sequential.py", s.url)
        thr = io_lab("02_threads.py", s.url, LATLAB_WORKERS=10)
        prc = io_lab("03_processes.py", s.url, LATLAB_WORKERS=10)
        asy = io_lab("04_asyncio.py", s.url)
    total, longest = seq.injected
    check(total > 0 and longest > 0, "the server injected delays (X-Latlab-Delay-Us)")
    # sequential waits for every delay in turn
    check(seq.elapsed >= 0.9 * total, "sequential %.3fs >= 0.9 x injected total %.3fs" % (seq.elapsed, total))
    for r, name in ((thr, "threads"), (prc, "processes"), (asy, "asyncio")):
        check(r.elapsed >= 0.9 * longest,
              "%s %.3fs >= 0.9 x the longest delay %.3fs" % (name, r.elapsed, longest))
        # generous: 10 workers (or all in flight) make 20 waits overlap into a few rounds
        check(r.elapsed * 2 < seq.elapsed,
              "%s %.3fs at least twice as fast as sequential %.3fs" % (name, r.elapsed, seq.elapsed))


@test
def labs_send_x_latlab_seq_so_every_lab_sees_the_same_delays():
    with Server("--time-scale", SCALE) as s:
        runs = [io_lab(n, s.url) for n in ("01_sequential.py", "02_threads.py",
                                            "03_processes.py", "04_asyncio.py")]
        # a second sequential run on the same server: per-site counters moved on, seq did not
        runs.append(io_lab("01_sequential.py", s.url))
        urls = ["%s/naver" % s.url, "%s/google" % s.url]
        cj = client("sequential", "--repeat", REPEAT, "--quiet", "--json", "-", *urls)
    totals = [r.injected for r in runs]
    for t in totals[1:]:
        check_eq(t, totals[0], "injected delays (total, max) of every lab")
    check(cj.returncode == 0, "latlab-client exited %d: %s" % (cj.returncode, cj.stderr))
    import json
    ideal = json.loads(cj.stdout)["ideal_s"]
    check(abs(ideal - totals[0][0]) <= 0.002,
          "latlab-client's sequential ideal %.4fs equals the labs' injected total %.3fs" % (ideal, totals[0][0]))


@test
def lab_trace_lines_show_one_thread_many_threads_many_processes():
    with Server("--time-scale", "0.05") as s:
        seq = io_lab("01_sequential.py", s.url)
        thr = io_lab("02_threads.py", s.url, LATLAB_WORKERS=4)
        prc = io_lab("03_processes.py", s.url, LATLAB_WORKERS=4)
        asy = io_lab("04_asyncio.py", s.url)
    for r, name in ((seq, "sequential"), (asy, "asyncio")):
        check_eq({t[0] for t in r.traces}, {str(r.pid)}, "%s: PIDs (the lab's own)" % name)
        check_eq(len({t[1] for t in r.traces}), 1, "%s: one TID" % name)
    # sequential keeps the lecture's order
    check_eq([t[3] for t in seq.traces], ["%s/naver" % s.url, "%s/google" % s.url] * REPEAT,
             "sequential order")
    check_eq({t[0] for t in thr.traces}, {str(thr.pid)}, "threads: one PID")
    check(2 <= len({t[1] for t in thr.traces}) <= 4, "threads: 2..4 TIDs with 4 workers")
    pids = {t[0] for t in prc.traces}
    check(2 <= len(pids) <= 4 and str(prc.pid) not in pids,
          "processes: 2..4 worker PIDs, not the parent's: %r" % sorted(pids))


@test
def labs_fail_with_exit_1_when_the_server_is_down():
    url = "http://127.0.0.1:%d" % free_port()
    for name in ("01_sequential.py", "02_threads.py", "03_processes.py", "04_asyncio.py"):
        r = lab(name, LATLAB_URL=url, LATLAB_REPEAT=1, LATLAB_WORKERS=2)
        check_eq(r.returncode, 1, "%s exit status against a closed port" % name)
        check("error:" in r.stderr, "%s names the error: %r" % (name, r.stderr[-300:]))
        check("elapsed:" not in r.stdout, "%s reports no time for a failed batch" % name)


def gil_run():
    r = lab("05_gil_cpu.py", timeout=120, LATLAB_TASKS=4, LATLAB_WORK=3000000, LATLAB_WORKERS=2)
    check(r.returncode == 0, "05_gil_cpu.py exited %d: %s" % (r.returncode, r.stderr[-800:]))
    modes = {}
    for mode in ("sequential", "threads", "processes"):
        wall, cpu, cores = r.value(r"^%s: elapsed ([0-9.]+) s, cpu ([0-9.]+) s, cores ([0-9.]+)" % mode)
        modes[mode] = (float(wall), float(cpu), float(cores))
    check_eq(len(r.traces), 12, "one trace line per task and mode")
    return r, modes


@test
def gil_lab_processes_beat_threads_on_cpu_bound_work():
    if (os.cpu_count() or 1) < 2:
        raise AssertionError("needs 2 CPUs to show parallelism; this machine has %r" % os.cpu_count())
    # Parallelism needs a free core, and a busy neighbour (another build, a fuzzer) can take
    # one away for a while: keep the best time of each mode over up to 8 runs and stop as soon
    # as the lesson shows. Threads can never show it (the GIL), so this cannot pass by chance.
    best, seen = {}, []
    for attempt in range(8):
        r, modes = gil_run()
        # the GIL: threads never run Python bytecode on two cores at once, whatever the load
        check(modes["threads"][2] <= 1.15, "threads used %.2f cores (the GIL allows 1)" % modes["threads"][2])
        thread_pids = {t[0] for t in r.traces[4:8]}
        proc_pids = {t[0] for t in r.traces[8:12]}
        check_eq(thread_pids, {str(r.pid)}, "threads run in the lab's process")
        check(str(r.pid) not in proc_pids, "processes run in worker processes")
        for m, (wall, _, _) in modes.items():
            best[m] = min(best.get(m, wall), wall)
        with open("/proc/loadavg") as f:
            seen.append("run %d: %s; load %s" % (attempt + 1, ", ".join(
                "%s %.3fs/%.2f cores" % (m, w, c) for m, (w, _, c) in modes.items()), f.read().split()[0]))
        if best["processes"] < 0.85 * best["threads"]:
            break
    diag = "\n".join(seen)
    check(best["threads"] >= 0.8 * best["sequential"],
          "threads %.3fs no faster than sequential %.3fs (within slack)\n%s" % (best["threads"], best["sequential"], diag))
    check(best["processes"] < 0.85 * best["threads"],
          "processes %.3fs faster than threads %.3fs\n%s" % (best["processes"], best["threads"], diag))

@test
def labs_readmes_name_every_lab_and_only_real_files_and_variables():
    labs = sorted(f for f in os.listdir(LABS) if f.endswith(".py"))
    for readme in (os.path.join(LABS, "README.md"), os.path.join(ROOT, "README.ko.md")):
        with open(readme) as f:
            text = f.read()
        named = set(re.findall(r"\b(\d\d_\w+\.py|run_all\.py)\b", text))
        check_eq(sorted(named - set(labs)), [], "%s names labs that do not exist" % readme)
        check_eq(sorted(set(labs) - named), [], "labs %s does not name" % readme)
        for rel in re.findall(r"\((\w[\w./-]*\.md)\)", text):
            check(os.path.exists(os.path.join(os.path.dirname(readme), rel)), "%s links %s" % (readme, rel))
    with open(os.path.join(LABS, "README.md")) as f:
        documented = set(re.findall(r"`(LATLAB_[A-Z_]+)`", f.read()))
    used = set()
    for lab in labs:
        with open(os.path.join(LABS, lab)) as f:
            used |= set(re.findall(r"environ\.get\(\"(LATLAB_[A-Z_]+)\"", f.read()))
    check_eq(sorted(used - documented), [], "variables the labs read but labs/README.md does not document")
    check_eq(sorted(documented - used), [], "variables labs/README.md documents but no lab reads")


run()
