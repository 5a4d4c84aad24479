"""test_compose.py -- docker-compose.yml validates, and every service's command works on the host.

No Docker engine here (scripts/docker-test.sh, `make docker-test`, runs the file on a real one).
Debian's docker-compose validates the file and prints it normalised (interpolated, anchors
resolved); each service's command then runs here against a local latlab-server, with the
compose hostname `server` mapped to it and the mounted sites.ini read from the host, so the
compose commands cannot rot. The knobs (LATLAB_PORT, LATLAB_SEED, LATLAB_TIME_SCALE,
LATLAB_CONFIG) are checked as interpolated. The Dockerfile: the default (last) stage is the
runtime, its stages install every library the programs link, and README's compose commands are
the ones docker-test.sh runs."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from latlab import (CLIENT_BIN, ROOT, SERVER_BIN, SLACK, Server, check, check_eq, free_port,
                    http_get, run, test)

COMPOSE_FILE = os.path.join(ROOT, "docker-compose.yml")
DOCKERFILE = os.path.join(ROOT, "Dockerfile")
DOCKER_TEST = os.path.join(ROOT, "scripts", "docker-test.sh")
PYTHON = "/usr/bin/python3"
SCALE = "0.02"
KNOBS = ("LATLAB_PORT", "LATLAB_SEED", "LATLAB_TIME_SCALE", "LATLAB_CONFIG", "LATLAB_LOAD_URL",
         "LATLAB_LOAD_DURATION", "LATLAB_LOAD_CONCURRENCY", "LATLAB_LOAD_MAX_ERRORS")
CONFIG_IN_CONTAINER = "/etc/latlab/sites.ini"


def compose(*args, env=None):
    """docker-compose on the file with no knob set from outside but LATLAB_TIME_SCALE=SCALE;
    env sets knobs (None: unset)."""
    exe = shutil.which("docker-compose")
    check(exe, "docker-compose (Debian package docker-compose) is installed; scripts/deps.sh --test")
    full = dict(os.environ)
    for name in KNOBS + ("COMPOSE_PROFILES", "COMPOSE_FILE"):
        full.pop(name, None)
    full["LATLAB_TIME_SCALE"] = SCALE
    for name, value in (env or {}).items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return subprocess.run([exe, "--project-directory", ROOT, "-f", COMPOSE_FILE] + list(args),
                          capture_output=True, text=True, timeout=60 * SLACK, env=full, cwd=ROOT)


# --- a minimal reader for docker-compose's normalised YAML output ---------------------------
# `docker-compose config` prints block mappings, block sequences (at the key's indent) and
# plain or quoted scalars. Anything else (flow style, folded scalars, anchors) is refused
# with an error rather than guessed at.

def _scalar(text):
    if text.startswith("'"):
        check(text.endswith("'") and len(text) >= 2, "unterminated quoted scalar %r" % text)
        return text[1:-1].replace("''", "'")
    if text.startswith('"'):
        import json
        return json.loads(text)
    if text in ("{}", "[]"):  # an empty mapping or sequence (a volume with no options)
        return {} if text == "{}" else []
    check(not text.startswith(("{", "[", "&", "*", "|", ">", "!")), "unsupported YAML %r" % text)
    return None if text in ("null", "~") else text


def _lines(text):
    out = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        out.append((len(raw) - len(raw.lstrip(" ")), raw.strip()))
    return out


def _block(lines, i, indent):
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        return _seq(lines, i, indent)
    return _map(lines, i, indent)


def _seq(lines, i, indent):
    items = []
    while i < len(lines) and lines[i][0] == indent and (lines[i][1].startswith("- ") or lines[i][1] == "-"):
        rest = lines[i][1][1:].strip()
        check(rest, "unsupported sequence item %r" % lines[i][1])
        if re.match(r"^[\w.-]+:( |$)", rest):
            # a mapping item ("- key: value" then its other keys two columns in)
            lines[i] = (indent + 2, rest)
            item, i = _map(lines, i, indent + 2)
            items.append(item)
            continue
        i += 1
        # a plain scalar folded over more lines (docker-compose config wraps long ones)
        while (i < len(lines) and lines[i][0] > indent and not rest.startswith(("'", '"'))
               and not lines[i][1].startswith("- ")):
            rest += " " + lines[i][1]
            i += 1
        items.append(_scalar(rest))
    return items, i


def _map(lines, i, indent):
    d = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        text = lines[i][1]
        m = re.match(r"^([\w.-]+):(?: (.*))?$", text)
        check(m, "unsupported YAML line %r" % text)
        key, rest = m.group(1), m.group(2)
        i += 1
        if rest:
            d[key] = _scalar(rest)
        elif i < len(lines) and lines[i][0] > indent:
            d[key], i = _block(lines, i, lines[i][0])
        elif i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            d[key], i = _seq(lines, i, indent)
        else:
            d[key] = None
    check(i == len(lines) or lines[i][0] < indent, "unexpected indentation at %r" % (lines[i:i + 1],))
    return d, i


def parse_yaml(text):
    lines = _lines(text)
    value, i = _block(lines, 0, lines[0][0])
    check_eq(i, len(lines), "lines read")
    return value


def config(profile_labs=True, env=None):
    args = (["--profile", "labs"] if profile_labs else []) + ["config"]
    p = compose(*args, env=env)
    check(p.returncode == 0, "docker-compose config failed: %s" % p.stderr)
    return parse_yaml(p.stdout)


def mounted_config(svc):
    """The host file the server service mounts as its --config, checked to be that file."""
    argv = svc["command"]
    check("--config" in argv, "the server takes --config: %r" % argv)
    target = argv[argv.index("--config") + 1]
    mounts = [v for v in svc.get("volumes") or [] if isinstance(v, dict) and v.get("target") == target]
    check_eq(len(mounts), 1, "one mount at the server's --config %s in %r" % (target, svc.get("volumes")))
    check_eq((mounts[0]["type"], mounts[0]["read_only"]), ("bind", "true"), "a read-only bind mount")
    return mounts[0]["source"]


def host_command(argv, server_url):
    """A service's command as it runs on this host: our programs, Debian's python3, and
    http://server:8080 (the compose network) replaced by the local test server."""
    programs = {"latlab-server": SERVER_BIN, "latlab-client": CLIENT_BIN, "python3": PYTHON}
    out = [programs.get(argv[0], argv[0])]
    out += [a.replace("http://server:8080", server_url).replace("http://127.0.0.1:8080", server_url)
            for a in argv[1:]]
    return out


