#!/usr/bin/env bash
# The container test: builds mucd's image (packaging/Dockerfile) and the Prosody and ejabberd host
# images (packaging/prosody/, packaging/ejabberd/) with podman, runs them with host networking on
# free loopback ports, checks that the health check follows mucd's link to its host, runs the
# five seed scripts against mucd behind Prosody (and those that do not expect Prosody-only
# payloads behind ejabberd) with mucd-scansion, checks that every container stops cleanly on
# SIGTERM, and removes every container and image it made. README.md, "Containers", is the same
# sequence by hand.
#
#   bash packaging/container-test.sh       # as root on Debian 12, from anywhere
#
# No registry is reachable here, so the Dockerfiles' base image (debian:bookworm-slim) is made
# with debootstrap from the Debian mirror apt is configured with, and imported. podman runs with
# storage and settings of its own in a temporary folder (overlay storage, runc, cgroupfs, events
# to a file, fixed ulimits), so it neither sees nor touches any other podman state here.
#
# Environment:
#   MUCD_SCANSION   the scansion runner (default: build/scansion/mucd-scansion)
#   MUCD_CONTAINER_KEEP=1   keep the temporary folder (logs) after the run; the containers and
#                   images are removed all the same
#
# Exit status: 0 passed; 1 failed (what failed is on stderr); 77 skipped because podman cannot
# run on this machine (the last line says why).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$(date +%s)

say() { echo "container-test: $*"; }
elapsed() { echo "$(($(date +%s) - started)) s"; }
skip() {
  echo "container-test: SKIPPED after $(elapsed): $*"
  exit 77
}
fail() {
  echo "container-test: FAILED after $(elapsed): $*" >&2
  exit 1
}
# Shows a command as it runs (the README's sequence) on the first stdout, then runs it.
exec 3>&1
run() {
  echo "+ $*" >&3
  "$@"
}

scansion=${MUCD_SCANSION:-$repo/build/scansion/mucd-scansion}
[ -x "$scansion" ] || fail "no scansion runner at $scansion: build first (meson compile -C build)"
[ "$(id -u)" = 0 ] || skip "needs root (podman with overlay storage and debootstrap)"

# -- podman, runc, debootstrap from Debian's packages, when missing
missing=()
for tool in podman runc debootstrap; do  # each command comes in the package of its name
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >/tmp/container-test-apt.log 2>&1; then
    tail -n 5 /tmp/container-test-apt.log
    skip "podman cannot run: installing ${missing[*]} failed"
  fi
fi

# -- podman's own storage and settings, written before the first podman command
work=$(mktemp -d /var/tmp/mucd-container-test.XXXXXX)
tag="ct$$"
mucd_image="localhost/mucd:$tag"
prosody_image="localhost/mucd-prosody:$tag"
ejabberd_image="localhost/mucd-ejabberd:$tag"
base_image="docker.io/library/debian:bookworm-slim"
mucd_name="mucd-$tag"
prosody_name="mucd-prosody-$tag"
mucd2_name="mucd-ejabberd-client-$tag"
ejabberd_name="mucd-ejabberd-$tag"

cat >"$work/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/runroot"
EOF
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
EOF
export CONTAINERS_STORAGE_CONF="$work/storage.conf" CONTAINERS_CONF="$work/containers.conf"
# Docker's image format keeps HEALTHCHECK (the OCI format has no place for it).
export BUILDAH_FORMAT=docker
ulimits=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

