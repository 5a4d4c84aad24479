"""test_demo.py -- scripts/demo.sh (make demo): the table, the timeline, and no process left.

demo.sh is run on a private BUILD_DIR of symlinks to the real programs, so its SVG lands in a
temporary directory and every process it starts carries that directory in its argv[0]: after the
demo, /proc must hold none of them."""
import os
import re
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

from latlab import CLIENT_BIN, ROOT, SERVER_BIN, SLACK, check, check_eq, run, test

DEMO = os.path.join(ROOT, "scripts", "demo.sh")
MODES = ("sequential", "threads", "processes", "async")


def private_build(tmp, server=SERVER_BIN):
    d = os.path.join(tmp, "build")
    os.mkdir(d)
    if os.path.isabs(server) and os.path.exists(server):
        os.symlink(server, os.path.join(d, "latlab-server"))
    os.symlink(CLIENT_BIN, os.path.join(d, "latlab-client"))
    return d


def processes_under(path):
    """PIDs whose command line mentions path (our symlinked programs, our fakes)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if path in cmd and state != "Z":
            found.append((int(pid), cmd))
    return found


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def demo(build, scale, timeout=120, **env):
    full = dict(os.environ, LATLAB_TIME_SCALE=str(scale))
    full.update({k: str(v) for k, v in env.items()})
    return subprocess.run(["sh", DEMO, build], capture_output=True, text=True,
                          timeout=timeout * SLACK, env=full)


@test
def demo_prints_the_table_writes_the_timeline_and_stops_the_server():
    with tempfile.TemporaryDirectory(prefix="latlab-demo-test-") as tmp:
        build = private_build(tmp)
        p = demo(build, 0.02)
        check(p.returncode == 0, "demo.sh exited %d:\n%s\n%s" % (p.returncode, p.stdout[-1500:], p.stderr[-1500:]))
        for mode in MODES:
            check(re.search(r"(?m)^\s*%s\b" % mode, p.stdout), "the table has a %s row:\n%s" % (mode, p.stdout))
        m = re.search(r"latlab-server \(pid (\d+)\) on (http://127\.0\.0\.1:\d+), time scale 0\.02", p.stdout)
        check(m, "demo names the server's pid, URL and time scale:\n%s" % p.stdout[:500])
        svg = os.path.join(build, "demo-timeline.svg")
        check(os.path.getsize(svg) > 0, "timeline written to BUILD/demo-timeline.svg")
        root = ET.parse(svg).getroot()
        check_eq(root.tag, "{http://www.w3.org/2000/svg}svg", "the timeline's root element")
        check("timeline: %s" % svg in p.stdout, "demo tells where the timeline is")
        check(not pid_alive(int(m.group(1))), "server pid %s is gone" % m.group(1))
        check_eq(processes_under(tmp), [], "processes left behind")


def interrupt_demo(tmp, send):
    """Starts the demo at time scale 1.0 (a 16 s sequential run), waits until its client runs,
    calls send(popen), and returns (exit status, seconds from the signal to the exit)."""
    build = private_build(tmp)
    env = dict(os.environ, LATLAB_TIME_SCALE="1.0")
    p = subprocess.Popen(["sh", DEMO, build], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 15 * SLACK
        client_path = os.path.join(build, "latlab-client")
        while time.monotonic() < deadline:
            if any(client_path in cmd for _, cmd in processes_under(tmp)):
                break
            if p.poll() is not None:
                raise AssertionError("demo.sh ended early: %s" % p.stderr.read())
            time.sleep(0.05)
        else:
            raise AssertionError("latlab-client never started: %r" % processes_under(tmp))
        time.sleep(0.3)
        check(any(os.path.join(build, "latlab-server") in cmd for _, cmd in processes_under(tmp)),
              "the server runs while the client does")
        t0 = time.monotonic()
        send(p)
        p.communicate(timeout=30 * SLACK)
        took = time.monotonic() - t0
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    deadline = time.monotonic() + 5 * SLACK
    while processes_under(tmp) and time.monotonic() < deadline:
        time.sleep(0.05)  # children of a killed client may take a moment to be reaped
    check_eq(processes_under(tmp), [], "processes left behind")
    return p.returncode, took


@test
def demo_ctrl_c_stops_the_server_and_leaves_no_process():
    with tempfile.TemporaryDirectory(prefix="latlab-demo-test-") as tmp:
        # Ctrl-C at a terminal: SIGINT to the whole foreground process group
        rc, took = interrupt_demo(tmp, lambda p: os.killpg(p.pid, signal.SIGINT))
        check(rc != 0, "an interrupted demo does not report success: %d" % rc)


@test
def demo_sigterm_to_the_script_alone_stops_client_and_server_at_once():
    with tempfile.TemporaryDirectory(prefix="latlab-demo-test-") as tmp:
        # a supervisor (timeout, CI) signals only the script: it must clean up its children
        rc, took = interrupt_demo(tmp, lambda p: p.send_signal(signal.SIGTERM))
        check_eq(rc, 143, "exit status after SIGTERM")
        # the batch had 15 s of sequential requests left; the server's grace is one delay
        check(took < 8 * SLACK, "demo stopped %.1fs after SIGTERM, not after the batch" % took)


@test
def demo_fails_cleanly_when_the_server_cannot_start():
    with tempfile.TemporaryDirectory(prefix="latlab-demo-test-") as tmp:
        fake = os.path.join(tmp, "failing-server")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho 'latlab-server: cannot bind 127.0.0.1:0: Permission denied' >&2\nexit 1\n")
        os.chmod(fake, 0o755)
        build = private_build(tmp, server=fake)
        t0 = time.monotonic()
        p = demo(build, 0.02, timeout=30)
        check_eq(p.returncode, 1, "demo exit status")
        check("cannot bind" in p.stderr, "the server's own message is shown: %r" % p.stderr)
        check(time.monotonic() - t0 < 5 * SLACK, "no waiting for a port file from a dead server")


@test
def demo_gives_up_on_a_server_that_never_listens_and_kills_it():
    with tempfile.TemporaryDirectory(prefix="latlab-demo-test-") as tmp:
        pid_file = os.path.join(tmp, "pid")
        fake = os.path.join(tmp, "silent-server")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho $$ > '%s'\nexec sleep 300\n" % pid_file)
        os.chmod(fake, 0o755)
        build = private_build(tmp, server=fake)
        p = demo(build, 0.02, timeout=30, LATLAB_DEMO_START_TIMEOUT=1)
        check_eq(p.returncode, 1, "demo exit status")
        check("no port file within 1s" in p.stderr, "demo says why: %r" % p.stderr)
        with open(pid_file) as f:
            pid = int(f.read())
        check(not pid_alive(pid), "the silent server (pid %d) was stopped" % pid)


@test
def demo_refuses_a_build_dir_without_programs():
    with tempfile.TemporaryDirectory(prefix="latlab-demo-test-") as tmp:
        p = demo(tmp, 0.02, timeout=10)
        check_eq(p.returncode, 2, "demo exit status")
        check("run make first" in p.stderr, "demo says what to do: %r" % p.stderr)


run()