def host_server_args(svc):
    """The server service's command minus the program and its fixed port (the test server
    takes a free one), with loopback instead of every interface and the mounted sites.ini
    read from where it is on the host."""
    argv = svc["command"]
    check_eq(argv[0], "latlab-server", "server service program")
    args, i = [], 1
    while i < len(argv):
        if argv[i] == "--port":
            check_eq(argv[i + 1], "8080", "the port the other services use")
            i += 2
            continue
        if argv[i] == "--listen":
            check_eq(argv[i + 1], "0.0.0.0", "the server listens on every interface in a container")
            args += ["--listen", "127.0.0.1"]
            i += 2
            continue
        if argv[i] == "--config":
            args += ["--config", mounted_config(svc)]
            i += 2
            continue
        args.append(argv[i])
        i += 1
    return args


@test
def compose_file_validates_with_its_services_and_the_labs_lecture_and_load_profiles():
    p = compose("config", "-q")
    check(p.returncode == 0, "docker-compose config -q: %s" % p.stderr)
    # (docker-compose 1.29 lists every service here; the profiles keep labs and the lecture's
    # services out of a plain `up`)
    check_eq(sorted(compose("--profile", "labs", "config", "--services").stdout.split()),
             ["client", "labs", "lecture", "lecture-server", "loadgen", "merge", "server"], "services")
    check_eq(compose("config", "--profiles").stdout.split(), ["labs", "lecture", "load"], "profiles")
    c = config()["services"]
    check_eq(c["client"]["depends_on"], {"server": {"condition": "service_healthy"}}, "client waits")
    check_eq(c["labs"]["depends_on"], {"server": {"condition": "service_healthy"}}, "labs wait")
    check_eq(c["labs"]["profiles"], ["labs"], "labs profile")
    check_eq(c["server"]["ports"], ["127.0.0.1:8080:8080/tcp"], "host sees the server on loopback only")
    check_eq(c["server"]["build"]["target"], "runtime", "server image stage")
    check_eq(c["client"]["image"], c["server"]["image"], "client and server share one image")
    check_eq(c["client"]["build"]["target"], "runtime", "client image stage")
    check_eq(c["labs"]["build"]["target"], "labs", "labs image stage")
    # `up -d server` alone: the server depends on nothing, and a client can wait for healthy
    check("depends_on" not in c["server"], "the server starts alone: %r" % c["server"].get("depends_on"))
    check("healthcheck" in c["server"], "the server reports healthy")


