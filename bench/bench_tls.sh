#!/bin/sh
# bench_tls.sh -- latlab-server's HTTPS (libmicrohttpd + GnuTLS) against nginx with TLS
# (OpenSSL), measured in the same run with the same certificate.
#
# Usage: bench/bench_tls.sh [BUILD_DIR]     (make bench runs it through bench/run.sh)
#
#  1. HTTPS throughput, kept-alive connections: wrk -t2 -c64 -d5s on a zero-latency 2 KiB page.
#  2. New-handshake rate: ab -n 2000 -c 16 without keep-alive, so every request is a new TCP
#     connection and a full TLS handshake (no session resumption: ab offers none).
# Both servers get one ECDSA P-256 certificate made here with openssl (latlab-server through
# --tls-cert/--tls-key, nginx through ssl_certificate), 2 worker threads or processes, no access
# log; three rounds each, alternating; prints every figure, the best of each and the ratios.
#
# Everything listens on free 127.0.0.1 ports and lives in a temporary directory removed on
# exit; every process started here is stopped by its pid. Absolute numbers depend on the
# machine (and on whatever else runs on it): the ratios are the point.
# Knobs: LATLAB_BENCH_SECONDS (wrk duration, 5), LATLAB_BENCH_ROUNDS (3),
# LATLAB_BENCH_HANDSHAKES (ab requests per round, 2000).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
bench=bench_tls
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
case "$build" in /*) ;; *) build="$root/$build" ;; esac
server="$build/latlab-server"
duration=${LATLAB_BENCH_SECONDS:-5}
rounds=${LATLAB_BENCH_ROUNDS:-3}
handshakes=${LATLAB_BENCH_HANDSHAKES:-2000}

[ -x "$server" ] || { echo "bench_tls: $server not built (run make)" >&2; exit 2; }
bench_need wrk ab nginx curl openssl python3

bench_tmp

# wait_https URL: until it answers with a certificate the CA verifies, at most 10 s
wait_https() {
	i=0
	until curl -s --cacert "$tmp/cert.pem" -o /dev/null "$1"; do
		i=$((i + 1))
		[ "$i" -le 200 ] || { echo "bench_tls: nothing answers at $1" >&2; exit 1; }
		sleep 0.05
	done
	[ "$(curl -s --cacert "$tmp/cert.pem" "$1" | wc -c)" -eq 2048 ] ||
		{ echo "bench_tls: the body at $1 is not 2 KiB" >&2; exit 1; }
}

# wrk_rps URL: requests per second of a wrk -t2 -c64 run (kept-alive connections)
wrk_rps() {
	wrk -t2 -c64 -d"${duration}s" "$1" >"$tmp/wrk.out" 2>&1 || true
	errors=$(awk '/Non-2xx|Socket errors/ { print }' "$tmp/wrk.out")
	[ -n "$errors" ] && echo "   wrk: $errors" >&2
	awk '/^Requests\/sec:/ { r = $2 } END { print r + 0 }' "$tmp/wrk.out"
}

# ab_rps URL: requests per second of ab without keep-alive: one new handshake per request
ab_rps() {
	ab -q -n "$handshakes" -c 16 "$1" >"$tmp/ab.out" 2>&1 || true
	failed=$(awk '/^Failed requests:/ { print $3 }' "$tmp/ab.out")
	[ "${failed:-x}" = 0 ] || echo "   ab: failed requests: ${failed:-?} ($(tail -n 1 "$tmp/ab.out"))" >&2
	awk '/^Requests per second:/ { r = $4 } END { print r + 0 }' "$tmp/ab.out"
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1 ||
	{ echo "bench_tls: openssl could not make a certificate" >&2; exit 1; }
cat >"$tmp/r.ini" <<INI
[r]
path = /r
latency = 0
size = 2KiB
INI
body=$(python3 -c 's = "<p>latlab bench</p>"; print(s + "x" * (2048 - len(s)), end="")')
nginx_port=$(free_port)
nginx_conf "$tmp/nginx" "	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$nginx_port ssl;
		ssl_certificate $tmp/cert.pem;
		ssl_certificate_key $tmp/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_cache off;
		ssl_session_tickets off;
		location = /r { default_type text/html; return 200 \"$body\"; }
	}"

start_latlab() {
	rm -f "$tmp/port"
	"$server" --port 0 --https-port 0 --https-port-file "$tmp/port" --threads 2 --quiet \
		--config "$tmp/r.ini" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" &
	latlab_pid=$!
	pids="$pids $latlab_pid"
	wait_port_file "$tmp/port" latlab-server
	latlab_url="https://127.0.0.1:$(cat "$tmp/port")/r"
	wait_https "$latlab_url"
}

start_nginx() {
	nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
	nginx_pid=$!
	pids="$pids $nginx_pid"
	nginx_url="https://127.0.0.1:$nginx_port/r"
	wait_https "$nginx_url"
}

echo "== HTTPS, same ECDSA P-256 certificate: wrk -t2 -c64 -d${duration}s kept alive; ab -n $handshakes -c 16 new handshakes"
best_lt=0 best_nt=0 best_lh=0 best_nh=0
for round in $(seq 1 "$rounds"); do
	start_latlab
	lt=$(wrk_rps "$latlab_url")
	lh=$(ab_rps "$latlab_url")
	stop_pid "$latlab_pid"
	start_nginx
	nt=$(wrk_rps "$nginx_url")
	nh=$(ab_rps "$nginx_url")
	stop_pid "$nginx_pid"
	printf '   round %d: kept alive latlab-server %8.0f req/s  nginx %8.0f req/s | new handshakes latlab-server %6.0f/s  nginx %6.0f/s\n' \
		"$round" "$lt" "$nt" "$lh" "$nh"
	best_lt=$(python3 -c "print(max($best_lt, $lt))")
	best_nt=$(python3 -c "print(max($best_nt, $nt))")
	best_lh=$(python3 -c "print(max($best_lh, $lh))")
	best_nh=$(python3 -c "print(max($best_nh, $nh))")
done
ratio() { python3 -c "print('%.2f' % ($1 / $2 if $2 else 0))"; }
printf '   best: kept alive latlab-server %.0f req/s, nginx %.0f req/s: %sx nginx\n' \
	"$best_lt" "$best_nt" "$(ratio "$best_lt" "$best_nt")"
printf '   best: new handshakes latlab-server %.0f/s, nginx %.0f/s: %sx nginx\n' \
	"$best_lh" "$best_nh" "$(ratio "$best_lh" "$best_nh")"
