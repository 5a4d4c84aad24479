"""conftest.py -- pytest fixtures for testing an HTTP client against latlab-server.

One server per test session: started on a free port (--port 0 --port-file), stopped at the
end. Between tests the server is reset (POST /__latlab/reset), so seeded delays and scripted
failures start again from k = 0. Each test gets its own scenario name (the X-Latlab-Scenario
header): fail_first, sequence and the journal are per scenario, so tests can run in parallel
workers (pytest -n 4) against one shared server too: start it yourself and export LATLAB_URL,
and no test resets it.

    def test_retries(latlab, scenario):
        r = my_client.get(latlab.url + "/api?fail_first=2", headers=scenario.headers)
        assert [e["status"] for e in latlab.journal(scenario.name)] == [503, 503, 200]
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _server_binary():
    """LATLAB_SERVER, else latlab-server on PATH, else this checkout's build."""
    return (os.environ.get("LATLAB_SERVER") or shutil.which("latlab-server")
            or os.path.join(HERE, "..", "..", "build", "latlab-server"))


class Latlab:
    def __init__(self, url, owned):
        self.url = url
        self.owned = owned  # started here: may be reset; a shared one is not

    def _call(self, method, path, body=None):
        req = urllib.request.Request(self.url + path, method=method, data=body)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def journal(self, scenario=None, site=None, limit=None):
        """The recorded requests, oldest first (GET /__latlab/requests)."""
        q = "&".join("%s=%s" % (k, v) for k, v in
                     (("scenario", scenario), ("site", site), ("limit", limit)) if v)
        return self._call("GET", "/__latlab/requests" + ("?" + q if q else ""))["requests"]

    def reset(self):
        self._call("POST", "/__latlab/reset")

    def put_site(self, name, **keys):
        """Changes (or adds) a site at runtime: keys as in sites.ini."""
        return self._call("PUT", "/__latlab/sites/" + name, json.dumps(keys).encode())

    def delete_site(self, name):
        return self._call("DELETE", "/__latlab/sites/" + name)


@pytest.fixture(scope="session")
def latlab():
    shared = os.environ.get("LATLAB_URL")
    if shared:
        yield Latlab(shared.rstrip("/"), owned=False)
        return
    tmp = tempfile.mkdtemp(prefix="latlab-ci-")
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen([_server_binary(), "--port", "0", "--port-file", port_file,
                             "--time-scale", os.environ.get("LATLAB_TIME_SCALE", "1"),
                             "--grace", "0", "--quiet"])
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("latlab-server did not start")
            time.sleep(0.01)
        with open(port_file) as f:
            port = int(f.read())
        yield Latlab("http://127.0.0.1:%d" % port, owned=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


class Scenario:
    def __init__(self, name):
        self.name = name
        self.headers = {"X-Latlab-Scenario": name}


@pytest.fixture
def scenario(request, latlab):
    """A scenario of this test alone: the worker process and the test (the process id keeps
    two runs against one shared server apart)."""
    worker = "%s.%d" % (os.environ.get("PYTEST_XDIST_WORKER", "main"), os.getpid())
    name = re.sub(r"[^A-Za-z0-9._:/-]", "-", "%s/%s" % (worker, request.node.name))[:63]
    return Scenario(name)


@pytest.fixture(autouse=True)
def _fresh(latlab):
    """Every test starts from k = 0 on a server of its own session."""
    if latlab.owned:
        latlab.reset()
    yield
