#!/usr/bin/env bash
# mucd-scansion's command line without a server: exit statuses, a closed port failing fast
# instead of hanging, and a broken script failing with its file and line.
# usage: cli_test.sh PATH/TO/mucd-scansion SEEDS_DIR
set -u
bin=$1
seeds=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

check() {  # check NAME EXPECTED_STATUS PATTERN -- COMMAND...
  local name=$1 want=$2 pattern=$3
  shift 4
  "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit status $got, expected $want"; cat "$tmp/out"; failures=$((failures + 1))
  elif ! grep -qE -- "$pattern" "$tmp/out"; then
    echo "FAIL $name: output lacks /$pattern/"; cat "$tmp/out"; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# A port nothing listens on: bind an ephemeral one, then let it go.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

check help 0 'usage: mucd-scansion' -- "$bin" --help
check no-server 2 'server HOST:PORT is required' -- "$bin" "$seeds/muc_password.scs"
check no-script 2 'no script given' -- "$bin" --server 127.0.0.1:5222
check bad-server 2 'expects HOST:PORT' -- "$bin" --server nowhere "$seeds/muc_password.scs"
check bad-timeout 2 'timeout expects' -- "$bin" --server 127.0.0.1:1 --timeout -3 x.scs
check unknown-option 2 'unknown option --frobnicate' -- "$bin" --frobnicate

start=$(date +%s)
check refused 1 "^FAIL muc_password: step 1 \(line 14, Romeo\): cannot log in .*: Connection refused" \
  -- "$bin" --server "127.0.0.1:$port" "$seeds/muc_password.scs"
if [ $(($(date +%s) - start)) -gt 3 ]; then
  echo "FAIL refused: took more than 3 s"; failures=$((failures + 1))
fi
grep -qx '0 passed, 1 failed' "$tmp/out" || { echo "FAIL refused: no summary line"; failures=$((failures + 1)); }

printf '# broken\n[Client] Romeo\n\tjid: romeo@localhost\n-----\nRomeo connects\nBob sends:\n\t<presence/>\n' \
  >"$tmp/broken.scs"
check parse-error 1 "^FAIL broken: .*broken.scs:6: unknown client \"Bob\"" \
  -- "$bin" --server "127.0.0.1:$port" "$tmp/broken.scs"

check record 1 'FAIL broken' -- "$bin" --server "127.0.0.1:$port" --record "$tmp/rec" "$tmp/broken.scs"
if ! grep -q '^FAIL broken: ' "$tmp/rec/broken/result.txt" 2>/dev/null; then
  echo "FAIL record: no result.txt"; failures=$((failures + 1))
fi

exit $((failures > 0))
