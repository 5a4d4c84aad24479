"""test_server_cli.py -- latlab-server's command line, config file, port file and access log."""
import os
import socket
import subprocess
import tempfile

from latlab import (CheckedServer, ROOT, SERVER_BIN, SLACK, Server, check, check_eq, config_file, http_get,
                    http_json, run, test)




def server_exit(*args, timeout=10):
    """Runs the server expecting it to exit by itself; returns (rc, stdout, stderr)."""
    p = subprocess.run([SERVER_BIN] + list(args), capture_output=True, text=True,
                       timeout=timeout * SLACK)
    return p.returncode, p.stdout, p.stderr


@test
def help_and_version_exit_0():
    rc, out, _ = server_exit("--help")
    check_eq(rc, 0)
    check("usage: latlab-server" in out, "usage text")
    rc, out, _ = server_exit("--version")
    check_eq((rc, out), (0, "latlab-server 0.1.0\n"))


CLI_ERRORS = [
    (["--port", "65536"], "--port"),
    (["--port", "-1"], "--port"),
    (["--port", "eighty"], "--port"),
    (["--port"], "--port"),
    (["--seed", "1.5"], "--seed"),
    (["--time-scale", "-1"], "--time-scale"),
    (["--time-scale", "nan"], "--time-scale"),
    (["--time-scale", "1001"], "--time-scale"),
    (["--max-delay", "0"], "--max-delay"),
    (["--max-delay", "2h"], "--max-delay"),
    (["--max-delay", "10"], "--max-delay"),
    (["--idle-timeout", "500ms"], "--idle-timeout"),
    (["--idle-timeout", "2h"], "--idle-timeout"),
    (["--idle-timeout", "15"], "--idle-timeout"),
    (["--grace", "11m"], "--grace"),
    (["--grace", "-1s"], "--grace"),
    (["--threads", "0"], "--threads"),
    (["--threads", "65"], "--threads"),
    (["--max-connections", "0"], "--max-connections"),
    (["--max-connections", "2", "--threads", "4"], "--max-connections"),
    (["--listen", "localhost"], "--listen"),
    (["--listen", "999.1.1.1"], "--listen"),
    (["--access-log", ""], "--access-log"),
    (["--bogus"], "--bogus"),
    (["stray"], "stray"),
    (["--config", "/nonexistent/sites.ini"], "/nonexistent/sites.ini"),
]


@test
def usage_errors_exit_2_with_one_line_naming_the_option():
    for args, name in CLI_ERRORS:
        rc, out, err = server_exit("--port", "0", *args)
        check_eq(rc, 2, "exit status for %r (stderr %r)" % (args, err))
        check_eq(len(err.strip().splitlines()), 1, "one line for %r: %r" % (args, err))
        check(name in err, "%r names %s: %r" % (args, name, err))
        check_eq(out, "", "nothing on stdout for %r" % args)


BAD_CONFIGS = [
    # (text, line, key)
    ("[a]\nlatency = soon\n", 2, "latency"),
    ("[a]\nsize = 65MiB\n", 2, "size"),
    ("[a]\nstatus = 700\n", 2, "status"),
    ("[a]\nmodel = gaussian\n", 2, "model"),
    ("[a]\ncolour = blue\n", 2, "colour"),
    ("latency = 1s\n", 1, "latency"),
    ("[a b]\nlatency = 1s\n", 2, "latency"),
    ("[__x]\nlatency = 1s\n", 2, "latency"),
    ("[a]\npath = naver\n", 2, "path"),
    ("[a]\npath = /__latlab/x\n", 2, "path"),
    ("[a]\nhosts = bad host!\n", 2, "hosts"),
    ("[a]\n\n; median above p99\nmodel = lognormal\nlatency = 300ms\np99 = 100ms\n", 6, "model"),
    ("[a]\nmodel = uniform\nmin = 2s\nmax = 1s\n", 4, "model"),
    ("[a]\np99 = 1s\nmin = 1ms\n", 3, "model"),
    ("[a]\nlatency = 1s\n[a\n", 3, None),
    ("[a]\nthis line has no equals sign\n", 2, None),
    ("[a]\nlatency = 1s\ncontent_type = " + "x" * 300 + "\n", 3, None),
]


@test
def bad_config_is_one_line_naming_file_line_and_key_exit_2():
    for text, line, key in BAD_CONFIGS:
        path = config_file(text)
        try:
            rc, out, err = server_exit("--port", "0", "--config", path)
        finally:
            os.unlink(path)
        check_eq(rc, 2, "exit status for %r: %r" % (text, err))
        check_eq(len(err.strip().splitlines()), 1, "one line: %r" % err)
        check("%s:%d:" % (path, line) in err, "names %s:%d: %r" % (path, line, err))
        if key:
            check("key '%s'" % key in err, "names key %s: %r" % (key, err))
        check("accepted" in err, "says what is accepted: %r" % err)