cleanup() {
  local status=$?
  set +e
  local cleanup_began
  cleanup_began=$(date +%s)
  podman rm -f -t 0 "$mucd_name" "$prosody_name" "$mucd2_name" "$ejabberd_name" >/dev/null 2>&1
  # The storage is this run's alone: a reset removes all of it, the images named above, the base
  # image and the build stage's layers, in one pass.
  podman system reset -f >/dev/null 2>&1
  awk -v w="$work" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mount; do umount -l "$mount"; done
  # Nothing of ours may outlive the run (conmon, a container's processes).
  local leftover
  leftover=$(pgrep -f -- "$work" | tr '\n' ' ')
  if [ -n "$leftover" ]; then
    echo "container-test: processes left running, now killed: $leftover" >&2
    # shellcheck disable=SC2086
    kill -KILL $leftover 2>/dev/null
    [ "$status" = 0 ] && status=1
  fi
  if [ "${MUCD_CONTAINER_KEEP:-0}" = 1 ]; then
    rm -rf "$work/storage" "$work/runroot" "$work/rootfs"
    say "logs kept in $work"
  else
    rm -rf "$work"
  fi
  say "cleanup took $(($(date +%s) - cleanup_began)) s; run time $(elapsed)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

podman info >"$work/podman-info.log" 2>&1 ||
  { tail -n 5 "$work/podman-info.log"; skip "podman cannot run: 'podman info' failed"; }

# -- the base image: debootstrap from apt's own mirror, minimised as Docker's Debian images are
mirror=$(python3 packaging/debian-mirror.py) || fail "no Debian bookworm mirror in /etc/apt"
include=()
case $mirror in https:*) include=(--include=ca-certificates) ;; esac
say "debootstrap bookworm from $mirror"
# As Docker's debian images do: dpkg skips fsync, in debootstrap's own dpkg runs and in the builds.
mkdir -p "$work/rootfs/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io >"$work/rootfs/etc/dpkg/dpkg.cfg.d/unsafe-io"
run debootstrap --variant=minbase "${include[@]}" bookworm "$work/rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log"; fail "debootstrap failed"; }
# As in Docker's debian images: no daemons started by package scripts, no package caches.
printf '#!/bin/sh\nexit 101\n' >"$work/rootfs/usr/sbin/policy-rc.d"
chmod 755 "$work/rootfs/usr/sbin/policy-rc.d"
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
echo "+ tar -C rootfs -c . | podman import --change 'CMD [\"bash\"]' - $base_image"
tar -C "$work/rootfs" -c . | podman import --change 'CMD ["bash"]' - "$base_image" >"$work/import.log" 2>&1 ||
  fail "podman import failed"
rm -rf "$work/rootfs"
say "base image ready after $(elapsed)"

probe=$(podman run --rm --network=host "${ulimits[@]}" "$base_image" true 2>&1) ||
  { echo "$probe"; skip "podman cannot run a container here"; }

# -- the images, built side by side (the host images mostly wait for downloads)
say "building $mucd_image, $prosody_image and $ejabberd_image"
run podman build --network=host "${ulimits[@]}" -f packaging/prosody/Dockerfile \
  -t "$prosody_image" . >"$work/build-prosody.log" 2>&1 &
prosody_build=$!
run podman build --network=host "${ulimits[@]}" -f packaging/ejabberd/Dockerfile \
  -t "$ejabberd_image" . >"$work/build-ejabberd.log" 2>&1 &
ejabberd_build=$!
# --jobs=2: the runtime stage's packages download while the build stage compiles.
run podman build --jobs=2 --network=host "${ulimits[@]}" -f packaging/Dockerfile \
  -t "$mucd_image" . >"$work/build-mucd.log" 2>&1 ||
  { tail -n 30 "$work/build-mucd.log"; fail "mucd image build failed"; }
wait "$prosody_build" ||
  { tail -n 30 "$work/build-prosody.log"; fail "Prosody image build failed"; }
wait "$ejabberd_build" ||
  { tail -n 30 "$work/build-ejabberd.log"; fail "ejabberd image build failed"; }
say "images built after $(elapsed)"

# -- what the image promises: non-root, a health check, no compiler, no secret
user=$(podman image inspect -f '{{.Config.User}}' "$mucd_image")
[ "$user" = mucd ] || fail "the mucd image runs as '$user', not as the user mucd"
podman image inspect -f '{{.Config.Healthcheck}}' "$mucd_image" | grep -q -- '--health' ||
  fail "the mucd image has no HEALTHCHECK running mucd --health"