@test
def compose_lecture_profile_serves_the_real_names_over_https_to_the_unchanged_programs():
    p = compose("--profile", "lecture", "config")
    check(p.returncode == 0, "docker-compose --profile lecture config: %s" % p.stderr)
    c = parse_yaml(p.stdout)["services"]
    srv, lec = c["lecture-server"], c["lecture"]
    check_eq((srv["profiles"], lec["profiles"]), (["lecture"], ["lecture"]), "profiles")
    check_eq(lec["depends_on"], {"lecture-server": {"condition": "service_healthy"}}, "waits")
    argv = srv["command"]
    check_eq(argv[argv.index("--https-port") + 1], "443", "https:// URLs without a port")
    check_eq(os.path.relpath(mounted_config(srv), ROOT), os.path.join("examples", "lecture.ini"),
             "the lecture preset")
    aliases = srv["networks"]["default"]["aliases"]
    check_eq(sorted(aliases), sorted(["naver.com", "www.naver.com", "google.com", "www.google.com",
                                      "apple.com", "www.apple.com"]), "the names resolve to it")
    ca = argv[argv.index("--tls-ca") + 1]
    env = lec["environment"]
    check_eq((env["REQUESTS_CA_BUNDLE"], env["SSL_CERT_FILE"]), (ca, ca), "the lecture trusts its CA")
    check(any(ca.startswith(str(v).split(":")[1]) if isinstance(v, str) else ca.startswith(v["target"])
              for v in lec["volumes"]), "the CA's volume is mounted: %r" % lec["volumes"])
    cmd = " ".join(lec["command"])
    for prog in ("labs/lecture_requests.py", "labs/lecture_aiohttp.py"):
        check(prog in cmd and os.path.exists(os.path.join(ROOT, prog)), "runs %s" % prog)


def server_flag(svc, flag):
    argv = svc["command"]
    check(flag in argv, "the server command has %s: %r" % (flag, argv))
    return argv[argv.index(flag) + 1]


@test
def compose_knobs_are_interpolated_with_the_lessons_defaults():
    unset = {name: None for name in KNOBS}
    for env in (unset, {name: "" for name in KNOBS}):  # unset and empty: the defaults
        svc = config(env=env)["services"]["server"]
        check_eq(server_flag(svc, "--time-scale"), "1.0", "time scale without LATLAB_TIME_SCALE")
        check_eq(server_flag(svc, "--seed"), "1", "seed without LATLAB_SEED")
        check_eq(svc["ports"], ["127.0.0.1:8080:8080/tcp"], "port without LATLAB_PORT")
        check_eq(mounted_config(svc), os.path.join(ROOT, "examples", "sites.ini"),
                 "sites.ini without LATLAB_CONFIG (relative to the compose file)")
    with tempfile.TemporaryDirectory(prefix="latlab-compose-") as d:
        ini = os.path.join(d, "my.ini")
        svc = config(env={"LATLAB_TIME_SCALE": "0.1", "LATLAB_SEED": "42", "LATLAB_PORT": "18080",
                          "LATLAB_CONFIG": ini})["services"]["server"]
    check_eq(server_flag(svc, "--time-scale"), "0.1", "time scale from LATLAB_TIME_SCALE")
    check_eq(server_flag(svc, "--seed"), "42", "seed from LATLAB_SEED")
    check_eq(svc["ports"], ["127.0.0.1:18080:8080/tcp"], "published port from LATLAB_PORT")
    check_eq(mounted_config(svc), ini, "sites.ini from LATLAB_CONFIG")
    check_eq(server_flag(svc, "--port"), "8080", "inside the network the port stays 8080")


