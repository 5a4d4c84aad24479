#!/bin/sh
# bench_instructions.sh -- instructions per request (valgrind --tool=callgrind), the figure
# that does not move with the machine's load: a busy neighbour changes req/s, never Ir.
#
# Usage: bench/bench_instructions.sh BUILD_DIR [BUILD_DIR...]
#   For each build: latlab-server's instructions per request (answered at once, and held by a
#   1 ms delay: the suspend/resume path), and latlab-client async's instructions per request,
#   each as the difference between a run of 3N and a run of N requests divided by 2N, so
#   start-up and shutdown cancel out. Several builds side by side compare a change (e.g. the
#   tree before and after a refactor). Loopback only; each run is bounded.
# Environment: LATLAB_BENCH_IR_N (requests in the small run, default 1000).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [BUILD_DIR...]" >&2; exit 2; }
command -v valgrind >/dev/null 2>&1 || { echo "bench_instructions: valgrind is missing" >&2; exit 2; }
n=${LATLAB_BENCH_IR_N:-1000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/latlab-ir.XXXXXX")
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# the total Ir callgrind wrote to its out file
total_ir() {
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1" | head -n 1
}

wait_port_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "bench_instructions: the server did not start" >&2; exit 1; }
		sleep 0.1
	done
}

# Ir of one latlab-server run under callgrind that answers COUNT requests to PATH, sent by the
# reference client (not traced)
server_ir() { # build, count, path
	rm -f "$tmp/port" "$tmp/cg.server"
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.server" \
		"$1/latlab-server" --port 0 --port-file "$tmp/port" --quiet --threads 1 \
		>/dev/null 2>"$tmp/valgrind.log" &
	server_pid=$!
	wait_port_file "$tmp/port"
	"$ref/latlab-client" sequential -n "$2" --quiet "http://127.0.0.1:$(cat "$tmp/port")$3" ||
		{ echo "bench_instructions: requests to the traced server failed" >&2; exit 1; }
	kill -TERM "$server_pid"
	wait "$server_pid" || true
	server_pid=""
	total_ir "$tmp/cg.server"
}

# Ir of one latlab-client async run under callgrind of COUNT requests to the reference server
client_ir() { # build, count
	rm -f "$tmp/cg.client"
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.client" \
		"$1/latlab-client" async -n "$2" -c 64 --quiet "$url/naver?latency=0&size=2KiB" \
		2>"$tmp/valgrind.log" || { echo "bench_instructions: the traced client failed" >&2; exit 1; }
	total_ir "$tmp/cg.client"
}

per_request() { # small-run Ir, large-run Ir
	echo "$1 $2 $n" | awk '{ printf "%.0f", ($2 - $1) / (2 * $3) }'
}

# the reference peers: the first build's programs, run natively
ref=$1
case "$ref" in /*) ;; *) ref="$(pwd)/$ref" ;; esac
"$ref/latlab-server" --port 0 --port-file "$tmp/ref-port" --quiet >/dev/null 2>&1 &
ref_server=$!
wait_port_file "$tmp/ref-port"
url="http://127.0.0.1:$(cat "$tmp/ref-port")"

printf '%-28s %14s %14s %14s\n' build "server Ir/req" "held Ir/req" "client Ir/req"
for b in "$@"; do
	case "$b" in /*) ;; *) b="$(pwd)/$b" ;; esac
	s1=$(server_ir "$b" "$n" "/naver?latency=0&size=2KiB")
	s3=$(server_ir "$b" $((3 * n)) "/naver?latency=0&size=2KiB")
	h1=$(server_ir "$b" "$n" "/naver?latency=1ms&size=2KiB")
	h3=$(server_ir "$b" $((3 * n)) "/naver?latency=1ms&size=2KiB")
	c1=$(client_ir "$b" "$n")
	c3=$(client_ir "$b" $((3 * n)))
	printf '%-28s %14s %14s %14s\n' "$(basename "$(dirname "$b")")/$(basename "$b")" \
		"$(per_request "$s1" "$s3")" "$(per_request "$h1" "$h3")" "$(per_request "$c1" "$c3")"
done
kill -TERM "$ref_server" 2>/dev/null || true
wait "$ref_server" 2>/dev/null || true
