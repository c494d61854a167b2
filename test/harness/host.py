"""What the harness's throwaway XMPP servers (ProsodyHost, EjabberdHost) have in common: their
set-up (secret, workdir, ports, log paths), loopback addresses, the process, the
context-manager protocol and reading their log file.

A subclass calls ServerHost.__init__, sets `proc` (None until started) and `_log_start` (the
offset in the log where the current run's lines begin), and provides start() and stop()."""

import os
import re

from . import processes
from .ports import LOOPBACK, free_ports


class ServerHost:
    def __init__(self, kind, *, external, component_secret, workdir, c2s_port, component_port,
                 start_timeout, fanout):
        """What every host sets up the same way: a component secret when mucd is to attach
        (`external`), a workdir, free ports unless given, and `<kind>.log` and
        `<kind>.console.log` in the workdir. `fanout`: whether mucd's component gets
        mod_mucd_fanout (only an external component can)."""
        self.fanout = fanout and external
        if external and component_secret is None:
            component_secret = os.urandom(12).hex()
        self.component_secret = component_secret
        self.workdir = workdir or processes.make_workdir(kind)
        if c2s_port is None or component_port is None:
            c2s, comp = free_ports(2)
            c2s_port = c2s_port or c2s
            component_port = component_port or comp
        self.c2s_port = c2s_port
        self.component_port = component_port
        self.start_timeout = start_timeout
        self.log_path = os.path.join(self.workdir, f"{kind}.log")
        self.console_path = os.path.join(self.workdir, f"{kind}.console.log")

    # -- addresses
    @property
    def server(self):
        """host:port of the c2s listener (what scansion clients connect to)."""
        return f"{LOOPBACK}:{self.c2s_port}"

    @property
    def component_server(self):
        """host:port of the component listener (what mucd connects to)."""
        return f"{LOOPBACK}:{self.component_port}"

    @property
    def pid(self):
        """The server process's PID (None before the first start)."""
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- logs
    def log_text(self, whole=False):
        """The server's log file: the current run's part, or everything since the first start."""
        try:
            with open(self.log_path, errors="replace") as f:
                if not whole:
                    f.seek(self._log_start)
                return f.read()
        except FileNotFoundError:
            return ""

    def log_offset(self):
        """A mark to pass to wait_for_log(since=...) so only later lines count."""
        return os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0

    def wait_for_log(self, pattern, timeout=10.0, since=None, abort=None):
        """Waits until a log line after `since` (default: this run's start) matches the regex.

        Returns the match, or None on timeout or as soon as abort() returns true.
        """
        since = self._log_start if since is None else since
        regex = re.compile(pattern)

        def found():
            if abort and abort():
                return "aborted"
            try:
                with open(self.log_path, errors="replace") as f:
                    f.seek(since)
                    return regex.search(f.read())
            except FileNotFoundError:
                return None

        result = processes.wait_until(found, timeout)
        return None if result == "aborted" else result
