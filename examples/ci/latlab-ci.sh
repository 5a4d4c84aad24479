#!/bin/sh
# latlab-ci.sh -- a CI step in shell: start latlab-server on a free port, point the code under
# test at it (here: curl with retries), assert on the server's journal, stop the server.
#   sh examples/ci/latlab-ci.sh        (LATLAB_SERVER=path/to/latlab-server to pick a binary)
set -eu
server=${LATLAB_SERVER:-$(command -v latlab-server || echo "$(dirname "$0")/../../build/latlab-server")}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

"$server" --port 0 --port-file "$dir/port" --quiet &
pid=$!
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$dir/port")"

# the code under test: three attempts against an upstream whose first two answers are 503
curl -s -o "$dir/body" --retry 2 --retry-delay 0 -H 'X-Latlab-Scenario: ci-shell' \
     "$url/google?fail_first=2&latency=10ms"

# the journal: the three attempts, as the server saw them
statuses=$(curl -s "$url/__latlab/requests?scenario=ci-shell" |
           python3 -c 'import json,sys; print(" ".join(str(e["status"]) for e in json.load(sys.stdin)["requests"]))')
if [ "$statuses" != "503 503 200" ]; then
	echo "latlab-ci: expected 503 503 200, the server saw: $statuses" >&2
	exit 1
fi
curl -s -X POST "$url/__latlab/reset" >/dev/null   # next step starts from k = 0
echo "latlab-ci: ok (503 503 200)"
