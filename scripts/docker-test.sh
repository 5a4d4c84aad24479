#!/bin/sh
# docker-test.sh -- build latlab's images and run docker-compose.yml on a real Docker engine
# (make docker-test; CI runs it from .ci/run).
#
# Installs docker.io, docker-compose and debootstrap when missing; starts a private dockerd
# with all its state in a temporary directory and its containers under a cgroup of its own
# (on every exit path: stopped by PID, leftovers ended, unmounted, removed); makes
# debian:bookworm-slim with debootstrap (there is no registry; the root file system's tarball
# is cached in $LATLAB_DOCKER_CACHE, default /var/cache/latlab, and imported into the fresh
# engine on each run); builds every image (with build: {network: host}: this engine gives
# containers no outbound network) and prunes the dangling build stage as README says; then
# runs README's commands at LATLAB_TIME_SCALE=0.1 on a free LATLAB_PORT:
#   docker-compose up --exit-code-from client                     four rows at 100/100
#   docker-compose --profile labs up --exit-code-from labs labs   every lab passed
#   docker-compose --profile lecture up --exit-code-from lecture lecture
#                                    the lecture's programs as written: trace lines, times
#   docker-compose up -d server                                   healthy, answers the host
#   docker-compose --profile labs --profile lecture down --volumes   no container, network or
#                                                                 dangling image left
# Where no engine can start (not root, packages not installable, dockerd refuses) it prints
# one `SKIP docker-test: <reason>` line and exits 0.
#
# Environment: LATLAB_DOCKER_CACHE (/var/cache/latlab), LATLAB_DOCKER_REBASE=1 (make the
# base image again), LATLAB_DOCKER_KEEP_LOGS=DIR (copy the logs there).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${LATLAB_DOCKER_CACHE:-/var/cache/latlab}
BASE_TAR=$CACHE/debian-bookworm-slim.tar
START=$(date +%s)

say() { printf 'docker-test: %s (%ds)\n' "$*" "$(($(date +%s) - START))"; }
skip() {
	echo "SKIP docker-test: $*"
	exit 0
}
fail() {
	echo "docker-test: FAIL: $*" >&2
	if [ -n "${LOG:-}" ] && [ -s "$LOG" ]; then
		echo "--- last lines of $(basename "$LOG"):" >&2
		tail -n 40 "$LOG" | sed 's/\x1b\[[0-9;]*m//g' >&2
	fi
	exit 1
}

# --- packages --------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root to start its own dockerd (run as root: make docker-test)"
missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
if [ -n "$missing" ]; then
	say "installing$missing"
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing; } >/dev/null 2>&1; then
		skip "could not install$missing with apt-get"
	fi
fi
# Debian's client, of the engine's own version (another docker earlier in PATH may be newer)
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker) || skip "docker.io installed no docker client"

