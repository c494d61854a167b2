"""The quick modes of the benchmark tools (bench/): correctness, not speed. Each asserts only that
every expected stanza arrived: every join answered, every occupant got every presence and its
subject, every occupant got exactly one copy of every message."""

import os
import subprocess
import sys

import harness
from conftest import require

BENCH = os.path.join(harness.REPO, "bench")


def fakehost_binary():
    return os.path.join(harness.build_dir(), "bench", "mucd-fakehost")


def load_binary():
    return os.path.join(harness.build_dir(), "bench", "mucd-load")


def bench_env():
    # Temporary files (and so the command lines of the processes the tools start) under the run
    # root, where the suite's leftover-process check looks.
    return dict(os.environ, TMPDIR=harness.run_root(), MUCD_TEST_TMP=harness.run_root())


def test_fakehost_quick_mode_receives_every_stanza(mucd_bin):
    tool = require(fakehost_binary())
    proc = subprocess.run([tool, "--mucd", mucd_bin, "--quick", "--timeout", "20"],
                          capture_output=True, text=True, timeout=60, env=bench_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "quick" in proc.stdout and "FAILED" not in out, out


def test_fakehost_reports_a_missing_stanza_as_a_failure(mucd_bin):
    # A mucd that never answers joins (it is told the wrong domain, so every stanza bounces or is
    # dropped) must make the tool fail, not report figures.
    tool = require(fakehost_binary())
    proc = subprocess.run([tool, "--mucd", mucd_bin, "--quick", "--timeout", "2",
                           "--domain", "conference.bench.local", "--mucd-arg", "--domain",
                           "--mucd-arg", "other.bench.local"],
                          capture_output=True, text=True, timeout=60, env=bench_env())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED" in proc.stderr


def test_end_to_end_quick_mode_through_prosody_receives_every_stanza(mucd_bin):
    require(load_binary())
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "e2e.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, env=bench_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Prosody built-in MUC vs Prosody + mucd" in out, out
    assert "e2e-quick" in out and "FAILED" not in out, out
