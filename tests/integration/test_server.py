"""test_server.py -- latlab-server routing, headers, overrides, errors and service endpoints."""
import socket
import urllib.parse

from latlab import (CheckedServer, check, check_eq, http_get, http_json, run, test)



FAST = ("--time-scale", "0.001")


@test
def site_routes_by_path_prefix():
    with CheckedServer(*FAST) as s:
        for path, site in (("/naver", "naver"), ("/naver/any/path", "naver"), ("/google", "google"),
                           ("/apple/x", "apple")):
            status, headers, body = http_get(s.url + path)
            check_eq(status, 200, path)
            check_eq(headers["x-latlab-site"], site, path)
            check(body.startswith(b"<!DOCTYPE html>"), "an HTML page for " + path)


@test
def site_routes_by_host_header():
    with CheckedServer(*FAST) as s:
        for host, site in (("naver.com", "naver"), ("www.naver.com", "naver"), ("google.com", "google"),
                           ("WWW.Google.com:8080", "google"), ("apple.com", "apple"),
                           ("www.apple.com", "apple")):
            status, headers, _ = http_get(s.url + "/", headers={"Host": host})
            check_eq(status, 200, host)
            check_eq(headers["x-latlab-site"], site, host)


@test
def responses_carry_the_latlab_headers():
    with CheckedServer(*FAST) as s:
        status, headers, body = http_get(s.url + "/google?seq=5")
        check_eq(status, 200)
        check_eq(headers["server"], "latlab/0.1.0")
        check_eq(headers["x-latlab-site"], "google")
        check_eq(headers["x-latlab-seq"], "5")
        check(int(headers["x-latlab-delay-us"]) >= 0, "a delay header")
        check(headers["content-type"].startswith("text/html"), "text/html")
        check_eq(int(headers["content-length"]), len(body))


@test
def per_site_counter_numbers_requests_without_seq():
    with CheckedServer(*FAST) as s:
        seqs = [http_get(s.url + "/apple")[1]["x-latlab-seq"] for _ in range(3)]
        check_eq(seqs, ["0", "1", "2"])
        check_eq(http_get(s.url + "/naver")[1]["x-latlab-seq"], "0", "counters are per site")


@test
def query_overrides_size_status_and_latency():
    with CheckedServer() as s:
        status, headers, body = http_get(s.url + "/naver?latency=0&size=2KiB&status=503")
        check_eq(status, 503)
        check_eq(len(body), 2048)
        check_eq(headers["x-latlab-delay-us"], "0")
        status, _, body = http_get(s.url + "/google?latency=0&size=300KiB")
        check_eq(status, 200)
        check_eq(len(body), 300 * 1024, "a body larger than the site's own")
        status, _, body = http_get(s.url + "/apple?latency=0&size=0")
        check_eq((status, body), (200, b""))


@test
def keep_alive_connections_serve_many_requests():
    import http.client
    with CheckedServer(*FAST) as s:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        sock = None
        for query in ("latency=0", "latency=20ms", "latency=0&status=404", "latency=0"):
            conn.request("GET", "/google?size=100&" + query)
            r = conn.getresponse()
            check_eq(len(r.read()), 100, query)
            check(r.getheader("connection") != "close", "kept open after " + query)
            if sock is None:
                sock = conn.sock
            check(conn.sock is sock, "the same connection for " + query)
        conn.close()


@test
def bodies_are_deterministic():
    with CheckedServer(*FAST) as s:
        a = http_get(s.url + "/naver?size=10000")[2]
        b = http_get(s.url + "/naver?size=10000")[2]
        check_eq(a, b, "the same bytes every time")


INVALID = [
    # (query, param)
    ("latency=abc", "latency"),
    ("latency=-1s", "latency"),
    ("latency=5", "latency"),
    ("latency=1e99", "latency"),
    ("latency=61s", "latency"),
    ("latency=", "latency"),
    ("latency", "latency"),
    ("jitter=2parsecs", "jitter"),
    ("jitter=2h", "jitter"),
    ("size=65MiB", "size"),
    ("size=lots", "size"),
    ("size=-5", "size"),
    ("status=99", "status"),
    ("status=100", "status"),  # interim: as the final answer it left the client hanging
    ("status=101", "status"),
    ("status=600", "status"),
    ("status=20x", "status"),
    ("seq=-1", "seq"),
    ("seq=18446744073709551616", "seq"),
    ("seq=1.5", "seq"),
    ("bandwidth=0", "bandwidth"),
    ("bandwidth=fast", "bandwidth"),
    ("fault=explode", "fault"),
    ("latncy=1s", "latncy"),
    ("%00=1", ""),
]


