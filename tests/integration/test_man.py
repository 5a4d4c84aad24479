"""test_man.py -- man/latlab-server.1 and man/latlab-client.1 match the programs' --help and
render cleanly; `make install` puts programs and pages in place.

Every long option printed by `--help` is documented in the page and every long option the page
documents is one `--help` prints; the client's modes likewise; the page's version is the
program's. Rendering with groff (and man, when present) must print no warning."""
import os
import re
import shutil
import subprocess
import tempfile

from latlab import BUILD, CLIENT_BIN, ROOT, SERVER_BIN, SLACK, check, check_eq, run, test

MAN = os.path.join(ROOT, "man")
LONG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*[a-z0-9])")
SHORT = re.compile(r"(?<![\w-])-([a-zA-Z])\b(?!-)")
MODES = ("sequential", "threads", "processes", "async", "compare")


def help_text(binary):
    p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10 * SLACK)
    check_eq(p.returncode, 0, "%s --help exit status" % binary)
    check(p.stdout.strip(), "%s --help prints its usage on stdout" % binary)
    return p.stdout


def page_source(name):
    with open(os.path.join(MAN, name)) as f:
        return f.read()


def page_text(src):
    """The page's words: troff escapes for '-' undone, font escapes and requests' dots dropped."""
    text = src.replace("\\-", "-").replace("\\e", "\\")
    text = re.sub(r"\\f[BIRP]", "", text)
    return "\n".join(l for l in text.splitlines() if not l.startswith('.\\"'))


def options_section(text):
    m = re.search(r"(?ms)^\.SH OPTIONS\n(.*?)^\.SH ", text)
    check(m, "the page has an OPTIONS section")
    return m.group(1)


def documented_options(text):
    """Options the OPTIONS section defines: the first word of each .TP item."""
    section = options_section(text)
    items = re.findall(r"(?m)^\.TP\n(.*)$", section)
    longs, shorts = set(), set()
    for item in items:
        longs |= set(LONG.findall(item))
        shorts |= set(SHORT.findall(item.split(" ", 2)[1] if item.startswith(".") else item))
    return longs, shorts


def compare_help_and_page(binary, page):
    help_out = help_text(binary)
    src = page_source(page)
    text = page_text(src)
    help_long = set(LONG.findall(help_out))
    check(help_long, "%s --help lists long options" % binary)
    page_long, page_short = documented_options(text)
    check_eq(sorted(help_long - page_long), [], "options in --help but not in %s's OPTIONS" % page)
    check_eq(sorted(page_long - help_long), [], "options in %s's OPTIONS but not in --help" % page)
    help_short = set(SHORT.findall(help_out))
    check_eq(sorted(help_short - page_short), [], "short options in --help but not in %s" % page)
    check_eq(sorted(page_short - help_short), [], "short options in %s but not in --help" % page)
    return help_out, text


@test
def server_page_documents_exactly_the_options_of_its_help():
    compare_help_and_page(SERVER_BIN, "latlab-server.1")


@test
def client_page_documents_exactly_the_options_and_modes_of_its_help():
    help_out, text = compare_help_and_page(CLIENT_BIN, "latlab-client.1")
    modes = re.search(r"(?ms)^\.SH MODES\n(.*?)^\.SH ", text).group(1)
    page_modes = re.findall(r"(?m)^\.TP\n\.B (\w+)$", modes)
    check_eq(sorted(page_modes), sorted(MODES), "modes in the page")
    for mode in MODES:
        check(re.search(r"\b%s\b" % mode, help_out), "--help names mode %s" % mode)


@test
def server_page_documents_the_endpoints_query_parameters_and_headers():
    text = page_text(page_source("latlab-server.1"))
    for word in ("/__latlab/health", "/__latlab/sites", "/__latlab/stats", "/__latlab/metrics",
                 "X-Latlab-Seq", "X-Latlab-Site", "X-Latlab-Delay-Us", "SIGTERM", "EXIT STATUS"):
        check(word in text, "latlab-server.1 mentions %s" % word)
    params = re.search(r"(?ms)^\.SH QUERY PARAMETERS\n(.*?)^\.SH ", text).group(1)
    for p in ("latency", "jitter", "size", "status", "bandwidth", "fault", "seq"):
        check(re.search(r"(?m)^\.BI %s= " % p, params), "query parameter %s= documented" % p)


@test
def pages_carry_the_programs_version():
    for binary, page in ((SERVER_BIN, "latlab-server.1"), (CLIENT_BIN, "latlab-client.1")):
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10 * SLACK)
        check_eq(p.returncode, 0, "%s --version exit status" % binary)
        m = re.search(r"\b(\d+\.\d+\.\d+)\b", p.stdout)
        check(m, "%s --version prints a version: %r" % (binary, p.stdout))
        th = re.search(r'(?m)^\.TH .*"latlab ([0-9.]+)"', page_source(page))
        check(th, "%s has a .TH line with the version" % page)
        check_eq(th.group(1), m.group(1), "%s version" % page)


@test
def pages_render_without_warnings():
    groff = shutil.which("groff")
    check(groff, "groff is installed (Debian package groff-base)")
    for page in ("latlab-server.1", "latlab-client.1"):
        path = os.path.join(MAN, page)
        p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", path], capture_output=True,
                           text=True, timeout=30)
        check_eq((p.returncode, p.stderr), (0, ""), "groff -man -ww %s" % page)
        p = subprocess.run([groff, "-man", "-Tutf8", path], capture_output=True, text=True, timeout=30)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", re.sub(r".\x08", "", p.stdout))  # bold, underline
        check("NAME" in plain and "EXIT STATUS" in plain, "%s renders its sections" % page)
        man = shutil.which("man")
        if man:
            env = dict(os.environ, MANWIDTH="80", MAN_KEEP_STDERR="1", LC_ALL="C.UTF-8")
            p = subprocess.run([man, "--warnings", "-l", path], capture_output=True, text=True,
                               timeout=30, env=env)
            check_eq((p.returncode, p.stderr), (0, ""), "man --warnings -l %s" % page)


@test
def make_install_puts_programs_and_pages_under_prefix():
    with tempfile.TemporaryDirectory(prefix="latlab-install-") as dest:
        # -o all: install what BUILD holds now, without rebuilding it
        p = subprocess.run(["make", "--no-print-directory", "-o", "all", "install", "BUILD=" + BUILD,
                            "PREFIX=/usr/local", "DESTDIR=" + dest], cwd=ROOT, capture_output=True,
                           text=True, timeout=60 * SLACK)
        check(p.returncode == 0, "make install: %s" % p.stderr)
        for rel, mode in (("bin/latlab-server", 0o755), ("bin/latlab-client", 0o755),
                          ("share/man/man1/latlab-server.1", 0o644),
                          ("share/man/man1/latlab-client.1", 0o644)):
            path = os.path.join(dest, "usr/local", rel)
            check(os.path.isfile(path), "%s installed" % rel)
            check_eq(os.stat(path).st_mode & 0o777, mode, "%s mode" % rel)


run()
