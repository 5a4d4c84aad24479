"""test_client_retries.py -- an example: a small HTTP client with retries, tested against
latlab-server with scripted failures, asserting on the server's journal.

    pytest examples/ci                 # one server for the session
    pytest -n 4 examples/ci            # parallel workers: a server each, or a shared one
                                       # via LATLAB_URL, kept apart by scenarios
"""
import time

import pytest
import requests


@pytest.fixture(scope="session", autouse=True)
def api_site(latlab):
    """The upstream these tests need, added at runtime (a reset keeps sites)."""
    latlab.put_site("api", latency="20ms", size="64", content_type="application/json")


def get_with_retries(url, headers, attempts=3, timeout=2.0):
    """The code under test: retries 5xx answers and connection errors."""
    last = None
    for _ in range(attempts):
        try:
            r = requests.get(url, headers=headers, timeout=timeout)
            if r.status_code < 500:
                return r
            last = r
        except requests.ConnectionError as e:
            last = e
    if isinstance(last, Exception):
        raise last
    return last


def test_retries_two_503s_then_succeeds(latlab, scenario):
    r = get_with_retries(latlab.url + "/api?fail_first=2&latency=10ms", scenario.headers)
    assert r.status_code == 200
    seen = latlab.journal(scenario=scenario.name)
    assert [e["status"] for e in seen] == [503, 503, 200]
    assert all(e["outcome"] == "answered" for e in seen)


def test_retries_a_reset_connection(latlab, scenario):
    r = get_with_retries(latlab.url + "/api?sequence=reset,200&latency=0", scenario.headers)
    assert r.status_code == 200
    assert [e["fault"] for e in latlab.journal(scenario=scenario.name)] == ["reset", None]


def test_gives_up_after_three_attempts(latlab, scenario):
    r = get_with_retries(latlab.url + "/api?status=503&latency=0", scenario.headers)
    assert r.status_code == 503
    assert len(latlab.journal(scenario=scenario.name)) == 3


def test_a_slow_upstream_times_out_and_the_server_sees_the_client_leave(latlab, scenario):
    with pytest.raises(requests.Timeout):
        requests.get(latlab.url + "/api?latency=5s", headers=scenario.headers, timeout=0.3)
    # the server notices within ~0.1 s that the client left
    for _ in range(40):
        seen = latlab.journal(scenario=scenario.name)
        if seen and seen[0]["outcome"] != "pending":
            break
        time.sleep(0.05)
    assert seen[0]["outcome"] == "client_gone"


def test_posts_its_body(latlab, scenario):
    r = requests.post(latlab.url + "/api?latency=0", data=b'{"id": 1}', headers=scenario.headers)
    assert r.status_code == 200
    (entry,) = latlab.journal(scenario=scenario.name)
    assert entry["method"] == "POST" and entry["body"]["bytes"] == 9
