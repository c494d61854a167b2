#!/usr/bin/env bash
# Installs, from Debian's packages, everything mucd needs to build, test and run its demo.
# podman is installed without its recommended packages: the container test needs none of them.
# Run as root on Debian 12. Idempotent: packages already present are left as they are.
set -euo pipefail

packages=(
  # build
  build-essential clang-format cmake meson ninja-build pkg-config
  libfmt-dev libidn-dev libleveldb-dev libpugixml-dev libstrophe-dev
  # unit tests
  libgmock-dev libgtest-dev
  # integration tests: a real Prosody, the harness
  lua-unbound prosody python3 python3-pytest python3-slixmpp python3-yaml
  # ... and a real ejabberd, for its mod_mucd_fanout (and bench/e2e.py --host ejabberd)
  ejabberd
  # packaging tests: the container test (podman), the unit file and the man page
  debootstrap man-db podman runc systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No service of these packages is started by their installation (Debian's policy-rc.d
  # convention, as in container images): mucd's scripts run their own Prosody and ejabberd on
  # free ports. An existing policy is left as it is.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Installed earlier, and running: the system-wide Prosody and ejabberd are stopped.
beam_running() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" = beam.smp ] && return 0
  done
  return 1
}
if command -v service >/dev/null 2>&1; then
  service prosody stop >/dev/null 2>&1 || true
  # ejabberdctl talks to a running ejabberd through epmd, which it starts if need be: only a
  # running ejabberd is stopped, and the epmd it leaves (with no node left) goes too.
  if beam_running; then
    service ejabberd stop >/dev/null 2>&1 || true
    epmd -kill >/dev/null 2>&1 || true
  fi
fi
