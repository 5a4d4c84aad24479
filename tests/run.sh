#!/bin/sh
# run.sh -- run every latlab test and print one closing line "N passed, N failed".
#
# Usage: tests/run.sh BUILD_DIR [FILTER]
# Every test program speaks TAP ("ok N - name" / "not ok N - name"): the cmocka unit tests
# in BUILD_DIR/tests/ (CMOCKA_MESSAGE_OUTPUT=TAP) and the integration tests in
# tests/integration/test_*.py (run by Debian's /usr/bin/python3). A program that exits
# non-zero without reporting a failure (a crash, a sanitizer abort, a time-out) counts as
# one failed test. FILTER, when given, runs only programs whose name contains it.
set -u
build=${1:-build}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
case "$build" in /*) ;; *) build="$root/$build" ;; esac
log_dir="$build/test-logs"
mkdir -p "$log_dir"

# Each program gets a bounded time; a hang is a failure, not a stuck CI.
per_program_timeout=${LATLAB_TEST_TIMEOUT:-300}
python=/usr/bin/python3

passed=0
failed=0
failed_names=""

run_one() { # name, command...
	name=$1; shift
	log="$log_dir/$name.log"
	LATLAB_BUILD="$build" LATLAB_ROOT="$root" CMOCKA_MESSAGE_OUTPUT=TAP \
		timeout -k 5 "$per_program_timeout" "$@" >"$log" 2>&1
	rc=$?
	ok=$(grep -c '^ok ' "$log")
	bad=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "not ok - $name timed out after ${per_program_timeout}s" >>"$log"
		else
			echo "not ok - $name exited with status $rc without reporting a failure" >>"$log"
		fi
	fi
	if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
		echo "not ok - $name ran no test" >>"$log"
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	printf '%-34s %4d passed %4d failed\n' "$name" "$ok" "$bad"
	if [ "$bad" -ne 0 ]; then
		failed_names="$failed_names $name"
		# show what failed, with the diagnostics that follow it
		grep -A12 '^not ok' "$log" | sed 's/^/    /' | head -60
		tail -n 15 "$log" | sed 's/^/    | /'
	fi
}

for bin in "$build"/tests/test_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	run_one "$name" "$bin"
done

for py in "$root"/tests/integration/test_*.py; do
	[ -f "$py" ] || continue
	name=$(basename "$py" .py)
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	run_one "$name" "$python" "$py"
done

[ -n "$failed_names" ] && echo "failed programs:$failed_names (logs in $log_dir)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
