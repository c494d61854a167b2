"""Every scansion script against mucd attached to a real Prosody (Prosody's own MUC switched off).

One test per script, each with a fresh Prosody and mucd: the scripts reuse room names. Tests still
expected to fail are listed in expected_failures.txt (run and reported as XFAIL/XPASS).
"""

import glob
import os

import pytest

import harness
from harness.processes import describe_status
from conftest import (SCRIPTS_DIR, SEEDS, is_own_script, mucd_service, require, script_cases,
                      script_settings, seed_path)

CASES = script_cases()


# What mucd logs once it knows whether Prosody expands its broadcasts (mod_mucd_fanout).
FANOUT_ON = "expands fan-out"
FANOUT_OFF = "does not expand fan-out"


def run_against_mucd(path, fanout=True, **kw):
    """Runs one script against a fresh Prosody+mucd (with the script's `# mucd-args:`), then
    stops mucd. With fanout, Prosody has mod_mucd_fanout and mucd sends each broadcast once;
    without, one copy per recipient.

    Returns (run, result, problems, diagnostics); problems lists what went wrong with mucd
    itself: died during the script, did not exit 0 on SIGTERM, a sanitizer report, or a
    fan-out mode other than the one asked for."""
    with mucd_service(fanout=fanout,
                      extra_args=script_settings(path)["mucd_args"]) as (host, mucd):
        run = harness.run_scansion(host, [path], **kw)
        problems = [] if mucd.running() else [
            f"mucd {describe_status(mucd.returncode)} during the script"]
    expected = FANOUT_ON if fanout else FANOUT_OFF
    if expected not in mucd.stderr_text():
        problems.append(f"mucd's log lacks {expected!r}: the fan-out mode was not the one tested")
    if not problems and mucd.returncode != 0:
        problems.append(f"mucd {describe_status(mucd.returncode)} on SIGTERM after the script")
    if "Sanitizer" in mucd.stderr_text():
        problems.append("mucd's stderr has a sanitizer report")
    return run, run.results.get(harness.script_name(path)), problems, mucd.diagnostics()


SECONDS = {}  # script name -> runner seconds, reused by the timing test


@pytest.mark.parametrize("path", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_script_against_mucd(path, scansion_bin):
    run, result, problems, diagnostics = run_against_mucd(require(path),
                                                          strict=is_own_script(path))
    SECONDS[harness.script_name(path)] = (run.seconds, run.passed)
    assert not problems, f"{'; '.join(problems)}\n{run.output}\n{diagnostics}"
    assert result is not None, f"runner reported no result\n{run.output}"
    assert result.passed and run.returncode == 0, f"{run.output}\n{diagnostics}"


@pytest.mark.parametrize("path", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_script_against_mucd_without_host_fanout(path, scansion_bin):
    """The same, with a Prosody that lacks mod_mucd_fanout: every copy of a broadcast crosses
    the component stream on its own (what an operator gets without the module, or on ejabberd)."""
    run, result, problems, diagnostics = run_against_mucd(require(path), fanout=False,
                                                          strict=is_own_script(path))
    assert not problems, f"{'; '.join(problems)}\n{run.output}\n{diagnostics}"
    assert result is not None, f"runner reported no result\n{run.output}"
    assert result.passed and run.returncode == 0, f"{run.output}\n{diagnostics}"


def test_mucd_has_own_scripts():
    """mucd's own scripts (scansion/scripts/*.scs) exist and are part of this suite."""
    assert glob.glob(os.path.join(SCRIPTS_DIR, "*.scs")), f"no scripts in {SCRIPTS_DIR}"


def test_seeds_finish_quickly_against_mucd(scansion_bin):
    """The five seeds, one fresh Prosody+mucd each, take under 30 s of runner time in total.

    Uses the times of this session's test_script_against_mucd runs; runs the seeds it lacks."""
    total, slow = 0.0, []
    for name in SEEDS:
        if name not in SECONDS:
            run = run_against_mucd(require(seed_path(name)))[0]
            SECONDS[name] = (run.seconds, run.passed)
        seconds, passed = SECONDS[name]
        total += seconds
        slow.append(f"{name}: {seconds:.1f} s, {'passed' if passed else 'FAILED'}")
    assert total < 30.0, f"seeds took {total:.1f} s against mucd:\n" + "\n".join(slow)
    assert all(s.endswith("passed") for s in slow), "\n".join(slow)
