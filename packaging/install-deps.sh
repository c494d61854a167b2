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
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
# The Debian package enables a system-wide Prosody; mucd's scripts run their own on free ports.
if command -v service >/dev/null 2>&1; then service prosody stop >/dev/null 2>&1 || true; fi
