#!/bin/sh
# demo.sh -- the lecture's batch in every mode against a fresh latlab-server, then clean up.
#
# Usage: scripts/demo.sh [BUILD_DIR]      (make demo runs it after building)
# Starts BUILD_DIR/latlab-server on a free loopback port, runs
# `latlab-client compare --repeat 50` on /naver and /google (the lecture's `urls * 50`),
# prints the comparison table, writes BUILD_DIR/demo-timeline.svg, and stops the server.
# No process is left behind, whether the demo ends, fails or is interrupted; an interrupted
# demo keeps the previous complete timeline (the new one replaces it only once whole).
# Environment: LATLAB_TIME_SCALE (default 1.0) is passed to the server as --time-scale;
# 0.1 runs the demo ten times faster with the same shape.
set -eu

build=${1:-build}
scale=${LATLAB_TIME_SCALE:-1.0}
server=$build/latlab-server
client=$build/latlab-client
svg=$build/demo-timeline.svg
start_timeout=${LATLAB_DEMO_START_TIMEOUT:-10} # seconds to wait for the port file
stop_timeout=20                                 # seconds for a graceful stop before SIGKILL

for bin in "$server" "$client"; do
	if [ ! -x "$bin" ]; then
		echo "demo.sh: $bin not found; run make first" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/latlab-demo.XXXXXX")
server_pid=""

# alive PID: the process exists and is not a zombie waiting to be reaped
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) in
	" Z"*) return 1 ;;
	esac
	return 0
}

# stop_server: SIGTERM, then wait at most $stop_timeout s (a watchdog sends SIGKILL after that);
# returns the server's exit status. (sh has no locals: its variables are named stop_*.)
stop_server() {
	[ -n "$server_pid" ] || return 0
	stop_pid=$server_pid
	server_pid=""
	kill -TERM "$stop_pid" 2>/dev/null || true
	(
		i=0
		while [ "$i" -lt $((stop_timeout * 10)) ]; do
			alive "$stop_pid" || exit 0
			sleep 0.1
			i=$((i + 1))
		done
		echo "demo.sh: latlab-server (pid $stop_pid) did not stop within ${stop_timeout}s; killing it" >&2
		kill -KILL "$stop_pid" 2>/dev/null || true
	) &
	stop_watchdog=$!
	stop_status=0
	wait "$stop_pid" || stop_status=$?
	kill "$stop_watchdog" 2>/dev/null || true
	wait "$stop_watchdog" 2>/dev/null || true
	return "$stop_status"
}

client_pid=""
cleanup() {
	# interrupted while the client runs: stop it first (it would only see a closing server)
	if [ -n "$client_pid" ]; then
		kill -TERM "$client_pid" 2>/dev/null || true
		wait "$client_pid" 2>/dev/null || true
	fi
	stop_server || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$server" --port 0 --port-file "$tmp/port" --time-scale "$scale" --quiet \
	>"$tmp/server.log" 2>&1 &
server_pid=$!

# wait (bounded) for the port file, which the server writes once it is listening
port=""
i=0
while [ "$i" -lt $((start_timeout * 20)) ]; do
	if ! alive "$server_pid"; then
		echo "demo.sh: latlab-server exited at start:" >&2
		sed 's/^/  /' "$tmp/server.log" >&2
		exit 1
	fi
	if [ -s "$tmp/port" ]; then
		port=$(cat "$tmp/port")
		[ -n "$port" ] && break
	fi
	sleep 0.05
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "demo.sh: latlab-server wrote no port file within ${start_timeout}s" >&2
	exit 1
fi

url=http://127.0.0.1:$port
echo "latlab demo: latlab-server (pid $server_pid) on $url, time scale $scale"
echo "batch: [$url/naver, $url/google] * 50 = 100 requests, in every mode"
echo
status=0
# in the background and waited for, so that a signal to this script is handled at once
# (sh runs traps only after a foreground command ends)
"$client" compare --repeat 50 --timeline "$tmp/timeline.svg" "$url/naver" "$url/google" &
client_pid=$!
wait "$client_pid" || status=$?
client_pid=""
echo
# a client killed or interrupted (status above 1) leaves the previous timeline in place
if [ "$status" -le 1 ] && [ -s "$tmp/timeline.svg" ]; then
	mv -f "$tmp/timeline.svg" "$svg"
fi
if [ "$status" -le 1 ] && [ -s "$svg" ]; then
	echo "timeline: $svg"
else
	echo "demo.sh: no timeline written to $svg" >&2
	[ "$status" -ne 0 ] || status=1
fi
server_status=0
stop_server || server_status=$?
if [ "$server_status" -ne 0 ]; then
	echo "demo.sh: latlab-server exited with status $server_status" >&2
	[ "$status" -ne 0 ] || status=1
fi
exit "$status"
