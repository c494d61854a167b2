"""A throwaway ejabberd (the Debian package, 23.01) on free loopback ports, for benchmarks.

    with EjabberdHost(muc=BUILTIN) as host:            # ejabberd's own mod_muc
        host.server, host.pid                          # c2s address, beam.smp's PID
    with EjabberdHost(muc=EXTERNAL) as host, MucdProcess(host) as mucd:
        ...                                            # conference.localhost served by mucd

What it runs: `erl ... -s ejabberd` directly (not ejabberdctl, which would run it through `su`
as the ejabberd user and start epmd), so the PID we start is beam.smp itself and stop() is a
SIGTERM to that PID (the VM stops ejabberd cleanly). Everything lives in a temp dir of the
harness: ejabberd.yml, the Mnesia spool, the log, the crash dump. No Erlang distribution is
started (the node is `nonode@nohost`): no epmd, no node name or cookie to clash with another
ejabberd on the machine, and no ejabberdctl access, which nothing here needs.

Accounts: BENCHMARK-ONLY. `auth_method: external` with a ten-line extauth program written into
the temp dir that says yes to every `auth` and `isuser` request (any user, any password), the
ejabberd counterpart of the harness Prosody's `authentication = "insecure"`. It saves
registering hundreds of accounts; ejabberd asks it once per log-in (results are cached), before
any measured phase. Never use this configuration for a server anyone else can reach.

Plain SASL without TLS on loopback (`starttls_required: false`, no certificates). Modules: disco,
ping, roster, vcard and vcard_xupdate (the counterpart of the harness Prosody's vcard_legacy),
and with BUILTIN mod_muc on conference.localhost with its defaults where they match Prosody's
built-in MUC: no MAM (mod_mam is not loaded), history of 20 messages, temporary rooms that
anyone may create; the occupant limit is raised from 200 to 1,000, for the service and as the
rooms' default (at 200 the 500-occupant presence storm is refused from the 201st join on;
Prosody has no such cap).
"""

import glob
import os
import subprocess
import re
import time

from . import processes
from .ports import LOOPBACK, port_accepts
from .binaries import REPO
from .host import ServerHost
from .prosody import ADMIN_JID, BUILTIN, EXTERNAL, MUC_DOMAIN, NONE, USER_HOST

ERL = "/usr/bin/erl"
# Where Debian's ejabberd package puts its Erlang applications (ejabberdctl sets the same).
ERL_LIBS = "/usr/lib/x86_64-linux-gnu"
ERLC = "/usr/bin/erlc"
# mod_mucd_fanout for ejabberd (the host side of mucd's --host-fanout), compiled per host.
FANOUT_MODULE_SOURCE = os.path.join(REPO, "packaging", "ejabberd", "mod_mucd_fanout.erl")
# ejabberd_service's log line once a component has completed its handshake.
AUTHENTICATED = r"Accepted external component \S+ authentication for"

# The extauth protocol (ejabberd's docs, "External Authentication"): requests are a 2-byte
# big-endian length and "op:user:server[:password]"; the answer is length 2 and 0 or 1.
EXTAUTH_SCRIPT = """#!/usr/bin/python3
# BENCHMARK ONLY (written by mucd's test harness): every user exists, every password is right.
import struct, sys
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = inp.read(2)
    if len(head) < 2:
        break
    (size,) = struct.unpack(">H", head)
    op = inp.read(size).split(b":", 1)[0]
    out.write(struct.pack(">HH", 2, 1 if op in (b"auth", b"isuser") else 0))
    out.flush()
"""


def installed():
    """None if ejabberd 23.01's Debian package looks usable, else a sentence saying what is missing."""
    if not (os.path.isfile(ERL) and os.access(ERL, os.X_OK)):
        return f"{ERL} not found: install ejabberd (apt-get install ejabberd)"
    if not any(name.startswith("ejabberd-") for name in _listdir(ERL_LIBS)):
        return f"no ejabberd-* application in {ERL_LIBS}: install ejabberd (apt-get install ejabberd)"
    if not os.access("/usr/bin/python3", os.X_OK):
        return "/usr/bin/python3 not found (the benchmark extauth program runs on it)"
    return None


