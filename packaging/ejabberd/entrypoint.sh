#!/bin/sh
# Writes ejabberd's configuration from the environment, then runs ejabberd in the foreground.
set -eu

secret=${MUCD_SECRET:-}
if [ -z "$secret" ] && [ -n "${MUCD_SECRET_FILE:-}" ]; then
  secret=$(head -n 1 "$MUCD_SECRET_FILE")
fi
if [ -z "$secret" ]; then
  echo "mucd-ejabberd: set MUCD_SECRET (or MUCD_SECRET_FILE): the component secret mucd logs in with" >&2
  exit 2
fi

domain=${EJABBERD_DOMAIN:-localhost}
# Debian's ejabberdctl.cfg names this file; the package makes it writable by the ejabberd user.
config=/etc/ejabberd/ejabberd.yml
umask 077

# Values are put inside YAML double quotes: escape backslashes and quotes. awk, not sed, so that
# no character of the secret has a special meaning.
EJABBERD_DOMAIN=$domain \
MUC_DOMAIN=${MUC_DOMAIN:-conference.$domain} \
MUCD_SECRET=$secret \
EJABBERD_C2S_PORT=${EJABBERD_C2S_PORT:-5222} \
EJABBERD_COMPONENT_PORT=${EJABBERD_COMPONENT_PORT:-5347} \
EJABBERD_INTERFACE=${EJABBERD_INTERFACE:-::} \
EJABBERD_ADMIN=${EJABBERD_ADMIN:-admin@$domain} \
awk '
  function quoted(s,    r, i, c) {
    r = ""
    for (i = 1; i <= length(s); i++) {
      c = substr(s, i, 1)
      if (c == "\\" || c == "\"") r = r "\\"
      r = r c
    }
    return r
  }
  {
    out = ""
    line = $0
    while (match(line, /@[A-Z0-9_]+@/)) {
      name = substr(line, RSTART + 1, RLENGTH - 2)
      value = quoted(ENVIRON[name])
      out = out substr(line, 1, RSTART - 1) value
      line = substr(line, RSTART + RLENGTH)
    }
    print out line
  }' /etc/ejabberd/mucd/ejabberd.yml.in >"$config"

# ejabberdctl runs the Erlang VM as its child, and a shell with PID 1 gets no signal it has no
# handler for: on SIGTERM, ask the node to stop cleanly, then wait for it.
trap 'ejabberdctl stop >/dev/null' TERM INT
ejabberdctl foreground &
child=$!
status=0
wait "$child" || status=$?
# A trapped signal ends the first wait early; wait for the VM to finish stopping.
while kill -0 "$child" 2>/dev/null; do
  status=0
  wait "$child" || status=$?
done
exit "$status"
