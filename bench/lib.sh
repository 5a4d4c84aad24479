# lib.sh -- what the benchmark scripts share; sourced (". bench/lib.sh") after they set
# `bench` (their name, for messages). Loopback only.
#
#   bench_need TOOL...        exit 2 naming the first missing tool
#   bench_tmp                 make $tmp; on exit stop every pid in $pids and remove $tmp
#   free_port                 a free loopback TCP port
#   wait_port_file FILE WHAT  wait (at most 10 s) until FILE has content; else exit 1
#   stop_pid PID              SIGTERM and wait
#   nginx_conf DIR HTTP       write DIR/nginx.conf: 2 workers in the foreground, pid, error log
#                             and temp paths in DIR, no access log, then HTTP (the script's
#                             own http-level directives and server block)

bench_need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || { echo "$bench: $tool is missing" >&2; exit 2; }
	done
}

bench_cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}

bench_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/latlab-$bench.XXXXXX")
	pids=""
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_port_file() {
	i=0
	until [ -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -le 200 ] || { echo "$bench: $2 did not start" >&2; exit 1; }
		sleep 0.05
	done
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

nginx_conf() {
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<CONF
worker_processes 2;
pid $1/nginx.pid;
error_log $1/error.log;
daemon off;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $1/body;
	proxy_temp_path $1/proxy;
	fastcgi_temp_path $1/fastcgi;
	uwsgi_temp_path $1/uwsgi;
	scgi_temp_path $1/scgi;
$2
}
CONF
}
