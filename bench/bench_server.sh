#!/bin/sh
# bench_server.sh -- latlab-server against its peers, measured in the same run.
#
# Usage: bench/bench_server.sh [BUILD_DIR]     (make bench runs it)
#
#  1. Throughput: wrk -t2 -c64 -d5s on a zero-latency 2 KiB page, latlab-server vs nginx
#     (2 workers, access log off, `location = /r { return 200 "<2 KiB>"; }`), three rounds
#     each, alternating; prints every figure, the best of each and the ratio.
#  2. Held concurrency: 10,000 requests in flight at once against a 1 s site
#     (bench/server-held-client.c): all complete, wall <= 1.05 s, injected-vs-observed
#     delay error p99 <= 5 ms, server peak RSS <= 100 MiB; then the same client against
#     python3-httpbin's /delay/1 under gunicorn (2 workers x 100 threads), 10 s deadline.
#
# Everything listens on free 127.0.0.1 ports and lives in a temporary directory removed on
# exit; every process started here is stopped by its pid. Absolute numbers depend on the
# machine (and on whatever else runs on it): the ratios are the point.
# Knobs: LATLAB_BENCH_SECONDS (wrk duration, 5), LATLAB_BENCH_ROUNDS (3),
# LATLAB_BENCH_HELD (requests held at once, 10000).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
bench=bench_server
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
case "$build" in /*) ;; *) build="$root/$build" ;; esac
server="$build/latlab-server"
held_client="$build/bench/server-held-client" # built by make (bench/server-held-client.c)
duration=${LATLAB_BENCH_SECONDS:-5}
held_n=${LATLAB_BENCH_HELD:-10000}
rounds=${LATLAB_BENCH_ROUNDS:-3}

[ -x "$server" ] || { echo "bench_server: $server not built (run make)" >&2; exit 2; }
[ -x "$held_client" ] || { echo "bench_server: $held_client not built (run make)" >&2; exit 2; }
bench_need wrk nginx curl python3

bench_tmp

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# wait_http URL: until it answers, at most 10 s
wait_http() {
	i=0
	until curl -s -o /dev/null "$1"; do
		i=$((i + 1))
		[ "$i" -le 200 ] || { echo "bench_server: nothing answers at $1" >&2; exit 1; }
		sleep 0.05
	done
}

# start_latlab CONFIG: starts the server on a free port; sets latlab_pid and latlab_port
start_latlab() {
	rm -f "$tmp/port"
	"$server" --port 0 --port-file "$tmp/port" --config "$1" --quiet &
	latlab_pid=$!
	pids="$pids $latlab_pid"
	wait_port_file "$tmp/port" latlab-server
	latlab_port=$(cat "$tmp/port")
}

# wrk_rps URL: requests per second of a wrk -t2 -c64 run
wrk_rps() {
	wrk -t2 -c64 -d"${duration}s" "$1" >"$tmp/wrk.out" 2>&1 || true
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
	errors=$(awk '/Non-2xx|Socket errors/ { print }' "$tmp/wrk.out")
	[ -n "$errors" ] && echo "   wrk: $errors" >&2
	echo "${rps:-0}"
}

echo "== throughput: wrk -t2 -c64 -d${duration}s, zero latency, 2 KiB text/html"
body=$(python3 -c 's = "<p>latlab bench</p>"; print(s + "x" * (2048 - len(s)), end="")')
cat >"$tmp/r.ini" <<INI
[r]
path = /r
latency = 0
size = 2KiB
INI
nginx_port=$(free_port)
nginx_conf "$tmp/nginx" "	server {
		listen 127.0.0.1:$nginx_port;
		location = /r { default_type text/html; return 200 \"$body\"; }
	}"
best_l=0
best_n=0
for round in $(seq 1 "$rounds"); do
	start_latlab "$tmp/r.ini"
	wait_http "http://127.0.0.1:$latlab_port/r"
	[ "$(curl -s "http://127.0.0.1:$latlab_port/r" | wc -c)" -eq 2048 ] || { echo "bench_server: latlab body is not 2 KiB" >&2; exit 1; }
	l=$(wrk_rps "http://127.0.0.1:$latlab_port/r")
	stop_pid "$latlab_pid"
	nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
	nginx_pid=$!
	pids="$pids $nginx_pid"
	wait_http "http://127.0.0.1:$nginx_port/r"
	[ "$(curl -s "http://127.0.0.1:$nginx_port/r" | wc -c)" -eq 2048 ] || { echo "bench_server: nginx body is not 2 KiB" >&2; exit 1; }
	n=$(wrk_rps "http://127.0.0.1:$nginx_port/r")
	stop_pid "$nginx_pid"
	printf '   round %d: latlab-server %10.0f req/s   nginx %10.0f req/s\n' "$round" "$l" "$n"
	best_l=$(python3 -c "print(max($best_l, $l))")
	best_n=$(python3 -c "print(max($best_n, $n))")
done
printf '   best:    latlab-server %10.0f req/s   nginx %10.0f req/s   ratio %.2fx nginx (target >= 1.0)\n' \
	"$best_l" "$best_n" "$(python3 -c "print($best_l / $best_n if $best_n else 0)")"

echo "== held concurrency: $held_n requests in flight at once, 1 s latency"
cat >"$tmp/held.ini" <<INI
[held]
latency = 1s
size = 512
INI
best_line=""
best_p99=999999
for round in 1 2; do
	start_latlab "$tmp/held.ini"
	wait_http "http://127.0.0.1:$latlab_port/__latlab/health"
	line=$("$held_client" 127.0.0.1 "$latlab_port" /held "$held_n" 10 || true)
	rss_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$latlab_pid/status")
	late=$(curl -s "http://127.0.0.1:$latlab_port/__latlab/stats" |
		python3 -c 'import json, sys; l = json.load(sys.stdin)["late_us"]; print("server_late_ms_p50=%.2f server_late_ms_p99=%.2f" % (l["p50"] / 1e3, l["p99"] / 1e3))')
	stop_pid "$latlab_pid"
	line="$line peak_rss_mib=$((rss_kib / 1024)) $late"
	echo "   round $round: latlab-server $line"
	p99=$(echo "$line" | sed -n 's/.*err_ms_p99=\([0-9.]*\).*/\1/p')
	if [ -n "$p99" ] && python3 -c "import sys; sys.exit(0 if $p99 < $best_p99 else 1)"; then
		best_p99=$p99
		best_line=$line
	fi
