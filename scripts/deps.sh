#!/bin/sh
# deps.sh -- install the Debian packages latlab needs, only those that are missing.
#
# Usage: scripts/deps.sh [--build] [--test] [--bench] [--check]
#   --build  libraries and tools to compile (default when no group is named)
#   --test   --build plus the peers the tests drive (curl, python3, rsvg-convert, ...)
#   --bench  --test plus the benchmark peers (wrk, nginx, ab, h2load, httpbin, valgrind)
#   --check  only report what is missing; exit 1 if anything is
# Idempotent: when everything is present it installs nothing and runs no apt-get.
# Uses sudo only when not root.
set -eu

want_test=0
want_bench=0
check_only=0
for arg in "$@"; do
	case "$arg" in
	--build) ;;
	--test) want_test=1 ;;
	--bench) want_test=1; want_bench=1 ;;
	--check) check_only=1 ;;
	-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "deps.sh: unknown option '$arg' (accepted: --build, --test, --bench, --check)" >&2; exit 2 ;;
	esac
done

missing=""
need_pkg() { missing="$missing $1"; }

# name of a Debian package, then how to tell it is present
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pc() { have_cmd pkg-config && pkg-config --exists "$1" 2>/dev/null; }
have_py() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }

have_cmd cc || need_pkg gcc
have_cmd make || need_pkg make
have_cmd pkg-config || need_pkg pkg-config
have_pc libmicrohttpd || need_pkg libmicrohttpd-dev
have_pc libcurl || need_pkg libcurl4-openssl-dev
have_pc libevent || need_pkg libevent-dev
have_pc libevent_pthreads || need_pkg libevent-dev
have_pc inih || need_pkg libinih-dev
have_pc jansson || need_pkg libjansson-dev
have_pc gnutls || need_pkg libgnutls28-dev
have_pc cmocka || need_pkg libcmocka-dev

if [ "$want_test" = 1 ]; then
	have_cmd curl || need_pkg curl
	[ -x /usr/bin/python3 ] || need_pkg python3
	have_py requests || need_pkg python3-requests
	have_py aiohttp || need_pkg python3-aiohttp
	# examples/ci: the pytest fixture, and parallel workers
	have_py pytest || need_pkg python3-pytest
	have_py xdist || need_pkg python3-pytest-xdist
	have_cmd rsvg-convert || need_pkg librsvg2-bin
	have_cmd docker-compose || need_pkg docker-compose
	have_cmd clang-format || need_pkg clang-format
	# make fuzz: clang with libFuzzer's runtime
	have_cmd clang || need_pkg clang
	dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || need_pkg libclang-rt-14-dev
	have_cmd cppcheck || need_pkg cppcheck
	have_cmd groff || need_pkg groff-base
fi
if [ "$want_bench" = 1 ]; then
	have_cmd wrk || need_pkg wrk
	have_cmd nginx || need_pkg nginx-light
	have_cmd ab || need_pkg apache2-utils
	have_cmd h2load || need_pkg nghttp2-client
	have_py httpbin || need_pkg python3-httpbin
	have_cmd gunicorn || need_pkg gunicorn
	have_cmd valgrind || need_pkg valgrind
fi

# one package may be named twice (libevent-dev): keep each once
missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ' | sed 's/ *$//')
[ -z "$missing" ] && exit 0

if [ "$check_only" = 1 ]; then
	echo "deps.sh: missing Debian packages: $missing" >&2
	exit 1
fi

echo "deps.sh: installing $missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if have_cmd sudo; then SUDO="sudo"; else
		echo "deps.sh: not root and no sudo; install as root: apt-get install $missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# a fresh machine has no package lists yet; refresh them once, then install
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps.sh: done" >&2