def compile_fanout_module(out_dir, extra_modules=()):
    """Compiles mod_mucd_fanout.erl, and the .erl files in extra_modules, into out_dir (erlc
    from Debian's erlang-base, p1_xmpp's headers from the ejabberd package's dependencies)."""
    includes = glob.glob("/usr/lib/erlang/lib/p1_xmpp-*/include")
    # (The package has two ejabberd-* folders; the one with the router is the application.)
    ebins = [os.path.dirname(p) for p in
             glob.glob(os.path.join(ERL_LIBS, "ejabberd-*", "ebin", "ejabberd_router.beam"))]
    if not os.access(ERLC, os.X_OK) or not includes or not ebins:
        raise EjabberdError(f"cannot build mod_mucd_fanout: needs {ERLC}, p1_xmpp's include "
                            "folder and ejabberd's ebin (apt-get install ejabberd)")
    os.makedirs(out_dir, exist_ok=True)
    for source in (FANOUT_MODULE_SOURCE, *extra_modules):
        proc = subprocess.run([ERLC, "-I", includes[0], "-pa", ebins[0], "-o", out_dir, source],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise EjabberdError(f"erlc failed on {source}:\n{proc.stdout}{proc.stderr}")


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def _yaml(value):
    """A YAML double-quoted string."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(*, workdir, c2s_port, component_port, muc=BUILTIN, component_secret=None,
                  log_level="info", extauth_path, fanout=True, store_slots=None,
                  extra_modules=()):
    """ejabberd.yml text for the benchmark host (see the module's docstring); store_slots, if
    given, is mod_mucd_fanout's option of that name; extra_modules are more modules' names,
    loaded with no options."""
    lines = [
        "# generated by mucd's test harness (test/harness/ejabberd.py); BENCHMARK ONLY:",
        "# external authentication that accepts any user and password.",
        f"hosts: [{_yaml(USER_HOST)}]",
        f"loglevel: {log_level}",
        "log_rotate_count: 0",
        "hide_sensitive_log_data: true",
        "certfiles: []",
        "listen:",
        f"  - port: {c2s_port}",
        f"    ip: {_yaml(LOOPBACK)}",
        "    module: ejabberd_c2s",
        "    starttls_required: false",
        # logins come 50 at a time; the default backlog of 5 would drop SYNs (1 s retries)
        "    backlog: 1024",
    ]
    if muc == EXTERNAL:
        if not component_secret:
            raise ValueError("an external component needs a secret")
        lines += [
            f"  - port: {component_port}",
            f"    ip: {_yaml(LOOPBACK)}",
            "    module: ejabberd_service",
            "    hosts:",
            f"      {_yaml(MUC_DOMAIN)}:",
            f"        password: {_yaml(component_secret)}",
        ]
    elif muc not in (BUILTIN, NONE):
        raise ValueError(f"unknown muc mode {muc!r}")
    lines += [
        "auth_method: external",
        f"extauth_program: {_yaml(extauth_path)}",
        "acl:",
        "  admin:",
        f"    user: {_yaml(ADMIN_JID)}",
        "access_rules:",
        "  local:",
        "    allow: local",
        "  c2s:",
        "    allow: all",
        "modules:",
        "  mod_disco: {}",
        "  mod_ping: {}",
        "  mod_roster: {}",
        "  mod_vcard: {}",
        "  mod_vcard_xupdate: {}",
    ]
    if muc == EXTERNAL and fanout:
        options = "{}" if store_slots is None else f"{{store_slots: {int(store_slots)}}}"
        lines.append(f"  mod_mucd_fanout: {options}")
    lines += [f"  {name}: {{}}" for name in extra_modules]
    if muc == BUILTIN:
        lines += [
            "  mod_muc:",
            f"    host: {_yaml(MUC_DOMAIN)}",
            "    access_create: all",
            "    history_size: 20",
            "    max_users: 1000",
            "    default_room_options:",
            "      max_users: 1000",
            "      mam: false",
            "      persistent: false",
        ]
    return "\n".join(lines) + "\n"


class EjabberdError(RuntimeError):
    pass


class EjabberdHost(ServerHost):
    """ejabberd in its own temp dir, started in the foreground and stopped by PID.

    The same surface as ProsodyHost where mucd's harness and the benchmarks use it: `muc`,
    `component_secret`, `server`, `component_server`, `pid`, `log_offset()`, `wait_for_log()`,
    `diagnostics()`, and `authenticated_pattern` (the log line MucdProcess waits for). `pid`
    is beam.smp's (erl and erlexec exec into it).
    """

    authenticated_pattern = AUTHENTICATED

    def __init__(self, muc=BUILTIN, component_secret=None, *, workdir=None, c2s_port=None,
                 component_port=None, log_level="info", start_timeout=30.0, fanout=True,
                 store_slots=None, extra_modules=()):
        problem = installed()
        if problem:
            raise EjabberdError(problem)
        self.muc = muc
        # mucd's component gets mod_mucd_fanout (as README.md recommends) unless fanout is False.
        super().__init__("ejabberd", external=muc == EXTERNAL, component_secret=component_secret,
                         workdir=workdir, c2s_port=c2s_port, component_port=component_port,
                         start_timeout=start_timeout, fanout=fanout)
        self.config_path = os.path.join(self.workdir, "ejabberd.yml")
        self.spool_dir = os.path.join(self.workdir, "spool")
        self.extauth_path = os.path.join(self.workdir, "extauth.py")
        os.makedirs(self.spool_dir, exist_ok=True)
        self.module_dir = os.path.join(self.workdir, "ebin")
        # extra_modules: .erl files (tests' own modules), compiled and loaded beside the fan-out
        # module, with no options.
        if extra_modules and not self.fanout:
            raise ValueError("extra_modules are compiled with the fan-out module: needs fanout")
        if self.fanout:
            compile_fanout_module(self.module_dir, extra_modules)
        with open(self.extauth_path, "w") as f:
            f.write(EXTAUTH_SCRIPT)
        os.chmod(self.extauth_path, 0o700)
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(render_config(workdir=self.workdir, c2s_port=self.c2s_port,
                                  component_port=self.component_port, muc=muc,
                                  component_secret=self.component_secret, log_level=log_level,
                                  extauth_path=self.extauth_path, fanout=self.fanout,
                                  store_slots=store_slots,
                                  extra_modules=[os.path.splitext(os.path.basename(source))[0]
                                                 for source in extra_modules]))
        self.proc = None
        self._log_start = 0

    def argv(self):
        # The VM options ejabberdctl passes (+P for many sessions); the Mnesia dir is an Erlang
        # string, hence the quotes inside the argument.
        extra = ["-pa", self.module_dir] if self.fanout else []
        return [ERL, "+P", "250000", "-noinput", *extra, "-mnesia", "dir",
                f'"{self.spool_dir}"', "-s", "ejabberd"]

    def env(self):
        env = dict(os.environ)
        env.update({
            "EJABBERD_CONFIG_PATH": self.config_path,
            "EJABBERD_LOG_PATH": self.log_path,
            "ERL_LIBS": ERL_LIBS,
            "ERL_CRASH_DUMP": os.path.join(self.workdir, "erl_crash.dump"),
            "ERL_CRASH_DUMP_BYTES": "0",
            "ERL_MAX_PORTS": "32000",
            "ERL_MAX_ETS_TABLES": "1400",
            "HOME": self.workdir,  # where the VM would look for .erlang.cookie
        })
        for name in ("EJABBERD_PID_PATH", "ERL_FLAGS", "ERL_AFLAGS", "ERL_ZFLAGS",
                     "CONTRIB_MODULES_PATH", "CONTRIB_MODULES_CONF_DIR"):
            env.pop(name, None)
        return env

    # -- life cycle
    def start(self):
        if self.running():
            raise EjabberdError("already running")
        self._log_start = self.log_offset()
        self.proc = processes.spawn(self.argv(), self.console_path, env=self.env(),
                                    cwd=self.workdir)
        ports = [self.c2s_port] + ([self.component_port] if self.muc == EXTERNAL else [])
        deadline = time.monotonic() + self.start_timeout
        while not (all(port_accepts(p) for p in ports) and self._started()):
            if self.proc.poll() is not None:
                processes.forget(self.proc)
                raise EjabberdError(f"ejabberd exited with status {self.proc.returncode} while "
                                    f"starting\n{self.diagnostics()}")
            if time.monotonic() > deadline:
                self.stop()
                raise EjabberdError(f"ejabberd did not listen on {ports} within "
                                    f"{self.start_timeout} s\n{self.diagnostics()}")
            time.sleep(0.1)
        return self

    def _started(self):
        return re.search(r"ejabberd \S+ is started", self.log_text()) is not None

    def stop(self, term_timeout=15.0):
        """SIGTERM to beam.smp (a clean ejabberd stop), SIGKILL after term_timeout."""
        if self.proc is None:
            return None
        status = processes.stop(self.proc, term_timeout)
        # The extauth programs read until EOF, which they get when the VM is gone.
        processes.wait_until(lambda: not processes.survivors(self.workdir), 5.0)
        return status

    def diagnostics(self, lines=40):
        def tail(path):
            try:
                with open(path, errors="replace") as f:
                    return "".join(f.readlines()[-lines:]) or "(empty)\n"
            except FileNotFoundError:
                return "(none)\n"
        return (f"--- ejabberd log ({self.log_path}), last {lines} lines:\n{tail(self.log_path)}"
                f"--- ejabberd console ({self.console_path}):\n{tail(self.console_path)}")
