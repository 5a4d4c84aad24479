"""test_examples_ci.py -- README's "latlab in your CI": the shell example and the pytest fixture in
examples/ci run as documented (one server per session, parallel workers, a shared server)."""
import os
import subprocess

from latlab import ROOT, SERVER_BIN, SLACK, CheckedServer, check, check_eq, run, test

CI = os.path.join(ROOT, "examples", "ci")


def env(**extra):
    e = dict(os.environ, LATLAB_SERVER=SERVER_BIN, PYTHONDONTWRITEBYTECODE="1")
    e.pop("LATLAB_URL", None)
    e.update(extra)
    return e


def pytest(*args, **extra):
    return subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args, CI], capture_output=True, text=True, env=env(**extra),
                          timeout=120 * SLACK)


@test
def shell_example_starts_a_server_and_asserts_on_its_journal():
    p = subprocess.run(["sh", os.path.join(CI, "latlab-ci.sh")], capture_output=True, text=True,
                       env=env(), timeout=60 * SLACK)
    check_eq(p.returncode, 0, p.stderr)
    check_eq(p.stdout.strip(), "latlab-ci: ok (503 503 200)")


@test
def pytest_fixture_runs_one_server_per_session():
    p = pytest()
    check_eq(p.returncode, 0, p.stdout[-2000:] + p.stderr[-1000:])
    check("5 passed" in p.stdout, p.stdout[-500:])


@test
def pytest_parallel_workers_each_run_a_server():
    p = pytest("-n", "2")
    check_eq(p.returncode, 0, p.stdout[-2000:] + p.stderr[-1000:])
    check("5 passed" in p.stdout, p.stdout[-500:])


@test
def pytest_parallel_workers_share_one_server_through_scenarios():
    with CheckedServer() as s:
        for _ in range(2):  # twice against the same server: no test sees another's requests
            p = pytest("-n", "2", LATLAB_URL=s.url)
            check_eq(p.returncode, 0, p.stdout[-2000:] + p.stderr[-1000:])


run()