done
[ -n "$best_line" ] || best_line=$line
echo "   best round (lowest p99 error):"
python3 - "$best_line" "$held_n" <<'PY'
import sys
f = dict(kv.split("=") for kv in sys.argv[1].split())
n = int(sys.argv[2])
checks = [("all complete", int(f["ok"]) == n, "%s/%d" % (f["ok"], n)),
          ("wall <= 1.05 s", float(f["wall_s"]) <= 1.05,
           "%s s (the client's send ramp: %s ms; last send to last answer: %s s)"
           % (f["wall_s"], f["send_ms"], f["last_send_to_last_answer_s"])),
          ("delay error p99 <= 5 ms", float(f.get("err_ms_p99", "inf")) <= 5, f.get("err_ms_p99", "-") + " ms"),
          ("peak RSS <= 100 MiB", int(f["peak_rss_mib"]) <= 100, f["peak_rss_mib"] + " MiB")]
for name, ok, got in checks:
    print("   %-4s %-26s %s" % ("ok" if ok else "MISS", name, got))
PY

if /usr/bin/python3 -c 'import httpbin' 2>/dev/null && [ -x /usr/bin/gunicorn ]; then
	hb_port=$(free_port)
	/usr/bin/gunicorn -b "127.0.0.1:$hb_port" -w 2 -k gthread --threads 100 --worker-connections 10000 \
		--backlog 4096 --log-level error httpbin:app &
	hb_pid=$!
	pids="$pids $hb_pid"
	wait_http "http://127.0.0.1:$hb_port/get"
	line=$("$held_client" 127.0.0.1 "$hb_port" /delay/1 "$held_n" 10 1000000 || true)
	hb_rss=0
	for p in $hb_pid $(pgrep -P "$hb_pid" || true); do
		r=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
		hb_rss=$((hb_rss + r))
	done
	stop_pid "$hb_pid"
	echo "   httpbin /delay/1 (gunicorn gthread 2x100): $line peak_rss_mib=$((hb_rss / 1024))"
else
	echo "   httpbin: python3-httpbin or gunicorn missing, skipped"
fi
