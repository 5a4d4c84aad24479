"""test_client_trace_events.py -- --trace-events PATH.json writes the run as Chrome Trace Event
JSON that Perfetto and chrome://tracing load: every event has ph/ts/pid/tid/name, request spans
are balanced b/e pairs, state spans are complete X events on their worker's track, and the
in-flight and on-CPU counters are C events that agree with the run's JSON."""
import json
import os
import tempfile
from collections import Counter

from latlab import Server, check, check_eq, client, run, test


def trace_of(*args):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.json")
        jpath = os.path.join(tmp, "r.json")
        p = client(*args, "--trace-events", path, "--json", jpath)
        check_eq(p.returncode, 0, "exit code: %r" % p.stderr)
        with open(path) as f:
            doc = json.load(f)
        with open(jpath) as f:
            return doc, json.load(f)


def check_structure(doc):
    events = doc["traceEvents"]
    check(isinstance(events, list) and events, "traceEvents is a non-empty list")
    for e in events:
        for key in ("ph", "ts", "pid", "tid", "name"):
            check(key in e, "every event has %s: %r" % (key, e))
        check(e["ph"] in ("M", "X", "b", "e", "C"), "known phase: %r" % e)
        check(isinstance(e["ts"], int) and e["ts"] >= 0, "ts in microseconds: %r" % e)
        if e["ph"] == "X":
            check(isinstance(e["dur"], int) and e["dur"] >= 0, "X has a duration: %r" % e)
        if e["ph"] == "C":
            check(all(isinstance(v, (int, float)) for v in e["args"].values()), "counter values: %r" % e)
    opened = Counter((e["pid"], e["cat"], e["id"]) for e in events if e["ph"] == "b")
    closed = Counter((e["pid"], e["cat"], e["id"]) for e in events if e["ph"] == "e")
    check_eq(opened, closed, "every b has its e")
    for e in events:
        if e["ph"] == "b":
            check(e["ts"] <= next(x["ts"] for x in events if x["ph"] == "e" and x["pid"] == e["pid"]
                                  and x["id"] == e["id"]), "a request ends after it starts")
    return events


@test
def trace_events_of_a_gil_compare_have_tracks_requests_states_and_counters():
    with Server() as s:
        doc, rep = trace_of("compare", "-n", 8, "-c", 2, "--work", "cpu:5ms", "--gil", s.url + "/naver?latency=1ms")
    events = check_structure(doc)
    procs = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    check_eq(procs, {"latlab-client " + m for m in ("sequential", "threads", "processes", "async")}, "one process per mode")
    threads_pid = 2
    tracks = {e["tid"] for e in events if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == threads_pid}
    check_eq(tracks, {1, 2}, "one track per thread")
    states = Counter(e["name"] for e in events if e["ph"] == "X" and e["pid"] == threads_pid)
    check(states["cpu"] >= 1 and states["gil"] >= 1 and states["net"] >= 1, "threads' states: %r" % states)
    reqs = [e for e in events if e["ph"] == "b"]
    check_eq(len(reqs), 4 * 8, "one request span per request per mode")
    names = {e["name"] for e in events if e["ph"] == "C"}
    check_eq(names, {"in flight (concurrency)", "on a CPU (parallelism)"}, "the two counters")


@test
def trace_events_counters_agree_with_the_runs_json():
    with Server("--time-scale", "0.05") as s:
        doc, rep = trace_of("async", "--repeat", 50, s.url + "/naver", s.url + "/google")
    events = check_structure(doc)
    flight = [e["args"]["requests"] for e in events if e["ph"] == "C" and e["name"].startswith("in flight")]
    check_eq(max(flight), rep["in_flight"]["max"], "the counter's peak is the JSON's max")
    cpu = [e["args"]["workers"] for e in events if e["ph"] == "C" and e["name"].startswith("on a CPU")]
    check(max(cpu) <= 1.0 + 1e-9, "one loop is on one CPU at most: %r" % max(cpu))


@test
def trace_events_to_stdout_is_a_usage_error():
    p = client("threads", "--trace-events", "-", "http://127.0.0.1:1/")
    check_eq(p.returncode, 2, "exit code")
    check("--trace-events" in p.stderr and "PATH.json" in p.stderr, p.stderr)


run()
