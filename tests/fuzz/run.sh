#!/bin/sh
# run.sh -- build and run the libFuzzer targets in tests/fuzz/ for a bounded time.
#
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 20; env LATLAB_FUZZ_TIME too)
# Needs clang with libFuzzer (Debian: apt-get install clang). Builds into build/fuzz/ with
# -fsanitize=fuzzer,address,undefined; the corpus grows in build/fuzz/corpus-NAME/, seeded
# from tests/fuzz/seeds-NAME.txt (one input a line; \n and other printf %b escapes stand for
# themselves, so a multi-line sites.ini fits on one line). Exit 0 when every target ran clean for
# its time; non-zero with the crashing input saved as build/fuzz/crash-* otherwise.
# Not part of `make test`: the normal build never compiles these files.
set -u
seconds=${1:-${LATLAB_FUZZ_TIME:-20}}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/build/fuzz"
cc=${FUZZ_CC:-clang}
# the libraries the programs link (the Makefile's PKGS)
pkgs="libmicrohttpd libcurl libevent libevent_pthreads inih jansson gnutls"

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: '$cc' not found; libFuzzer needs clang (Debian: sudo apt-get install clang)" >&2
	exit 2
fi
mkdir -p "$out"
# libFuzzer ships with clang's runtime; say so plainly when it is missing
probe="$out/.probe"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
	'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$probe.c"
if ! "$cc" -fsanitize=fuzzer -o "$probe" "$probe.c" >/dev/null 2>&1; then
	echo "fuzz: '$cc' cannot link -fsanitize=fuzzer (libFuzzer runtime missing; Debian: sudo apt-get install clang)" >&2
	rm -f "$probe" "$probe.c"
	exit 2
fi
rm -f "$probe" "$probe.c"

status=0
for src in "$here"/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin="$out/$name"
	corpus="$out/corpus-${name#fuzz_}"
	echo "fuzz: building $name"
	# the target, all of common/, and the library its comment names ("fuzz-libs: server" or
	# "client": every .c of that folder but main.c, built with the target's sanitizers)
	extra=""
	pkg_flags=""
	for lib in $(sed -n 's|^ \* fuzz-libs: ||p' "$src"); do
		for f in "$root/$lib"/*.c; do
			[ "$(basename "$f")" = main.c ] || extra="$extra $f"
		done
		pkg_flags=$(pkg-config --cflags --libs $pkgs)
	done
	# shellcheck disable=SC2086
	if ! "$cc" -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Wall -Wextra -Werror -I"$root/common" \
		-DLATLAB_VERSION='"fuzz"' -o "$bin" "$src" "$root"/common/*.c $extra $pkg_flags \
		-lpthread -lm; then
		echo "fuzz: $name failed to build" >&2
		status=1
		continue
	fi
	mkdir -p "$corpus"
	seeds="$here/seeds-${name#fuzz_}.txt"
	if [ -f "$seeds" ]; then
		i=0
		while IFS= read -r line; do
			i=$((i + 1))
			printf '%b' "$line" >"$corpus/seed-$i"
		done <"$seeds"
	fi
	dict="$here/${name#fuzz_}.dict"
	set -- -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$name-"
	[ -f "$dict" ] && set -- "$@" -dict="$dict"
	echo "fuzz: running $name for ${seconds}s"
	if ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bin" "$@" "$corpus" >"$out/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
		echo "fuzz: $name clean: ${runs:-?} inputs in ${seconds}s, corpus $(ls "$corpus" | wc -l) files"
	else
		status=1
		echo "fuzz: $name FAILED (log $out/$name.log)" >&2
		grep -E 'invariant failed|ERROR|runtime error|Test unit written' "$out/$name.log" | head -20 >&2
	fi
done
exit $status