podman run --rm --network=host "${ulimits[@]}" --entrypoint /bin/sh "$mucd_image" -c \
  'mucd --version && ! command -v g++ && ! command -v meson' >"$work/runtime-check.log" 2>&1 ||
  { cat "$work/runtime-check.log"; fail "the runtime image lacks mucd or still has build tools"; }

free_ports() {  # free_ports N: N free TCP ports on 127.0.0.1
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])' "$1"
}
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && printf 'MUCD_SECRET=%s\n' "$secret" >"$work/secret.env")

# podman without systemd logs errors about healthcheck timers; they are harmless (the test runs
# the checks itself with `podman healthcheck run`), so podman run's messages go to a log.
start_mucd() {  # start_mucd NAME COMPONENT_PORT
  run podman run -d --name "$1" --network=host "${ulimits[@]}" \
    --env-file "$work/secret.env" -e MUCD_SERVER="127.0.0.1:$2" \
    -e MUCD_DOMAIN=conference.localhost -e MUCD_ADMINS=admin@localhost \
    "$mucd_image" >>"$work/podman-run.log" 2>&1 || fail "mucd ($1) did not start"
}

wait_healthy() {  # wait_healthy NAME HOST_NAME: mucd retries with backoff (1 s doubling)
  local _
  for _ in $(seq 60); do
    podman healthcheck run "$1" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "--- mucd:"; podman logs "$1" 2>&1 | tail -n 20
  echo "--- host:"; podman logs "$2" 2>&1 | tail -n 20
  fail "$1 did not become healthy within 30 s of its host starting"
}

run_seeds() {  # run_seeds C2S_PORT LOG SCRIPT...
  local port=$1 log=$2
  shift 2
  echo "+ mucd-scansion --server 127.0.0.1:$port ${*#"$repo/"}" >&3
  if ! "$scansion" --server "127.0.0.1:$port" "$@" >"$log" 2>&1; then
    cat "$log"
    return 1
  fi
  grep -v '^ ' "$log"
}

stop_cleanly() {  # stop_cleanly NAME WHAT: SIGTERM, status 0, well before podman's SIGKILL
  local began code seconds
  began=$(date +%s)
  run podman stop -t 20 "$1" >>"$work/podman-run.log" 2>&1
  seconds=$(($(date +%s) - began))
  code=$(podman inspect -f '{{.State.ExitCode}}' "$1")
  podman logs "$1" >"$work/$1.log" 2>&1
  [ "$code" = 0 ] || { tail -n 20 "$work/$1.log"; fail "$2 exited with $code on SIGTERM"; }
  [ "$seconds" -lt 15 ] || fail "$2 took $seconds s to stop on SIGTERM"
  say "$2 stopped on SIGTERM with status 0 in $seconds s"
}

# -- Prosody: mucd first (it must report itself unhealthy), then its host
read -r c2s_port component_port < <(free_ports 2)
start_mucd "$mucd_name" "$component_port"
word=""
for _ in $(seq 50); do
  word=$(podman exec "$mucd_name" mucd --health 2>/dev/null) && break
  [ "$word" = disconnected ] && break
  sleep 0.1
done
[ "$word" = disconnected ] || fail "before Prosody runs, mucd --health says '$word', not 'disconnected'"
if podman healthcheck run "$mucd_name" >/dev/null 2>&1; then
  fail "the health check passes while mucd has no server to connect to"
fi
say "health check: unhealthy while Prosody is not there"

