#!/usr/bin/env bash
# The one test command: installs what the tests need, builds mucd twice (optimised, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), runs every unit test in both builds, then the
# integration suite against a real Prosody. Run as root on Debian 12 from the repository root.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "${MUCD_SKIP_DEPS:-0}" != 1 ]; then
  bash packaging/install-deps.sh || { echo "run-all: installing dependencies failed"; exit 1; }
fi

jobs=$(nproc)
build() {  # build DIR [meson options...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null || return 1
  fi
  ninja -C "$dir" -j "$jobs"
}

status=0
build build || exit 1

# The container test (packaging/container-test.sh) spends most of its minutes waiting on
# debootstrap and apt inside image builds, so it starts now, in the background and in a session
# of its own, and runs beside the sanitizer build and the other tests. The integration suite's
# test_container.py waits for it and reports its result; the trap stops it (its own trap then
# removes its containers and images) if this script ends first.
container_dir="$root/build/container-test"
rm -rf "$container_dir"
if [ "${MUCD_SKIP_CONTAINER_TEST:-0}" != 1 ]; then
  mkdir -p "$container_dir"
  MUCD_SCANSION="$root/build/scansion/mucd-scansion" setsid bash -c \
    'echo $$ > "$1/pid"; bash packaging/container-test.sh > "$1/log" 2>&1; echo $? > "$1/status"' \
    container-test "$container_dir" </dev/null &
  export MUCD_CONTAINER_TEST_DIR="$container_dir"
  stop_container_test() {
    if [ -f "$container_dir/pid" ] && [ ! -f "$container_dir/status" ]; then
      kill -TERM -- "-$(cat "$container_dir/pid")" 2>/dev/null
      wait
    fi
  }
  trap stop_container_test EXIT
  trap 'exit 143' TERM INT  # so that the EXIT trap runs when the test command is stopped
fi

build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || exit 1

unit_summary() {  # parse meson's testlog for pass/fail counts
  python3 - "$1" <<'PY'
import json, sys
ok = fail = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["result"] in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r["result"] == "SKIP": skip += 1
    else: fail += 1
print(ok, fail, skip)
PY
}

total_pass=0; total_fail=0; total_skip=0
for dir in build build-asan; do
  echo "== unit tests ($dir)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$dir" --print-errorlogs || status=1
  read -r p f s < <(unit_summary "$dir/meson-logs/testlog.json")
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
done

echo "== integration tests (real Prosody)"
MUCD_BUILD="$root/build" /usr/bin/python3 -m pytest -v -rs test/integration \
  -o junit_family=xunit1 --junitxml="$root/build/integration.xml" || status=1
if [ -f build/integration.xml ]; then
  read -r p f s < <(/usr/bin/python3 - build/integration.xml <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
k = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - k, f, k)
PY
)
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
else
  total_fail=$((total_fail + 1))
fi

echo
echo "all: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ] || status=1
exit $status
