#!/bin/sh
# lecture.sh -- run the lecture's two programs exactly as written (labs/lecture_requests.py,
# labs/lecture_aiohttp.py: https://naver.com, https://google.com, https://apple.com) against
# latlab-server on this machine, with their times.
#
# Usage (as root): sh scripts/lecture.sh [requests|aiohttp|both] [latlab-server options...]
# The programs and the server run in a private network and mount namespace (unshare -mn):
# there the loopback is the namespace's own, so the server can take port 443, and
# examples/lecture.hosts is bind-mounted over /etc/hosts, so naver.com, google.com and
# apple.com (and www.*) resolve to 127.0.0.1 -- nothing outside the namespace changes. The
# server serves examples/lecture.ini (unless --config is given) over HTTPS on 443 with a CA
# made at start-up, which the programs trust through REQUESTS_CA_BUNDLE and SSL_CERT_FILE.
# Environment: LATLAB_BUILD (build), PYTHON (/usr/bin/python3).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
which=${1:-both}
[ $# -gt 0 ] && shift
case "$which" in requests | aiohttp | both) ;; *)
	echo "lecture.sh: unknown program '$which'; accepted: requests, aiohttp or both" >&2
	exit 2
	;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "lecture.sh: needs root (unshare -mn, mount --bind over /etc/hosts)" >&2
	exit 2
fi
build=${LATLAB_BUILD:-$root/build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
python=${PYTHON:-/usr/bin/python3}
config="--config $root/examples/lecture.ini"
case " $* " in *" --config "*) config="" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# shellcheck disable=SC2016 # expanded by the inner shell
unshare -mn sh -c '
	set -eu
	root=$1 build=$2 python=$3 which=$4 tmp=$5 config=$6
	shift 6
	ip link set lo up
	mount --bind "$root/examples/lecture.hosts" /etc/hosts
	# shellcheck disable=SC2086 # config is two words or none
	"$build/latlab-server" --port 0 --https-port 443 --https-port-file "$tmp/port" \
		--tls-ca "$tmp/ca.pem" --quiet $config "$@" &
	server=$!
	i=0
	while [ ! -s "$tmp/port" ]; do
		kill -0 "$server" 2>/dev/null || { wait "$server" || exit $?; exit 1; }
		i=$((i + 1)); [ $i -lt 500 ] || { kill "$server"; exit 1; }
		sleep 0.01
	done
	rc=0
	export REQUESTS_CA_BUNDLE="$tmp/ca.pem" SSL_CERT_FILE="$tmp/ca.pem"
	for prog in requests aiohttp; do
		[ "$which" = both ] || [ "$which" = "$prog" ] || continue
		echo "== labs/lecture_$prog.py"
		"$python" "$root/labs/lecture_$prog.py" || rc=$?
	done
	kill "$server"
	wait "$server" || true
	exit $rc
' lecture "$root" "$build" "$python" "$which" "$tmp" "$config" "$@"
