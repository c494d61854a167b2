"""Child processes started by the harness: start, stop by PID, and never leave one behind.

Every process is started in a fresh temporary directory under one per-run root (`run_root()`), and
its command line names that directory (a config file, a secret file, a data directory). That makes
"did we leave anything running?" answerable from /proc without trusting our own bookkeeping:
`survivors()` lists live processes whose command line mentions the root.
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time

_ROOT = None
_LIVE = {}  # pid -> Popen, for the atexit safety net


def run_root():
    """The directory under which every harness temp dir of this Python process lives."""
    global _ROOT
    if _ROOT is None:
        base = os.environ.get("MUCD_TEST_TMP") or None
        _ROOT = tempfile.mkdtemp(prefix="mucd-it-", dir=base)
    return _ROOT


def make_workdir(prefix):
    return tempfile.mkdtemp(prefix=prefix + "-", dir=run_root())


def spawn(argv, stdout_path, stderr_path=None, env=None, cwd=None):
    """Starts argv with stdout (and stderr, unless given its own file) appended to a file.

    The child gets its own session, so a Ctrl-C meant for the test runner does not reach it
    before the harness can stop it in order; it is tracked for the atexit safety net.
    """
    with open(stdout_path, "ab") as out, open(stderr_path or stdout_path, "ab") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=env, cwd=cwd, start_new_session=True)
    _LIVE[proc.pid] = proc
    return proc


def stop(proc, term_timeout=5.0):
    """SIGTERM, then SIGKILL if still alive after term_timeout. Returns the exit status.

    Signals go to the PID only (never to a name), and only to a process we started and have not
    yet reaped.
    """
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=term_timeout)
        except subprocess.TimeoutExpired:
            kill(proc)
    _LIVE.pop(proc.pid, None)
    return proc.returncode


def kill(proc):
    """SIGKILL and reap."""
    if proc.poll() is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()
    _LIVE.pop(proc.pid, None)
    return proc.returncode


def forget(proc):
    """Drops a process that has exited by itself from the safety net."""
    if proc.poll() is not None:
        _LIVE.pop(proc.pid, None)


def describe_status(status):
    """'exited with status 1', 'killed by SIGSEGV', or 'still running' (None)."""
    if status is None:
        return "still running"
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exited with status {status}"


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def survivors(root=None):
    """Live processes (pid, command line) whose command line mentions the run root."""
    root = root or run_root()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        cmd = _cmdline(int(entry))
        if cmd and root in cmd and not _is_zombie(int(entry)):
            found.append((int(entry), cmd))
    return found


def _stop_all_at_exit():
    for proc in list(_LIVE.values()):
        kill(proc)
    for pid, _ in survivors() if _ROOT else []:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if _ROOT and os.environ.get("MUCD_KEEP_TMP") != "1":
        shutil.rmtree(_ROOT, ignore_errors=True)


atexit.register(_stop_all_at_exit)


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate until it returns a true value or timeout seconds pass; returns the value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
