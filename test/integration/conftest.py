"""Shared set-up for the integration suite: the harness on sys.path, fixtures that give each test
its own Prosody (and mucd), the expected-failure list, and a check that nothing is left running."""

import contextlib
import glob
import os
import re
import sys

import pytest

TEST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TEST_DIR not in sys.path:
    sys.path.insert(0, TEST_DIR)

import harness  # noqa: E402

REPO = harness.REPO
SEEDS_DIR = os.path.join(REPO, "scansion", "seeds")
SCRIPTS_DIR = os.path.join(REPO, "scansion", "scripts")
ALLOWLIST = os.path.join(REPO, "test", "parity-allowlist.txt")
EXPECTED_FAILURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "expected_failures.txt")

# The seeds the project was specified with; a missing file is a failure, not an absent test.
SEEDS = ["muc_affiliation_notify", "muc_create_destroy", "muc_members_only_deregister",
         "muc_password", "muc_show_offline"]


def seed_path(name):
    return os.path.join(SEEDS_DIR, name + ".scs")


def script_cases():
    """(id, path) for every script run against mucd: the five seeds, then scansion/scripts/."""
    cases = [(f"seeds/{name}", seed_path(name)) for name in SEEDS]
    for path in sorted(glob.glob(os.path.join(SCRIPTS_DIR, "*.scs"))):
        cases.append((f"scripts/{harness.script_name(path)}", path))
    return cases


def script_settings(path):
    """Settings a script asks for in comment lines of its header (before `-----`):

        # mucd-args: --max-occupants 2         extra mucd arguments (shell words)
        # prosody-conference: restrict_room_creation = "admin"
                                               a line for the Component section of Prosody's
                                               built-in MUC in the parity run (repeatable)
        # parity-skip: REASON                  no parity run: Prosody's MUC has no equivalent

    Returns {"mucd_args": [...], "prosody_conference": "...", "parity_skip": reason or None}."""
    import shlex
    settings = {"mucd_args": [], "prosody_conference": "", "parity_skip": None}
    with open(path) as f:
        for line in f:
            if line.strip() == "-----":
                break
            m = re.match(r"#\s*(mucd-args|prosody-conference|parity-skip):\s*(.*?)\s*$", line)
            if not m:
                continue
            key, value = m.groups()
            if key == "mucd-args":
                settings["mucd_args"] += shlex.split(value)
            elif key == "prosody-conference":
                settings["prosody_conference"] += "\t" + value + "\n"
            else:
                settings["parity_skip"] = value
    return settings


def is_own_script(path):
    """mucd's own scripts (scansion/scripts/) are written complete and run in --strict mode; the
    seeds run in upstream-compatible mode, as Prosody's own test suite runs them."""
    return os.path.dirname(os.path.abspath(path)) == SCRIPTS_DIR


def require(path):
    """Fails (never skips) the test when a binary or script it needs is not there."""
    problem = harness.missing(path) if not path.endswith(".scs") else (
        None if os.path.isfile(path) else f"{path} does not exist")
    if problem:
        pytest.fail(problem, pytrace=False)
    return path


def require_ejabberd():
    """Fails (never skips) the test when Debian's ejabberd, which the test command installs, is
    not there."""
    problem = harness.ejabberd_installed()
    if problem:
        pytest.fail(f"ejabberd (packaging/install-deps.sh installs it): {problem}", pytrace=False)


@pytest.fixture
def mucd_bin():
    return require(harness.mucd_binary())


@pytest.fixture
def scansion_bin():
    return require(harness.scansion_binary())


@pytest.fixture
def builtin_prosody():
    """A fresh Prosody serving conference.localhost with its own MUC."""
    with harness.ProsodyHost(muc=harness.BUILTIN) as host:
        yield host


@pytest.fixture
def external_prosody():
    """A fresh Prosody with conference.localhost as an external component port (nobody attached)."""
    with harness.ProsodyHost(muc=harness.EXTERNAL) as host:
        yield host


@contextlib.contextmanager
def mucd_service(fanout=True, **mucd_args):
    """A fresh Prosody (built-in MUC off) with mucd attached and authenticated; mod_mucd_fanout
    on mucd's component unless fanout is False (then mucd sends one copy per recipient)."""
    require(harness.mucd_binary())
    with harness.ProsodyHost(muc=harness.EXTERNAL, fanout=fanout) as host:
        with harness.MucdProcess(host, **mucd_args) as mucd:
            yield host, mucd


@pytest.fixture
def mucd_pair():
    with mucd_service() as pair:
        yield pair


# -- expected failures ---------------------------------------------------------------------------

def load_expected_failures(path=EXPECTED_FAILURES):
    """[(compiled node-id pattern, reason)] from expected_failures.txt; `*` is the only wildcard."""
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            pattern, _, reason = (p.strip() for p in line.partition(" | "))
            regex = re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$")
            entries.append((regex, reason or "listed in expected_failures.txt"))
    return entries


def pytest_collection_modifyitems(config, items):
    entries = load_expected_failures()
    for item in items:
        nodeid = item.nodeid.split("integration/", 1)[-1]
        for regex, reason in entries:
            if regex.match(nodeid):
                item.add_marker(pytest.mark.xfail(strict=False, reason=reason))
                break


# -- nothing left running ------------------------------------------------------------------------

def pytest_sessionfinish(session, exitstatus):
    left = harness.survivors()
    if not left:
        return
    import signal
    for pid, _ in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    lines = "\n".join(f"  pid {pid}: {cmd}" for pid, cmd in left)
    message = f"integration tests left processes running (now killed):\n{lines}"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line("")
        reporter.write_line(message, red=True)
    else:
        print(message, file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