# --- a private engine ------------------------------------------------------------------------
TMP=$(mktemp -d /tmp/latlab-docker.XXXXXX)
# the containers' cgroups go under a parent of this run's own, so that cleanup can find (and
# end) every process of this engine even when the engine itself died
CGROUP=latlab-docker-${TMP##*.}
DOCKERD_PID=""
DC_PID=""
LOG=""

unmount_under() {
	# deepest first; lazily when busy
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}

# the engine's networks, noted so that cleanup can remove their host bridges even when the
# engine died
note_networks() {
	timeout 20 "$DOCKER" network ls -q --no-trunc --filter type=custom >>"$TMP/networks" 2>/dev/null || true
}

stop_pid() { # PID (our child), seconds before SIGKILL
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 5)) ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	set +e
	stop_pid "$DC_PID" 10
	nets=$(sort -u "$TMP/networks" 2>/dev/null)
	if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
		# containers and networks left by a failed step first, then the engine by its PID
		ids=$(timeout 20 "$DOCKER" ps -aq 2>/dev/null)
		[ -n "$ids" ] && timeout 30 "$DOCKER" rm -f $ids >/dev/null 2>&1
		note_networks
		nets=$(sort -u "$TMP/networks" 2>/dev/null)
		[ -n "$nets" ] && timeout 30 "$DOCKER" network rm $nets >/dev/null 2>&1
		stop_pid "$DOCKERD_PID" 30
	fi
	# a network's bridge on the host outlives an engine that could not remove it
	for n in $nets; do
		b=br-$(printf %.12s "$n")
		ip link show "$b" >/dev/null 2>&1 && ip link delete "$b" 2>/dev/null
	done
	# dockerd stops its containerd; after a KILL it may be left running
	cpid=$(cat "$TMP/exec/containerd/containerd.pid" 2>/dev/null)
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null &&
		grep -q "$TMP" "/proc/$cpid/cmdline" 2>/dev/null; then
		kill -TERM "$cpid"
		sleep 1
		kill -KILL "$cpid" 2>/dev/null
	fi
	# anything else still running from this engine (a container's shim): by PID
	for p in /proc/[0-9]*; do
		grep -qF "$TMP/" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	# the containers' processes (left running when the engine was killed), then their cgroups
	cgroups=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name "$CGROUP" 2>/dev/null)
	if [ -n "$cgroups" ]; then
		for p in $(find $cgroups -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do
			kill -KILL "$p" 2>/dev/null
		done
		i=0
		while [ -n "$(find $cgroups -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && [ $i -lt 50 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		find $cgroups -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	if [ -n "${LATLAB_DOCKER_KEEP_LOGS:-}" ]; then
		mkdir -p "$LATLAB_DOCKER_KEEP_LOGS" && cp "$TMP"/*.log "$LATLAB_DOCKER_KEEP_LOGS"/ 2>/dev/null
	fi
	unmount_under "$TMP"
	rm -rf "$TMP"
	[ -e "$TMP" ] && echo "docker-test: could not remove $TMP" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "starting dockerd in $TMP"
LOG=$TMP/dockerd.log
dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
	--cgroup-parent "/$CGROUP" --data-root "$TMP/root" --exec-root "$TMP/exec" --pidfile "$TMP/docker.pid" \
	-H "unix://$TMP/docker.sock" >"$LOG" 2>&1 &
DOCKERD_PID=$!
export DOCKER_HOST="unix://$TMP/docker.sock"
i=0
until "$DOCKER" info >/dev/null 2>&1; do
	if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
		reason=$(grep -v '^\s*$' "$LOG" | tail -n 1 | sed 's/.*msg="\([^"]*\)".*/\1/' | cut -c1-160)
		DOCKERD_PID=""
		skip "dockerd did not start: ${reason:-no message}"
	fi
	i=$((i + 1))
	[ $i -lt 150 ] || skip "dockerd did not answer within 30 s"
	sleep 0.2
done

# --- debian:bookworm-slim, made locally --------------------------------------------------------
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\(http[^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

make_base() {
	# debootstrap minbase, then slimmed the way Debian's official -slim images are
	rootfs=$TMP/rootfs
	LOG=$TMP/debootstrap.log
	debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$LOG" 2>&1 ||
		fail "debootstrap from $mirror failed"
	unmount_under "$rootfs"
	cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/lintian/*
		path-exclude /usr/share/linda/*
		path-exclude /usr/share/locale/*
		path-include /usr/share/locale/locale.alias
	EOF
	cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<-'EOF'
		DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
	EOF
	echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
	echo 'APT::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
	printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
	chmod 755 "$rootfs/usr/sbin/policy-rc.d"
	# the host's package sources (its mirror, updates and security), as the official image has
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		rm -f "$rootfs/etc/apt/sources.list"
		cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/"
	fi
	(
		cd "$rootfs"
		find usr/share/doc -mindepth 1 ! -name copyright ! -type d -delete
		find usr/share/doc -mindepth 1 -type d -empty -delete
		rm -rf usr/share/man/* usr/share/groff/* usr/share/info/* usr/share/lintian/* \
			usr/share/linda/* var/cache/apt/archives/*.deb var/cache/apt/*.bin \
			var/lib/apt/lists/* var/log/* dev/* tmp/* run/*
		find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
	)
	mkdir -p "$CACHE"
	tar --numeric-owner -C "$rootfs" -cf "$BASE_TAR.tmp" . || fail "tar of the base image"
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	rm -rf "$rootfs"
}

# one run at a time makes or reads the cached base
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ "${LATLAB_DOCKER_REBASE:-0}" = 1 ] || [ ! -s "$BASE_TAR" ]; then
	say "making debian:bookworm-slim (debootstrap --variant=minbase bookworm $mirror)"
	make_base
else
	say "debian:bookworm-slim from $BASE_TAR"
fi
LOG=$TMP/import.log
"$DOCKER" import --change 'CMD ["bash"]' "$BASE_TAR" debian:bookworm-slim >"$LOG" 2>&1 ||
	fail "docker import $BASE_TAR"
exec 9>&-

# --- compose, as README runs it ----------------------------------------------------------------
# The engine runs with --iptables=false: containers have no outbound network, so builds
# (apt-get) use the host's network through an override file. Everything else is README's.
cat >"$TMP/build-network-host.yml" <<EOF
services:
  server: {build: {network: host}}
  client: {build: {network: host}}
  labs: {build: {network: host}}
  loadgen: {build: {network: host}}
  merge: {build: {network: host}}
EOF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LATLAB_TIME_SCALE=0.1 LATLAB_PORT="$port"
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME LATLAB_SEED LATLAB_CONFIG \
	LATLAB_LOAD_URL LATLAB_LOAD_MAX_ERRORS
# in the background and waited for, so that a signal stops the run at once (see cleanup)
dc() {
	docker-compose "$@" >>"$LOG" 2>&1 &
	DC_PID=$!
	wait "$DC_PID" && dc_rc=0 || dc_rc=$?
	note_networks
	return $dc_rc
}

say "building the images (build, programs, labs, runtime)"
LOG=$TMP/build.log
dc -f docker-compose.yml -f "$TMP/build-network-host.yml" --profile labs build ||
	fail "docker-compose build"
mb() { echo "$(($("$DOCKER" image inspect -f '{{.Size}}' "$1") / 1000000)) MB"; }
say "images: latlab:latest $(mb latlab:latest), latlab-labs:latest $(mb latlab-labs:latest), debian:bookworm-slim $(mb debian:bookworm-slim)"
# the build stage the classic builder leaves untagged, removed as README says (this drops
# its layer cache too: the next build compiles again)
LOG=$TMP/build.log
n=$("$DOCKER" images -q --filter dangling=true --filter label=org.latlab.stage | wc -l)
"$DOCKER" image prune -f --filter label=org.latlab.stage >>"$LOG" 2>&1 || fail "image prune"
say "docker image prune -f --filter label=org.latlab.stage: $n dangling image(s) removed"

say "docker-compose up --exit-code-from client (LATLAB_TIME_SCALE=0.1)"
LOG=$TMP/up-client.log
dc up --exit-code-from client || fail "up --exit-code-from client exited $?"
sed 's/\x1b\[[0-9;]*m//g' "$LOG" | sed -n 's/^client[-_0-9]* *| //p' |
	grep -E '^(mode|sequential|threads|processes|async) ' || true
for mode in sequential threads processes async; do
	sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -Eq "^client[-_0-9]* *\| $mode +[0-9]+ +([^ ]+ +){2}100/100 " ||
		fail "no $mode row at 100/100"
done

say "docker-compose --profile labs up --exit-code-from labs labs"
LOG=$TMP/up-labs.log
dc --profile labs up --exit-code-from labs labs || fail "labs exited $?"
sed 's/\x1b\[[0-9;]*m//g' "$LOG" | sed -n 's/^labs[-_0-9]* *| //p' | grep -E '^[0-9]{2}_' || true
for lab in 01_sequential 02_threads 03_processes 04_asyncio 05_gil_cpu; do
	sed 's/\x1b\[[0-9;]*m//g' "$LOG" |
		grep -Eq "^labs[-_0-9]* *\| $lab\.py +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+ s\$" ||
		fail "lab $lab did not pass"
done
! sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -q 'FAILED' || fail "a lab FAILED"

say "docker-compose --profile lecture up --exit-code-from lecture lecture (time scale 1.0)"
LOG=$TMP/up-lecture.log
dc --profile lecture up --exit-code-from lecture lecture || fail "lecture exited $?"
# the lecture's programs as written: 100 trace lines each with the real URLs, then the time
lecture_out=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG" | sed -n 's/^lecture[-_0-9]* *| //p')
for want in "50 https://naver.com" "100 https://google.com" "50 https://apple.com"; do
	n=$(printf '%s\n' "$lecture_out" | grep -Ec "^[0-9]+ process \| [0-9]+ url : ${want#* }\$") || true
	[ "$n" = "${want% *}" ] || fail "lecture: $n trace lines for ${want#* }, want ${want% *}"
done
times=$(printf '%s\n' "$lecture_out" | grep -E '^[0-9]+\.[0-9]+$' | tr '\n' ' ')
set -- $times
[ $# -eq 2 ] || fail "lecture: two elapsed times, got '$times'"
python3 -c 'import sys; r, a = map(float, sys.argv[1:]); sys.exit(not (14 < r < 20 and a < 4))' "$1" "$2" ||
	fail "lecture: requests ${1}s (want 14-20 s), aiohttp ${2}s (want < 4 s)"
say "lecture: requests ${1} s (the lecture 16.3 s), aiohttp ${2} s (the lecture 1.2 s)"

say "docker-compose up -d server; the host reaches it on 127.0.0.1:$port"
LOG=$TMP/up-server.log
dc up -d server || fail "up -d server"
cid=$(docker-compose ps -q server)
i=0
until [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$cid")" = healthy ]; do
	i=$((i + 1))
	[ $i -lt 150 ] || fail "the server did not turn healthy within 30 s"
	sleep 0.2
done
python3 - "$port" >>"$LOG" 2>&1 <<'EOF' || fail "GET http://127.0.0.1:$port/naver from the host"
import sys, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:%s/naver?seq=7" % sys.argv[1], timeout=10)
body = r.read()
assert r.status == 200 and r.headers["X-Latlab-Site"] == "naver" and len(body) == 160 * 1024, r.headers
print("host GET /naver:", r.status, len(body), "bytes, delay", r.headers["X-Latlab-Delay-Us"], "us")
EOF
tail -n 1 "$LOG"

say "docker-compose --profile load up --scale loadgen=2 --exit-code-from merge merge"
LOG=$TMP/up-load.log
export LATLAB_LOAD_DURATION=2s LATLAB_LOAD_CONCURRENCY=10
dc --profile load up --scale loadgen=2 --exit-code-from merge merge || fail "load profile exited $?"
LOG=$TMP/load-results.log
dc --profile load run --rm --no-deps merge sh -c 'cat merged.json inputs/loadgen-*.json' ||
	fail "reading the results volume"
python3 - "$LOG" <<'EOF' || fail "merged requests are not the sum of the loadgens'"
import json, sys
text = open(sys.argv[1]).read()
dec, docs, i = json.JSONDecoder(), [], text.find("{")
while i >= 0:
    doc, end = dec.raw_decode(text, i)
    docs.append(doc)
    i = text.find("{", end)
merged, parts = docs[0], docs[1:]
assert merged["manifest"]["mode"] == "merge" and len(parts) == 2, (merged.get("manifest"), len(parts))
hosts = {p["manifest"]["host"] for p in parts}
assert len(hosts) == 2, hosts
total = sum(p["requests"] for p in parts)
assert merged["requests"] == total > 0 and merged["ok"] == sum(p["ok"] for p in parts), (merged["requests"], total)
print("load: 2 loadgens (%s) made %s requests; merged %d" % (
    ", ".join(sorted(hosts)), " + ".join(str(p["requests"]) for p in parts), merged["requests"]))
EOF

say "docker-compose --profile labs --profile lecture --profile load down --volumes"
LOG=$TMP/down.log
dc --profile labs --profile lecture --profile load down --volumes || fail "down"
left=$("$DOCKER" ps -aq)
[ -z "$left" ] || fail "containers left after down: $left"
left=$("$DOCKER" network ls -q --filter type=custom)
[ -z "$left" ] || fail "networks left after down: $left"
left=$("$DOCKER" images -q --filter dangling=true)
[ -z "$left" ] || fail "dangling images left: $left"
left=$("$DOCKER" volume ls -q)
[ -z "$left" ] || fail "volumes left after down -v: $left"
LOG=""
say "ok: images built, four rows at 100/100, every lab passed, the lecture's programs ran, 2 loadgens merged, nothing left"
