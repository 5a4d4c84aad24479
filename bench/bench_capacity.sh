#!/bin/sh
# bench_capacity.sh -- what a queued request costs: peak server RSS per request with N
# requests held at once, delayed (a 1 s site, all in service) vs queued (capacity 100, 20 ms:
# ~N-100 waiting for a slot at the peak). A queued request is suspended like a delayed one and
# its queue entry lives inside its request state, so it must cost no more memory.
#
# Usage: bench/bench_capacity.sh [BUILD_DIR]   (bench/run.sh runs it; knob: LATLAB_BENCH_HELD,
# default 10000). Per request = (VmHWM after - VmRSS before) / N. Loopback only; every process
# started here is stopped by its pid; exits 1 when queued costs more than delayed (+10%).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
case "$build" in /*) ;; *) build="$root/$build" ;; esac
server="$build/latlab-server"
held_client="$build/bench/server-held-client"
n=${LATLAB_BENCH_HELD:-10000}
[ -x "$server" ] && [ -x "$held_client" ] || { echo "bench_capacity: run make first" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/latlab-bench-cap.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# run NAME INI: prints "NAME: <held-client line> base_kib=B peak_kib=P per_request_bytes=X"
run() {
	printf '%s\n' "$2" >"$tmp/$1.ini"
	rm -f "$tmp/port"
	"$server" --port 0 --port-file "$tmp/port" --config "$tmp/$1.ini" --quiet \
		--max-connections 20000 2>"$tmp/$1.err" &
	pid=$!
	i=0
	until [ -s "$tmp/port" ]; do
		i=$((i + 1)); [ $i -lt 500 ] || { echo "bench_capacity: no server" >&2; exit 1; }
		sleep 0.02
	done
	port=$(cat "$tmp/port")
	curl -s -o /dev/null "http://127.0.0.1:$port/__latlab/health"
	base=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	line=$("$held_client" 127.0.0.1 "$port" /site "$n" 30 || true)
	peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	maxq=$(curl -s "http://127.0.0.1:$port/__latlab/stats" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["capacity"]["site"]["max_queued"])')
	kill -TERM "$pid"; wait "$pid" || true; pid=""
	echo "$1: $line max_queued=$maxq base_kib=$base peak_kib=$peak per_request_bytes=$(((peak - base) * 1024 / n))"
}

echo "== memory per request, $n held at once: delayed vs queued"
d=$(run delayed "[site]
latency = 1s
size = 512")
echo "   $d"
q=$(run queued "[site]
latency = 20ms
size = 512
capacity = 100")
echo "   $q"
python3 - "$d" "$q" <<'PY'
import sys
def per(line):
    return int(line.rsplit("per_request_bytes=", 1)[1])
def field(line, k):
    return [w.split("=", 1)[1] for w in line.split() if w.startswith(k + "=")][0]
d, q = per(sys.argv[1]), per(sys.argv[2])
ok = q <= d * 1.1 + 64
print("   queued %d B/request vs delayed %d B/request (ratio %.2f; max_queued %s): %s"
      % (q, d, q / d if d else 0, field(sys.argv[2], "max_queued"), "ok" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
