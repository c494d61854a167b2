"""The real mucd binary, attached to a ProsodyHost (or an EjabberdHost) as its external conference
component."""

import os
import subprocess
import time

from . import processes
from .binaries import mucd_binary
from .prosody import ADMIN_JID, AUTHENTICATED, EXTERNAL, MUC_DOMAIN


class MucdError(RuntimeError):
    pass


class MucdProcess:
    """mucd --server <prosody component port> --domain conference.localhost ...

    The secret goes through a 0600 file (--secret-file), or with secret_via="env" through
    MUCD_SECRET; never the command line. stdout and stderr go to files in the temp dir. start()
    waits (by default) until Prosody logs the component's authentication; stop() sends SIGTERM,
    then SIGKILL after a timeout; kill() is a crash (SIGKILL). The rooms are stored in data_dir
    (default: a fresh directory in the temp dir), which outlives the process: start() again
    after stop() or kill() is a restart over the same rooms.

        with ProsodyHost(muc=EXTERNAL) as host, MucdProcess(host) as mucd:
            ...  # conference.localhost is served by mucd
        mucd.returncode, mucd.stderr_text()
    """

    def __init__(self, host, *, secret=None, binary=None, workdir=None, domain=MUC_DOMAIN,
                 admin=ADMIN_JID, log_level="info", extra_args=(), env=None, secret_via="file",
                 data_dir=None):
        if host.muc != EXTERNAL:
            raise ValueError("mucd needs a host with muc=EXTERNAL")
        self.host = host
        self.secret = host.component_secret if secret is None else secret
        self.binary = binary or mucd_binary()
        self.workdir = workdir or processes.make_workdir("mucd")
        self.data_dir = data_dir or os.path.join(self.workdir, "data")
        self.secret_path = os.path.join(self.workdir, "secret")
        self.stderr_path = os.path.join(self.workdir, "mucd.stderr.log")
        self.stdout_path = os.path.join(self.workdir, "mucd.stdout.log")
        self.domain = domain
        self.admin = admin
        self.log_level = log_level
        self.extra_args = list(extra_args)
        if secret_via not in ("file", "env"):
            raise ValueError("secret_via must be 'file' or 'env'")
        self.secret_via = secret_via
        self.env = dict(env if env is not None else os.environ)
        self.env.pop("MUCD_SECRET", None)
        if secret_via == "env":
            self.env["MUCD_SECRET"] = self.secret
        self.proc = None
        self.stop_seconds = None  # how long the last stop() took
        os.makedirs(self.data_dir, exist_ok=True)
        fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.secret + "\n")

    def argv(self):
        secret = ["--secret-file", self.secret_path] if self.secret_via == "file" else []
        return [self.binary, "--server", self.host.component_server, "--domain", self.domain,
                *secret, "--data-dir", self.data_dir, "--admin", self.admin,
                "--log-level", self.log_level, *self.extra_args]

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def returncode(self):
        return self.proc.poll() if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, wait=True, timeout=10.0):
        if self.running():
            raise MucdError("already running")
        mark = self.host.log_offset()
        self.proc = processes.spawn(self.argv(), self.stdout_path, self.stderr_path,
                                    env=self.env, cwd=self.workdir)
        if wait:
            self.wait_authenticated(timeout, since=mark)
        return self

    def wait_authenticated(self, timeout=10.0, since=None):
        """Waits for the host's log line saying the component authenticated (Prosody's 'External
        component successfully authenticated', or the host's `authenticated_pattern`)."""
        pattern = getattr(self.host, "authenticated_pattern", AUTHENTICATED)
        if self.host.wait_for_log(pattern, timeout, since=since,
                                  abort=lambda: not self.running()):
            return
        state = processes.describe_status(self.returncode)
        raise MucdError(f"mucd did not authenticate with its host within {timeout} s ({state})\n"
                        f"{self.diagnostics()}")

    def wait(self, timeout):
        """Waits for mucd to exit by itself; returns its status, or None if still running."""
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        processes.forget(self.proc)
        return status

    def stop(self, term_timeout=5.0):
        """SIGTERM, SIGKILL after term_timeout; returns the exit status (negative if killed)."""
        if self.proc is None:
            return None
        began = time.monotonic()
        was_running = self.running()
        status = processes.stop(self.proc, term_timeout)
        if was_running:
            self.stop_seconds = time.monotonic() - began
        return status

    def kill(self):
        """SIGKILL, as a crash would: nothing flushed, no goodbye to the server. Returns the
        status (negative)."""
        if self.proc is None:
            return None
        return processes.kill(self.proc)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stdout_text(self):
        try:
            with open(self.stdout_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def output(self):
        """Everything mucd printed (stdout then stderr)."""
        return self.stdout_text() + self.stderr_text()

    def diagnostics(self, lines=40):
        err = "".join(self.stderr_text().splitlines(True)[-lines:])
        state = processes.describe_status(self.returncode) if self.proc else "not started"
        return (f"--- mucd {' '.join(self.argv())} ({state})\n"
                f"--- mucd stderr, last {lines} lines:\n{err}"
                f"{self.host.diagnostics(lines)}")
