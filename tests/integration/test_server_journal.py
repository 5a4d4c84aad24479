"""test_server_journal.py -- latlab-server's journal (GET /__latlab/requests), reset, runtime site
changes (PUT/DELETE /__latlab/sites/NAME) and --admin, driven with curl and Python."""
import hashlib
import json
import subprocess
import threading
import time

from latlab import (SLACK, CheckedServer, check, check_eq, free_port, http_get, http_json, run,
                    test)


def journal(s, query=""):
    status, _, doc = http_json(s.url + "/__latlab/requests" + query)
    check_eq(status, 200)
    return doc["requests"]


def put_site(url, name, keys):
    return http_json(url + "/__latlab/sites/" + name, method="PUT",
                     body=json.dumps(keys).encode())


@test
def journal_records_arrival_fields_and_outcomes():
    with CheckedServer() as s:
        body = b"order=42"
        http_get(s.url + "/google?latency=20ms&q=shoes", method="POST", body=body,
                 headers={"X-Latlab-Scenario": "j1", "X-Trace": "abc"})
        rc = subprocess.run(["curl", "-s", "-m", "0.3", s.url + "/naver?latency=10s"]).returncode
        check_eq(rc, 28)
        # while a request is delayed its entry is there already, pending
        t = threading.Thread(target=http_get, args=(s.url + "/apple?latency=600ms",))
        t.start()
        time.sleep(0.2)
        pending = [e for e in journal(s, "?site=apple") if e["outcome"] == "pending"]
        check_eq(len(pending), 1, "an entry from arrival")
        t.join()
        deadline = time.monotonic() + 2 * SLACK
        while time.monotonic() < deadline:
            entries = journal(s)
            if [e["outcome"] for e in entries] == ["answered", "client_gone", "answered"]:
                break
            time.sleep(0.05)
        check_eq([e["outcome"] for e in entries], ["answered", "client_gone", "answered"])
        post = entries[0]
        check_eq((post["method"], post["target"], post["site"], post["scenario"]),
                 ("POST", "/google?latency=20ms&q=shoes", "google", "j1"))
        check_eq(post["body"], {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()})
        check_eq((post["status"], post["fault"], post["delay_us"], post["seq"]), (200, None, 20000, 0))
        check_eq(post["headers"].get("X-Trace"), "abc")
        check(post["timings"]["answered_after_us"] >= 20000, post["timings"])
        gone = entries[1]
        check_eq((gone["site"], gone["delay_us"]), ("naver", 10000000))
        check(gone["timings"]["ended_after_us"] < 2000000 * SLACK, gone["timings"])
        check_eq([e["site"] for e in journal(s, "?scenario=j1")], ["google"])
        check_eq([e["site"] for e in journal(s, "?limit=1")], ["apple"])
        check_eq(http_json(s.url + "/__latlab/requests?limit=0")[0], 400)


@test
def journal_is_a_bounded_ring_of_the_latest():
    with CheckedServer("--journal", "5", "--time-scale", "0") as s:
        for k in range(12):
            http_get(s.url + "/naver?seq=%d" % k)
        check_eq([e["seq"] for e in journal(s)], [7, 8, 9, 10, 11])


@test
def reset_brings_counters_scenarios_and_journal_back_to_the_start():
    with CheckedServer("--time-scale", "0.01") as s:
        def delays():
            return [http_get(s.url + "/naver")[1]["x-latlab-delay-us"] for _ in range(5)]
        def ff():
            return [http_get(s.url + "/google?fail_first=1&latency=0",
                             headers={"X-Latlab-Scenario": "r"})[0] for _ in range(2)]
        first, ff1 = delays(), ff()
        check_eq(ff1, [503, 200])
        status, _, doc = http_json(s.url + "/__latlab/reset", method="POST")
        check_eq((status, doc), (200, {"reset": True}))
        check_eq(journal(s), [])
        doc = http_json(s.url + "/__latlab/stats")[2]
        check_eq((doc["sites"]["naver"], doc["faults"], doc["responses"]["5xx"]), (0, 0, 0))
        check_eq(delays(), first, "seeded delays repeat exactly after a reset")
        check_eq(ff(), [503, 200], "scenarios start again")
        check_eq(http_json(s.url + "/__latlab/reset")[0], 405)