@test
def compose_mounted_sites_ini_reaches_the_server():
    """A site added in LATLAB_CONFIG's file is served; the default file keeps the lecture's
    sites with their default latency (the same delays as without a config)."""
    with tempfile.TemporaryDirectory(prefix="latlab-compose-") as d:
        ini = os.path.join(d, "sites.ini")
        with open(ini, "w") as f:
            f.write("[classroom]\nlatency = 5ms\nsize = 100\n")
        svc = config(env={"LATLAB_CONFIG": ini})["services"]["server"]
        with Server(*host_server_args(svc)) as s:
            status, headers, body = http_get(s.url + "/classroom")
            check_eq((status, len(body)), (200, 100), "the site from the mounted file")
    svc = config()["services"]["server"]
    delays = []
    for args in (host_server_args(svc), [a for a in host_server_args(svc)
                                         if a not in ("--config", mounted_config(svc))]):
        with Server(*args) as s:
            delays.append([http_get(s.url + "/%s?seq=%d" % (site, k))[1]["x-latlab-delay-us"]
                           for site in ("naver", "google") for k in range(5)])
    check_eq(delays[0], delays[1], "delays with examples/sites.ini vs without a config")


@test
def compose_server_command_runs_and_its_healthcheck_passes():
    svc = config()["services"]["server"]
    with Server(*host_server_args(svc)) as s:
        hc = svc["healthcheck"]["test"]
        check_eq(hc[0], "CMD", "healthcheck exec form (the runtime image has no shell tools)")
        p = subprocess.run(host_command(hc[1:], s.url), capture_output=True, text=True,
                           timeout=30 * SLACK)
        check(p.returncode == 0, "healthcheck %r failed (%d): %s" % (hc, p.returncode, p.stderr))
    # and it does fail when nothing listens
    closed = "http://127.0.0.1:%d" % free_port()
    p = subprocess.run(host_command(hc[1:], closed), capture_output=True, text=True, timeout=30 * SLACK)
    check(p.returncode != 0, "healthcheck against a closed port must fail")


@test
def compose_client_command_prints_the_comparison():
    services = config()["services"]
    with Server(*host_server_args(services["server"])) as s:
        argv = services["client"]["command"]
        check(any("http://server:8080/" in a for a in argv), "the client reaches the server by name")
        p = subprocess.run(host_command(argv, s.url), capture_output=True, text=True,
                           timeout=120 * SLACK)
    check(p.returncode == 0, "client command failed (%d): %s" % (p.returncode, p.stderr[-1500:]))
    for mode in ("sequential", "threads", "processes", "async"):
        check(re.search(r"(?m)^\s*%s\b" % mode, p.stdout), "table row %s in:\n%s" % (mode, p.stdout))


@test
def compose_labs_command_runs_every_lab():
    services = config()["services"]
    svc = services["labs"]
    with Server(*host_server_args(services["server"])) as s:
        env = dict(os.environ)
        env.update({k: host_command(["x", v], s.url)[1] for k, v in svc["environment"].items()})
        check(env["LATLAB_URL"] == s.url, "LATLAB_URL points at the server: %r" % svc["environment"])
        # test-only: the GIL lab's default (8 tasks x 10M iterations) is sized for a classroom
        env.update(LATLAB_TASKS="4", LATLAB_WORK="500000")
        p = subprocess.run(host_command(svc["command"], s.url), capture_output=True, text=True,
                           timeout=180 * SLACK, env=env, cwd=ROOT)  # the image's WORKDIR holds labs/
    check(p.returncode == 0, "labs command failed (%d):\n%s\n%s" % (p.returncode, p.stdout[-1500:], p.stderr[-800:]))
    for lab in ("01_sequential", "02_threads", "03_processes", "04_asyncio", "05_gil_cpu"):
        check(re.search(r"(?m)^%s\.py\s+\d+\s+\d+\s+\d+\s+[0-9.]+ s$" % lab, p.stdout),
              "summary row for %s in:\n%s" % (lab, p.stdout))
    check(re.search(r"(?m)^01_sequential\.py\s+100\s+1\s+1\s", p.stdout), "sequential: 100 lines, 1 PID, 1 TID")


RESULTS = "/var/lib/latlab/results"


