#!/bin/sh
# bench_client.sh -- latlab-client's async loop against its peers, measured in the same run.
#
#   1. throughput: one event loop, 64 connections, against nginx serving a 2 KiB static file
#      (2 workers, access_log off, temp config on a free loopback port): latlab-client async
#      beside wrk -t1, ab -k and h2load --h1. Target: >= 0.6x wrk's req/s.
#   2. scale: 10,000 requests all in flight against latlab-server with a 1 s latency: wall
#      time of latlab-client async (one loop, then --loops 2) beside a raw epoll client (its
#      connects timed apart) and the lecture's aiohttp program. Target: <= 1.35 s.
#
# Usage: bench/bench_client.sh [BUILD_DIR]   (env: BENCH_N requests for 1, default 200000)
# Absolute numbers depend on the machine and its load; the ratios are what README records.
# Only 127.0.0.1 is ever contacted. Exit 1 when a step could not run or a run had errors.
set -eu
build=${1:-build}
case "$build" in /*) ;; *) build="$(pwd)/$build" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
bench=bench_client
. "$here/lib.sh" # free_port, nginx_conf (this script keeps its own temp dir and cleanup)
client="$build/latlab-client"
server="$build/latlab-server"
py=/usr/bin/python3
n=${BENCH_N:-200000}
tmp=$(mktemp -d /tmp/latlab-bench-client.XXXXXX)
nginx_pid=""
server_pid=""
status=0

cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM


# waits (bounded) until something answers on 127.0.0.1:$1
wait_port() {
	i=0
	while ! "$py" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.05
	done
}

json_field() { # file key
	"$py" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}

ratio() { # a b -> a/b with 2 decimals
	"$py" -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"
}

[ -x "$client" ] || { echo "bench_client: $client not built (run make)"; exit 1; }
echo "machine: $(nproc) cores, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. throughput against nginx ------------------------------------------------------------
echo
echo "-- 1. throughput: 2 KiB static file from nginx, 64 connections, one event loop"
if command -v nginx >/dev/null 2>&1 && command -v wrk >/dev/null 2>&1; then
	port=$(free_port)
	mkdir -p "$tmp/html"
	"$py" -c "import sys; sys.stdout.write('x' * 2048)" >"$tmp/html/f2k"
	chmod 755 "$tmp" "$tmp/html" # nginx workers run as another user
	chmod 644 "$tmp/html/f2k"
	nginx_conf "$tmp/ngx" "	keepalive_requests 10000000;
	server { listen 127.0.0.1:$port; root $tmp/html; }"
	nginx -c "$tmp/ngx/nginx.conf" -p "$tmp/ngx" >/dev/null 2>&1 &
	nginx_pid=$!
	url="http://127.0.0.1:$port/f2k"
	if wait_port "$port" && [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ]; then
		secs=$("$py" -c "print(max(2, round($n / 40000)))")
		wrk_rps=$(wrk -t1 -c64 -d"${secs}s" "$url" | awk '/^Requests\/sec:/ {print $2}')
		echo "wrk -t1 -c64 -d${secs}s          ${wrk_rps:-?} req/s"
		[ -n "$wrk_rps" ] || { wrk_rps=0; status=1; }
		if command -v ab >/dev/null 2>&1; then
			ab_rps=$(ab -q -k -c64 -n "$n" "$url" 2>/dev/null | awk '/^Requests per second:/ {print $4}')
			echo "ab -k -c64 -n $n        $ab_rps req/s"
		fi
		if command -v h2load >/dev/null 2>&1; then
			h2_rps=$(h2load --h1 -c64 -n "$n" "$url" 2>/dev/null |
				sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p')
			echo "h2load --h1 -c64 -n $n  $h2_rps req/s"
		fi
		if "$client" async -c 64 -n "$n" --json "$tmp/tp.json" "$url" >"$tmp/tp.txt"; then
			ours=$(json_field "$tmp/tp.json" rps)
			r=$([ "$wrk_rps" != 0 ] && ratio "$ours" "$wrk_rps" || echo 0)
			printf 'latlab-client async -c64 -n %s  %.0f req/s  = %sx wrk (target >= 0.6: %s)\n' \
				"$n" "$ours" "$r" "$("$py" -c "print('met' if $r >= 0.6 else 'MISSED')")"
		else
			echo "latlab-client async: errors against nginx:"
			sed 's/^/    /' "$tmp/tp.txt"
			status=1
		fi
		# two loops on two threads beside wrk's two threads
		wrk2_rps=$(wrk -t2 -c64 -d"${secs}s" "$url" | awk '/^Requests\/sec:/ {print $2}')
		echo "wrk -t2 -c64 -d${secs}s          ${wrk2_rps:-?} req/s"
		if "$client" async --loops 2 -c 64 -d "${secs}s" --json "$tmp/l2.json" "$url" >/dev/null; then
			ours=$(json_field "$tmp/l2.json" rps)
			printf 'latlab-client async --loops 2 -c64 -d%ss  %.0f req/s  = %sx wrk -t2\n' \
				"$secs" "$ours" "$(ratio "$ours" "${wrk2_rps:-0}")"
		fi
		# --rate accuracy: asked vs achieved rate and late starts, open model (wrk2 -R)
		for rate in 1000 5000 20000; do
			if "$client" async --rate "$rate" -d 3s -c 64 --json "$tmp/rate.json" "$url" >/dev/null; then
				"$py" - "$tmp/rate.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rate"]
print("latlab-client async --rate %-6d -d 3s  achieved %.1f/s (%.2f%%), %d late starts of %d, p99 %.2f ms from due"
      % (r["asked"], r["achieved"], 100.0 * r["achieved"] / r["asked"], r["late_starts"], d["requests"],
         d["latency_from_due_ms"]["p99"]))
PY
			fi
		done
	else
		echo "nginx did not serve $url: $(cat "$tmp/ngx/error.log" 2>/dev/null)"
		status=1
	fi
	kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	nginx_pid=""
else
	echo "skipped: nginx or wrk missing (make bench installs them)"
fi

# ---- 2. scale: 10,000 in flight against a 1 s site -------------------------------------------
echo
echo "-- 2. scale: 10,000 requests all in flight, 1 s latency each (latlab-server)"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)"
"$server" --port 0 --port-file "$tmp/port" --quiet >/dev/null 2>&1 &
server_pid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
if [ -s "$tmp/port" ]; then
	surl="http://127.0.0.1:$(cat "$tmp/port")/naver?latency=1s&size=2KiB"
	"$client" async -n 10 -q "$surl" || true # warm-up: the server's first connections
	if "$client" async -n 10000 --json "$tmp/scale.json" "$surl" >"$tmp/scale.txt"; then
		wall=$(json_field "$tmp/scale.json" wall_s)
		ok=$(json_field "$tmp/scale.json" ok)
		printf 'latlab-client async -n 10000     %s ok, wall %.2fs (target <= 1.35s: %s)\n' "$ok" "$wall" \
			"$("$py" -c "print('met' if $wall <= 1.35 else 'MISSED')")"
	else
		echo "latlab-client async: errors at 10,000 in flight:"
		sed 's/^/    /' "$tmp/scale.txt"
		status=1
		wall=""
	fi
	sleep 1
	if "$client" async --loops 2 -n 10000 --json "$tmp/scale2.json" "$surl" >/dev/null; then
		printf 'latlab-client async --loops 2    %s ok, wall %.2fs\n' \
			"$(json_field "$tmp/scale2.json" ok)" "$(json_field "$tmp/scale2.json" wall_s)"
	fi
	# the floor: a raw epoll client (bench/server-held-client.c, the server benchmark's helper)
	# that opens its connections first, then sends every request: its wall starts at the first
	# send; connect + wall is what it needs when it connects inside its wall, as we do
	if [ -x "$build/bench/server-held-client" ]; then
		sleep 1
		line=$("$build/bench/server-held-client" 127.0.0.1 "$(cat "$tmp/port")" "/naver?latency=1s&size=2KiB" 10000 10 2>/dev/null || true)
		held=$(echo "$line" | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p')
		conn=$(echo "$line" | sed -n 's/.*connect_ms=\([0-9.]*\).*/\1/p')
		if [ -n "$held" ] && [ -n "$conn" ]; then
			printf 'raw epoll client                 wall %.2fs pre-connected; connects %.2fs; both %.2fs\n' \
				"$held" "$("$py" -c "print($conn / 1000)")" "$("$py" -c "print($held + $conn / 1000)")"
		else
			echo "raw epoll client: failed: $line"
		fi
	fi
	cat >"$tmp/aio.py" <<'PY'
