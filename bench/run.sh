#!/bin/sh
# run.sh -- every latlab benchmark, each against its peers in the same run (make bench).
# Usage: bench/run.sh BUILD_DIR. Prints figures and ratios; absolute numbers vary by machine,
# the ratios are what README records. Traffic stays on 127.0.0.1; each step is bounded.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/bench_server.sh "$here"/bench_tls.sh "$here"/bench_client.sh "$here"/bench_instructions.sh; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b")"
	sh "$b" "$build" || status=1
done
exit $status