@test
def compose_load_profile_runs_loadgens_then_merges_their_sum():
    p = compose("--profile", "load", "config")
    check(p.returncode == 0, "docker-compose --profile load config: %s" % p.stderr)
    c = parse_yaml(p.stdout)["services"]
    lg, mg = c["loadgen"], c["merge"]
    check_eq((lg["profiles"], mg["profiles"]), (["load"], ["load"]), "load profile")
    check_eq(lg["depends_on"], {"server": {"condition": "service_healthy"}}, "loadgen waits")
    check_eq(mg["depends_on"], {"loadgen": {"condition": "service_completed_successfully"}},
             "merge waits for every loadgen")
    for svc in (lg, mg):
        check_eq(svc["volumes"], ["results:%s:rw" % RESULTS], "the shared results volume")
        check_eq(svc["image"], "latlab:latest", "the runtime image")
    check_eq(mg["working_dir"], RESULTS, "merge works in the results folder")
    check_eq(lg["environment"]["LOAD_URL"], "http://server:8080/naver?latency=10ms", "default URL")
    # both commands run here: two "replicas" (a hostname stand-in each), then the merge
    with Server("--time-scale", SCALE) as s, tempfile.TemporaryDirectory() as d:
        results, bindir = os.path.join(d, "results"), os.path.join(d, "bin")
        os.makedirs(results)
        os.makedirs(bindir)
        env = dict(os.environ, PATH=bindir + ":" + os.path.dirname(CLIENT_BIN) + ":" + os.environ["PATH"])
        env.update({k: v.replace("http://server:8080", s.url) for k, v in lg["environment"].items()})
        env["LOAD_DURATION"], env["LOAD_CONCURRENCY"] = "1s", "4"

        def host(argv):
            return [a.replace("$$", "$").replace(RESULTS, results) for a in argv]

        for name in ("replica-a", "replica-b"):
            with open(os.path.join(bindir, "hostname"), "w") as f:
                f.write("#!/bin/sh\necho %s\n" % name)
            os.chmod(os.path.join(bindir, "hostname"), 0o755)
            p = subprocess.run(host(lg["command"]), capture_output=True, text=True, env=env,
                               timeout=60 * SLACK)
            check(p.returncode == 0, "loadgen command (%d): %s" % (p.returncode, p.stderr[-800:]))
        p = subprocess.run(host(mg["command"]), capture_output=True, text=True, env=env,
                           cwd=results, timeout=60 * SLACK)
        check(p.returncode == 0, "merge command (%d): %s" % (p.returncode, p.stderr[-800:]))
        with open(os.path.join(results, "merged.json")) as f:
            merged = json.load(f)
        parts = []
        for name in ("replica-a", "replica-b"):
            with open(os.path.join(results, "inputs", "loadgen-%s.json" % name)) as f:
                parts.append(json.load(f))
        check_eq(sorted(os.listdir(results)), ["inputs", "merged.json"], "inputs moved aside")
        check(all(q["requests"] > 0 for q in parts), "each replica ran requests")
        check_eq(merged["requests"], sum(q["requests"] for q in parts), "merged = sum")
        check_eq(merged["manifest"]["mode"], "merge", "merge's manifest")


def dockerfile_stages():
    """{name: (FROM image or stage, body)} in order, from the Dockerfile."""
    with open(DOCKERFILE) as f:
        text = f.read()
    stages = {}
    for chunk in re.split(r"(?m)^FROM ", text)[1:]:
        m = re.match(r"(\S+) AS (\w+)\n", chunk)
        check(m, "every stage is named: FROM %s" % chunk.splitlines()[0])
        stages[m.group(2)] = (m.group(1), chunk[m.end():])
    return stages


def stage_chain(stages, name):
    """The stage's own body and its ancestors', nearest first, and the image it starts from."""
    bodies = []
    while name in stages:
        name, body = stages[name]
        bodies.append(body)
    return bodies, name


@test
def dockerfile_default_target_is_the_runtime_and_every_stage_is_labelled():
    stages = dockerfile_stages()
    names = list(stages)
    check_eq(names[-1], "runtime", "the last stage, what `docker build -t latlab .` builds")
    check(names.index("labs") < names.index("runtime"), "labs is an earlier, named stage")
    bodies, base = stage_chain(stages, "runtime")
    check_eq(base, "debian:bookworm-slim", "the runtime image is Debian 12 slim")
    own = bodies[0]
    check(re.search(r"(?m)^USER (?!root)\w+", own), "the runtime runs as a non-root user")
    cmd = re.search(r"(?m)^CMD (\[.*\])$", own)
    check(cmd and json.loads(cmd.group(1))[0] == "latlab-server", "the runtime's CMD is the server")
    check(re.search(r"(?m)^EXPOSE 8080$", own), "the runtime exposes 8080")
    # the classic builder leaves the build stage untagged; the label lets it be pruned
    for name, (_, body) in stages.items():
        check(re.search(r"(?m)^LABEL org\.latlab\.stage=%s$" % name, body),
              "stage %s carries LABEL org.latlab.stage=%s" % (name, name))
    # only what the programs need: no compiler, curl or man pages in the runtime's chain
    chain = "".join(b for b in stage_chain(stages, "runtime")[0])
    for unwanted in ("deps.sh", "curl ", "gcc", "/man", "-dev"):
        check(unwanted not in chain, "the runtime image has no %r" % unwanted)


