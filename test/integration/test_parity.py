"""Parity with Prosody's built-in MUC: each script runs twice with --record, once against Prosody's
MUC and once against mucd, and per client every received stanza must be the same, except for the
differences listed (with a reason) in test/parity-allowlist.txt."""

import os

import pytest

import harness
from conftest import (ALLOWLIST, is_own_script, mucd_service, require, script_cases,
                      script_settings)

MUC = "http://jabber.org/protocol/muc"

# Expectations in the seeds that Prosody 0.12 does not meet (SCANSION.md, "A note on versions").
# They are cut from the copy both servers run, so Prosody's run goes to the end of the script and
# the two recordings cover the same steps; what mucd sends beyond Prosody shows up in the
# recordings and must be in the allowlist.
LOOSEN = {
    "muc_password": [(' code="401"', "")],
    "muc_show_offline": [(f"\t\t<x xmlns='{MUC}'/>\n", "")],
}

REPORTS = {}  # script name -> ParityReport, for the stale-entry check


def loosened_copy(path, directory):
    name = harness.script_name(path)
    with open(path) as f:
        text = f.read()
    for old, new in LOOSEN.get(name, []):
        assert old in text, f"{path} no longer contains {old!r}; update LOOSEN"
        text = text.replace(old, new)
    os.makedirs(directory, exist_ok=True)
    copy = os.path.join(directory, name + ".scs")
    with open(copy, "w") as f:
        f.write(text)
    return copy


def summary(label, run):
    return f"--- {label}: exit {run.returncode}\n{run.output}"


CASES = script_cases()


@pytest.mark.parametrize("path", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_parity(path, scansion_bin, tmp_path):
    allowlist = harness.load_allowlist(ALLOWLIST)
    name = harness.script_name(path)
    strict = is_own_script(path)
    settings = script_settings(require(path))
    if settings["parity_skip"]:
        pytest.skip(f"no parity run for {name}: {settings['parity_skip']}")
    script = loosened_copy(path, str(tmp_path / "scripts"))
    prosody_rec, mucd_rec = str(tmp_path / "prosody"), str(tmp_path / "mucd")
    with harness.ProsodyHost(muc=harness.BUILTIN,
                             extra_conference=settings["prosody_conference"]) as host:
        prosody_run = harness.run_scansion(host, [script], strict=strict,
                                           record_dir=prosody_rec)
    with mucd_service(extra_args=settings["mucd_args"]) as (host, mucd):
        mucd_run = harness.run_scansion(host, [script], strict=strict, record_dir=mucd_rec)
    report = harness.compare_recordings_report(prosody_rec, mucd_rec, allowlist, scripts=[name])
    REPORTS[name] = report
    assert prosody_run.passed, (f"the script fails against Prosody's own MUC, so there is no "
                                f"reference to compare with\n{summary('Prosody run', prosody_run)}")
    if report.differences:
        pytest.fail(
            f"{len(report.differences)} difference(s) between what Prosody's MUC and mucd sent "
            f"(- Prosody, + mucd); fix mucd or add a reasoned entry to {ALLOWLIST}:\n\n"
            f"{report.render()}\n\n{summary('Prosody run', prosody_run)}\n"
            f"{summary('mucd run', mucd_run)}", pytrace=False)


def test_allowlist_has_no_stale_entries():
    """Every allowlist entry for a script compared in this session matched a real difference."""
    entries = harness.load_allowlist(ALLOWLIST)
    names = [harness.script_name(path) for _, path in CASES]
    stale, unchecked = [], []
    for entry in entries:
        compared = [s for s in REPORTS if entry.covers_script(s)]
        if not compared:
            if any(entry.covers_script(n) for n in names):
                unchecked.append(f"{entry.source}: {entry}")
        elif not any(entry in REPORTS[s].used for s in compared):
            stale.append(f"{entry.source}: {entry}")
    assert not unchecked, ("entries whose scripts were not compared in this session (run the "
                           "whole test_parity.py):\n" + "\n".join(unchecked))
    assert not stale, ("allowlist entries that matched no difference (delete them):\n"
                       + "\n".join(stale))