@test
def duplicate_host_or_path_between_sites_is_refused():
    path = config_file("[mine]\nhosts = naver.com\n")
    try:
        rc, _, err = server_exit("--port", "0", "--config", path)
    finally:
        os.unlink(path)
    check_eq(rc, 2)
    check("naver.com" in err, err)


@test
def good_config_adds_and_overrides_sites():
    path = config_file("""; a comment
[naver]
latency = 5ms
size = 100

[slow]
model = uniform
min = 10ms
max = 20ms
hosts = slow.test, www.slow.test
path = /s
size = 1KiB
status = 202
content_type = application/json

[root]
path = /
latency = 0
size = 3
""")
    srv = Server("--config", path)
    try:
        with srv as s:
            status, h, body = http_get(s.url + "/naver")
            check_eq((status, h["x-latlab-delay-us"], len(body)), (200, "5000", 100))
            status, h, body = http_get(s.url + "/s/deep")
            check_eq((status, h["x-latlab-site"], h["content-type"], len(body)),
                     (202, "slow", "application/json", 1024))
            check(10000 <= int(h["x-latlab-delay-us"]) <= 20000, h["x-latlab-delay-us"])
            status, h, _ = http_get(s.url + "/", headers={"Host": "www.slow.test"})
            check_eq(h["x-latlab-site"], "slow")
            status, h, _ = http_get(s.url + "/anything/else")
            check_eq((status, h["x-latlab-site"]), (200, "root"), "the / site catches the rest")
            _, _, doc = http_json(s.url + "/__latlab/sites")
            check_eq([x["name"] for x in doc["sites"]], ["naver", "google", "apple", "slow", "root"])
            check_eq(doc["sites"][0]["model"], "fixed")
    finally:
        os.unlink(path)


@test
def example_config_loads():
    with CheckedServer("--config", os.path.join(ROOT, "examples", "sites.ini")) as s:
        _, _, doc = http_json(s.url + "/__latlab/sites")
        check("slowapi" in [x["name"] for x in doc["sites"]], "the example's sites")


@test
def listening_line_comes_first_and_port_file_matches():
    with CheckedServer() as s:
        first = s.stdout().splitlines()[0]
        check_eq(first, "latlab-server listening on http://127.0.0.1:%d" % s.port)
    check(not os.path.exists(s.port_file), "the port file is removed on exit")


def stopped_output(*args, path="/naver?latency=0"):
    """Starts a server, sends one request, stops it; returns (rc, stdout, stderr)."""
    s = Server(*args).start()
    try:
        http_get(s.url + path)
        rc = s.stop()
        return rc, s.stdout(), s.stderr()
    finally:
        s.tmp.cleanup()


@test
def quiet_prints_nothing():
    rc, out, err = stopped_output("--quiet")
    check_eq((rc, out, err), (0, "", ""))


@test
def notes_go_to_stderr_not_stdout():
    rc, out, err = stopped_output()
    check_eq(rc, 0)
    check_eq(len(out.splitlines()), 1, repr(out))
    check("stopped after 1 requests" in err, repr(err))


@test
def busy_port_is_a_runtime_error_exit_1():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        rc, out, err = server_exit("--port", str(sock.getsockname()[1]))
    finally:
        sock.close()
    check_eq(rc, 1, err)
    check_eq(len(err.strip().splitlines()), 1, err)


@test
def access_log_has_one_line_per_request():
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "access.log")
        with CheckedServer("--access-log", log, "--time-scale", "0.001") as s:
            http_get(s.url + "/google?seq=9")
            http_get(s.url + "/nowhere")
        with open(log) as f:
            lines = f.read().splitlines()
    check_eq(len(lines), 2, repr(lines))
    fields = lines[0].split()
    check_eq(fields[1:8], ["127.0.0.1", "GET", "/google", "200", str(48 * 1024), "google", "9"])
    check_eq(lines[1].split()[3:5], ["/nowhere", "404"])


@test
def access_log_to_stdout_follows_the_listening_line():
    rc, out, _ = stopped_output("--access-log", "-", "--time-scale", "0.001", path="/apple")
    lines = out.splitlines()
    check(lines[0].startswith("latlab-server listening on "), lines[0])
    check_eq(len(lines), 2, repr(lines))
    check(" /apple 200 " in lines[1], lines[1])


run()