@test
def every_invalid_parameter_gets_400_json_naming_it():
    with CheckedServer("--strict-query", *FAST) as s:  # strict: unknown names are errors too
        for query, param in INVALID:
            status, headers, doc = http_json(s.url + "/naver?" + query)
            check_eq(status, 400, query)
            check(headers["content-type"].startswith("application/json"), query)
            check_eq(doc.get("param"), param, query)
            check(doc.get("error") and doc.get("accepted"), "error and accepted for " + query)


@test
def invalid_seq_header_gets_400():
    with CheckedServer(*FAST) as s:
        status, _, doc = http_json(s.url + "/naver", headers={"X-Latlab-Seq": "seven"})
        check_eq(status, 400)
        check_eq(doc["param"], "X-Latlab-Seq")


@test
def unknown_site_gets_404_json_listing_sites():
    with CheckedServer(*FAST) as s:
        status, _, doc = http_json(s.url + "/nowhere")
        check_eq(status, 404)
        check_eq(doc["error"], "unknown site")
        check_eq(sorted(doc["sites"]), ["apple", "google", "naver"])
        status, _, doc = http_json(s.url + "/", headers={"Host": "example.org"})
        check_eq(status, 404)
        check_eq(doc["host"], "example.org")


@test
def admin_endpoints_answer_other_methods_with_405_and_allow():
    with CheckedServer(*FAST) as s:
        status, headers, doc = http_json(s.url + "/__latlab/health", method="DELETE")
        check_eq((status, headers.get("allow")), (405, "GET, HEAD"))
        check_eq(doc["accepted"], "GET, HEAD")
        status, headers, body = http_get(s.url + "/naver", method="HEAD")
        check_eq((status, body), (200, b""))


@test
def service_endpoints_answer():
    with CheckedServer(*FAST) as s:
        status, _, doc = http_json(s.url + "/__latlab/health")
        check_eq((status, doc["status"]), (200, "ok"))
        status, _, doc = http_json(s.url + "/__latlab/sites")
        check_eq(status, 200)
        names = [x["name"] for x in doc["sites"]]
        check_eq(names, ["naver", "google", "apple"])
        naver = doc["sites"][0]
        check_eq((naver["model"], naver["hosts"]), ("lognormal", ["naver.com", "www.naver.com"]))
        for _ in range(3):
            http_get(s.url + "/google")
        status, _, doc = http_json(s.url + "/__latlab/stats")
        check_eq(status, 200)
        check_eq(doc["sites"]["google"], 3)
        check(doc["max_in_flight"] >= 1, "max in flight")
        for key in ("in_flight", "suspended", "requests"):
            check(key in doc, key)
        status, headers, body = http_get(s.url + "/__latlab/metrics")
        check_eq(status, 200)
        check(b'latlab_requests_total{site="google"} 3' in body, "prometheus counter")
        status, _, doc = http_json(s.url + "/__latlab/nope")
        check_eq(status, 404)


@test
def hostile_requests_get_errors_not_crashes():
    with CheckedServer(*FAST) as s:
        status, _, doc = http_json(s.url + "/%ff%fe?size=%ff")
        check_eq(status, 404)
        status, _, doc = http_json(s.url + "/naver?size=%ff%00")
        check_eq(status, 400)
        # a 2 KiB cookie fits in a connection's memory; 20 KB does not, and the server lives on
        status, _, _ = http_get(s.url + "/naver", headers={"Cookie": "c=" + "a" * 2000})
        check_eq(status, 200, "a 2 KiB header")
        status, _, _ = http_get(s.url + "/naver", headers={"X-Big": "a" * 20000})
        check(status >= 400, "an error for an oversized header, got %d" % status)
        check_eq(http_get(s.url + "/__latlab/health")[0], 200)


@test
def faults_misbehave_as_asked():
    with CheckedServer(*FAST) as s:
        u = urllib.parse.urlsplit(s.url)
        def raw(query):
            c = socket.create_connection((u.hostname, u.port), timeout=5)
            c.sendall(b"GET /naver?" + query.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            data, err = b"", None
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError as e:
                err = e
            c.close()
            return data, err
        data, err = raw("fault=reset")
        check(isinstance(err, ConnectionResetError), "reset: got %r %r" % (data, err))
        data, err = raw("fault=empty")
        check_eq((data, err), (b"", None), "empty reply")
        data, err = raw("fault=garbage")
        check(data and not data.startswith(b"HTTP/"), "garbage: got %r" % data)
        status, _, doc = http_json(s.url + "/__latlab/stats")
        check_eq(doc["faults"], 3)
        check_eq(doc["sites"]["naver"], 3, "faulted requests count for their site")
        _, _, body = http_get(s.url + "/__latlab/metrics")
        check(b'latlab_requests_total{site="naver"} 3' in body, "metrics count faulted requests")


run()