@test
def dockerfile_runtime_stage_installs_every_library_the_programs_link():
    stages = dockerfile_stages()
    bodies, base = stage_chain(stages, "runtime")
    check_eq(base, "debian:bookworm-slim", "runtime stage is Debian 12 slim")
    installed = set()
    for body in bodies:
        if "apt-get install" in body:
            installed |= set(re.findall(r"\b(lib[a-z0-9.+-]+)", body.split("apt-get install", 1)[1].split("&&")[0]))
    check(installed, "the runtime's stages install libraries")
    check(any(re.search(r"(?m)^COPY --from=build .*latlab-server", b) for b in bodies),
          "the runtime holds the programs built in the build stage")
    base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}  # in debian:bookworm-slim already
    for binary in (SERVER_BIN, CLIENT_BIN):
        p = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "readelf -d %s: %s" % (binary, p.stderr))
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)
        check(needed, "%s links shared libraries" % binary)
        for lib in needed:
            if "asan" in lib or "ubsan" in lib:
                continue  # a sanitizer build is never what the image ships
            q = subprocess.run(["dpkg", "-S", "*/" + lib], capture_output=True, text=True, timeout=30)
            check(q.returncode == 0, "dpkg -S %s: %s" % (lib, q.stderr))
            pkgs = {line.split(":")[0] for line in q.stdout.splitlines()}
            check(pkgs & (installed | base),
                  "%s needs %s from %s; the runtime stage installs %s" % (binary, lib, sorted(pkgs), sorted(installed)))


def dockerignored(path, patterns):
    """Whether .dockerignore's patterns exclude path (or a directory above it), as Docker reads
    them: '**/' matches any depth, '!' re-includes, the last matching pattern wins."""
    import fnmatch
    parts = path.strip("/").split("/")
    excluded = False
    for pat in patterns:
        neg = pat.startswith("!")
        pat = pat.lstrip("!").strip("/")
        if pat.startswith("**/"):
            hit = any(fnmatch.fnmatchcase("/".join(parts[j:i]), pat[3:])
                      for i in range(1, len(parts) + 1) for j in range(i))
        else:
            hit = any(fnmatch.fnmatchcase("/".join(parts[:i]), pat) for i in range(1, len(parts) + 1))
        if hit:
            excluded = not neg
    return excluded


@test
def dockerfile_copies_only_what_exists_and_the_context_keeps():
    with open(DOCKERFILE) as f:
        text = f.read()
    with open(os.path.join(ROOT, ".dockerignore")) as f:
        ignore = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    stages = re.findall(r"(?m)^FROM \S+ AS (\w+)$", text)
    for target in ("runtime", "labs"):
        check(target in stages, "compose builds target %s; the Dockerfile has %r" % (target, stages))
    copies = re.findall(r"(?m)^COPY (?!--from)(.+)$", text)
    check(copies, "the Dockerfile copies sources")
    for line in copies:
        srcs = line.split()[:-1]
        for src in srcs:
            check(os.path.exists(os.path.join(ROOT, src)), "COPY %s: no such path in the repository" % src)
            check(not dockerignored(src, ignore), "COPY %s: excluded by .dockerignore" % src)
    # everything make needs to build the programs is in the build stage's context
    build_stage = text.split("FROM ", 2)[1]
    copied = {src for line in re.findall(r"(?m)^COPY (?!--from)(.+)$", build_stage) for src in line.split()[:-1]}
    for needed in ("Makefile", "scripts/deps.sh", "common", "server", "client"):
        check(needed in copied, "the build stage copies %s" % needed)
    for src in ("build", ".git"):
        check(dockerignored(src, ignore), ".dockerignore keeps %s out of the context" % src)