@test
def a_runtime_site_change_is_seen_by_the_next_request_and_delete_restores_it():
    with CheckedServer() as s:
        before = http_get(s.url + "/google?seq=0")[1]["x-latlab-delay-us"]
        status, _, doc = put_site(s.url, "google", {"latency": "123ms", "size": 100,
                                                    "fault": "truncate:0"})
        check_eq(status, 200, doc)
        status, headers, body = http_get(s.url + "/google?seq=0")
        check_eq((status, headers["x-latlab-delay-us"], len(body)), (200, "123000", 100))
        live = {x["name"]: x for x in http_json(s.url + "/__latlab/sites")[2]["sites"]}
        check_eq((live["google"]["model"], live["google"]["latency_us"]), ("fixed", 123000))
        status, _, doc = put_site(s.url, "google", {"latency": "5parsecs"})
        check_eq((status, doc["param"]), (400, "google"))
        check("key 'latency'" in doc["error"], doc)
        check_eq(http_get(s.url + "/google?seq=1")[1]["x-latlab-delay-us"], "123000", "unchanged")
        status, _, _ = http_json(s.url + "/__latlab/sites/google", method="DELETE")
        check_eq(status, 200)
        check_eq(http_get(s.url + "/google?seq=0")[1]["x-latlab-delay-us"], before, "restored")
        # a new site, then gone again
        status, _, _ = put_site(s.url, "api", {"latency": "0", "size": "300", "status": "201"})
        check_eq(status, 200)
        status, _, body = http_get(s.url + "/api/v1/items")
        check_eq((status, len(body)), (201, 300))
        check_eq(http_json(s.url + "/__latlab/sites/api", method="DELETE")[0], 200)
        check_eq(http_get(s.url + "/api")[0], 404)
        check_eq(http_json(s.url + "/__latlab/sites/nope", method="DELETE")[0], 404)
        status, _, doc = http_json(s.url + "/__latlab/sites/google", method="PUT", body=b"[1]")
        check_eq((status, doc["param"]), (400, "body"))


@test
def runtime_changes_under_load_serve_every_request():
    with CheckedServer("--time-scale", "0.01") as s:
        stop = threading.Event()
        errors = []
        def load():
            while not stop.is_set():
                try:
                    st = http_get(s.url + "/naver?latency=30ms")[0]
                    if st != 200:
                        errors.append(st)
                except Exception as e:  # noqa: BLE001 -- any failure is the finding
                    errors.append(repr(e))
        ts = [threading.Thread(target=load) for _ in range(6)]
        for t in ts:
            t.start()
        for i in range(40):
            check_eq(put_site(s.url, "naver", {"latency": "%dms" % (i % 7)})[0], 200)
        stop.set()
        for t in ts:
            t.join()
        check_eq(errors, [])


@test
def admin_api_can_be_off_or_on_its_own_listener():
    with CheckedServer("--admin", "off", "--time-scale", "0") as s:
        check_eq(http_json(s.url + "/__latlab/health")[0], 404)
        check_eq(http_get(s.url + "/naver")[0], 200)
    port = free_port()
    with CheckedServer("--admin", "127.0.0.1:%d" % port, "--time-scale", "0") as s:
        admin = "http://127.0.0.1:%d" % port
        check_eq(http_json(s.url + "/__latlab/health")[0], 404)
        check_eq(http_json(admin + "/__latlab/health")[0], 200)
        http_get(s.url + "/naver")
        check_eq([e["site"] for e in journal_at(admin)], ["naver"])
        check_eq(http_json(admin + "/naver")[0], 404)


def journal_at(admin):
    return http_json(admin + "/__latlab/requests")[2]["requests"]


run()