# the lecture's aiohttp program, at 10,000 in flight
import asyncio, sys, time
import aiohttp

async def main(url, n):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        async def get(i):
            async with s.get(url, headers={"X-Latlab-Seq": str(i)}) as r:
                await r.read()
                return r.status
        t0 = time.monotonic()
        res = await asyncio.gather(*(get(i) for i in range(n)), return_exceptions=True)
        print("%d %.3f" % (sum(1 for r in res if r == 200), time.monotonic() - t0))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
PY
	if "$py" -c "import aiohttp" 2>/dev/null; then
		aio=$("$py" "$tmp/aio.py" "$surl" 10000 2>"$tmp/aio.err" || true)
		if [ -n "$aio" ]; then
			set -- $aio
			printf 'aiohttp (python3, limit=0)       %s ok, wall %.2fs' "$1" "$2"
			[ -n "$wall" ] && printf '  = %sx latlab-client' "$(ratio "$2" "$wall")"
			echo
		else
			echo "aiohttp: failed: $(tail -n 1 "$tmp/aio.err")"
			status=1
		fi
	else
		echo "aiohttp: skipped (python3-aiohttp missing)"
	fi
else
	echo "latlab-server did not start"
	status=1
fi
# ---- 3. memory of a long run (BENCH_LONG_S seconds, e.g. 600; skipped when unset) -----------
if [ -n "${BENCH_LONG_S:-}" ] && [ -n "${surl:-}" ]; then
	echo
	echo "-- 3. peak RSS of a ${BENCH_LONG_S}s async run at full speed (no per-request output)"
	"$client" async -c 100 -d "${BENCH_LONG_S}s" -q --json "$tmp/long.json" "${surl%%\?*}?latency=0&size=2KiB" &&
		"$py" -c "import json; d = json.load(open('$tmp/long.json')); print('%d requests, %.0f req/s, peak RSS %.1f MiB' % (d['requests'], d['rps'], d['maxrss_kib'] / 1024))"
fi
exit $status