run podman run -d --name "$prosody_name" --network=host "${ulimits[@]}" \
  --env-file "$work/secret.env" -e PROSODY_INTERFACES=127.0.0.1 \
  -e PROSODY_C2S_PORT="$c2s_port" -e PROSODY_COMPONENT_PORT="$component_port" \
  -e PROSODY_ADMINS=admin@localhost -e PROSODY_AUTH=insecure \
  "$prosody_image" >>"$work/podman-run.log" 2>&1 || fail "Prosody did not start"
wait_healthy "$mucd_name" "$prosody_name"
say "health check: healthy once connected, after $(elapsed)"

run_seeds "$c2s_port" "$work/seeds-prosody.log" "$repo"/scansion/seeds/*.scs || {
  echo "--- mucd:"; podman logs "$mucd_name" 2>&1 | tail -n 30
  fail "the seed scripts failed against mucd and Prosody in containers"
}
stop_cleanly "$mucd_name" mucd
grep -q "stopped" "$work/$mucd_name.log" || fail "mucd's log does not end with 'stopped'"
grep -q "expands fan-out" "$work/$mucd_name.log" ||
  fail "mucd did not find mod_mucd_fanout in the Prosody image"
if grep -qF "$secret" "$work/$mucd_name.log" || podman image inspect "$mucd_image" | grep -qF "$secret"; then
  fail "the secret shows in mucd's log or image"
fi
stop_cleanly "$prosody_name" Prosody

# -- ejabberd: its ejabberd_service listener, with accounts for the seeds. Only Prosody adds
# vcard-temp:x:update to presence (mod_vcard_legacy), so the seeds that expect it stay out.
read -r c2s_port component_port < <(free_ports 2)
run podman run -d --name "$ejabberd_name" --network=host "${ulimits[@]}" \
  --env-file "$work/secret.env" -e EJABBERD_INTERFACE=127.0.0.1 \
  -e EJABBERD_C2S_PORT="$c2s_port" -e EJABBERD_COMPONENT_PORT="$component_port" \
  "$ejabberd_image" >>"$work/podman-run.log" 2>&1 || fail "ejabberd did not start"
start_mucd "$mucd2_name" "$component_port"
neutral_seeds=()
for seed in "$repo"/scansion/seeds/*.scs; do
  grep -q 'vcard-temp:x:update' "$seed" || neutral_seeds+=("$seed")
done
[ "${#neutral_seeds[@]}" -gt 0 ] || fail "no seed runs against ejabberd"
for _ in $(seq 60); do
  podman exec "$ejabberd_name" ejabberdctl status >/dev/null 2>&1 && break
  sleep 0.5
done
# The seeds' accounts (user@localhost ...), each with the password its script gives.
accounts=$(awk '/^[ \t]*jid:/ { split($2, j, "[@/]"); user = j[1] }
                /^[ \t]*password:/ { if (user != "") print user, $2; user = "" }' \
  "${neutral_seeds[@]}" | sort -u)
while read -r account password; do
  podman exec "$ejabberd_name" ejabberdctl register "$account" localhost "$password" \
    >>"$work/ejabberd-accounts.log" 2>&1 || {
    cat "$work/ejabberd-accounts.log"
    echo "--- ejabberd:"; podman logs "$ejabberd_name" 2>&1 | tail -n 40
    fail "ejabberdctl register $account failed"
  }
done <<<"$accounts"
wait_healthy "$mucd2_name" "$ejabberd_name"
say "health check: healthy behind ejabberd, after $(elapsed)"
run_seeds "$c2s_port" "$work/seeds-ejabberd.log" "${neutral_seeds[@]}" || {
  echo "--- mucd:"; podman logs "$mucd2_name" 2>&1 | tail -n 30
  fail "the seed scripts failed against mucd and ejabberd in containers"
}
stop_cleanly "$mucd2_name" "mucd (ejabberd)"
grep -q "expands fan-out" "$work/$mucd2_name.log" ||
  fail "mucd did not find mod_mucd_fanout in the ejabberd image"
stop_cleanly "$ejabberd_name" ejabberd

say "PASSED in $(elapsed)"