@test
def docker_build_stage_context_builds_the_programs():
    """What the build stage copies is enough for its make command (no Docker needed)."""
    import tempfile
    with open(DOCKERFILE) as f:
        build_stage = f.read().split("FROM ", 2)[1]
    with tempfile.TemporaryDirectory(prefix="latlab-docker-ctx-") as ctx:
        for line in re.findall(r"(?m)^COPY (?!--from)(.+)$", build_stage):
            words = line.split()
            for src in words[:-1]:
                dst = os.path.join(ctx, src if words[-1] in ("./", ".") else words[-1])
                os.makedirs(os.path.dirname(dst.rstrip("/")), exist_ok=True)
                if os.path.isdir(os.path.join(ROOT, src)):
                    shutil.copytree(os.path.join(ROOT, src), dst,
                                    ignore=shutil.ignore_patterns("*.o", "*.d", "__pycache__"))
                else:
                    shutil.copy2(os.path.join(ROOT, src), dst)
        cmd = re.search(r"(?m)^RUN (make [^\\&]*)", build_stage)
        check(cmd, "the build stage runs make")
        p = subprocess.run(cmd.group(1).split(), cwd=ctx, capture_output=True, text=True,
                           timeout=300 * SLACK)
        check(p.returncode == 0, "%s in the build stage's context failed:\n%s" % (cmd.group(1), p.stderr[-2000:]))
        for prog in ("latlab-server", "latlab-client"):
            v = subprocess.run([os.path.join(ctx, "build", prog), "--version"], capture_output=True,
                               text=True, timeout=10)
            check_eq(v.returncode, 0, "%s --version built from the Docker context" % prog)


def docker_test_compose_commands():
    """The docker-compose commands scripts/docker-test.sh runs on the engine, as README
    spells them (the build, which needs a host-network override there, aside)."""
    with open(DOCKER_TEST) as f:
        text = f.read()
    cmds = [m.strip() for m in re.findall(r"(?m)^dc ((?:(?!\|\|).)+)", text) if "-f " not in m]
    check(len(cmds) >= 4, "docker-test.sh runs compose commands: %r" % cmds)
    return cmds


@test
def readme_docker_commands_are_the_ones_docker_test_runs():
    cmds = docker_test_compose_commands()
    for want in ("up --exit-code-from client", "up -d server", "--profile labs up --exit-code-from labs labs",
                 "--profile load up --scale loadgen=2 --exit-code-from merge merge"):
        check(want in cmds, "docker-test.sh runs %r: %r" % (want, cmds))
    with open(DOCKER_TEST) as f:
        script = f.read()
    prune = "docker image prune -f --filter label=org.latlab.stage"
    check(prune.split(" ", 1)[1] in script, "docker-test.sh prunes as README says")
    for readme in ("README.md", "README.ko.md"):
        with open(os.path.join(ROOT, readme)) as f:
            text = f.read()
        for cmd in cmds:
            for spelling in ("docker compose ", "docker-compose "):  # compose v2 and Debian 12's v1
                check(spelling + cmd in text, "%s shows `%s%s`" % (readme, spelling, cmd))
        check(prune in text, "%s shows `%s`" % (readme, prune))
        check("make docker-test" in text, "%s says how the project tests this" % readme)
    # and the knobs README documents are the ones the compose file reads
    with open(COMPOSE_FILE) as f:
        compose_text = f.read()
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    for knob in KNOBS:
        check("${%s:-" % knob in compose_text, "docker-compose.yml reads %s" % knob)
        check(knob in text, "README documents %s" % knob)


@test
def docker_test_says_skip_where_no_engine_can_start():
    """Not root: no dockerd of its own. One SKIP line with the reason, exit 0, before it
    installs or starts anything."""
    with tempfile.TemporaryDirectory(prefix="latlab-docker-test-") as d:
        os.chmod(d, 0o755)
        os.mkdir(os.path.join(d, "scripts"))
        shutil.copy(DOCKER_TEST, os.path.join(d, "scripts"))
        cmd = ["sh", os.path.join(d, "scripts", "docker-test.sh")]
        if os.getuid() == 0:
            cmd = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=d)
    check_eq(p.returncode, 0, "exit status of a skipped docker-test (stderr %r)" % p.stderr)
    lines = p.stdout.splitlines()
    check_eq(len(lines), 1, "one line: %r" % lines)
    check(re.match(r"^SKIP docker-test: \S.*root", lines[0]), "a SKIP line with its reason: %r" % lines[0])


run()
