"""The harness's own logic (output parsing, parity comparison, processes), without mucd."""

import os
import subprocess
import sys
import textwrap

import pytest

import harness
from harness.parity import AllowlistError, parse_allowlist
from harness.scansion import find_step, parse_output, replace_in_step, script_steps
from conftest import ALLOWLIST, EXPECTED_FAILURES, load_expected_failures

RUNNER_OUTPUT = """\
PASS muc_create_destroy
FAIL muc_password: step 9 (line 60, Juliet): no matching stanza within 3 s
    expected:
      <presence from="room@conference.localhost/Juliet" type="error"/>
    received:
      <presence type="error"/>
FAIL other: could not connect to 127.0.0.1:1
1 passed, 2 failed
"""


def test_parse_runner_output():
    results, summary = parse_output(RUNNER_OUTPUT)
    assert summary == (1, 2)
    assert results["muc_create_destroy"].passed
    pw = results["muc_password"]
    assert (pw.passed, pw.step, pw.line, pw.client) == (False, 9, 60, "Juliet")
    assert pw.reason == "no matching stanza within 3 s"
    assert pw.details.startswith("expected:\n  <presence")
    assert "received:" in pw.details
    other = results["other"]
    assert not other.passed and other.step is None and "could not connect" in other.reason


def test_script_steps_count_every_action():
    text = textwrap.dedent("""\
        # Title
        [Client] Romeo
        \tjid: romeo@localhost

        -----

        Romeo connects

        # a comment
        Romeo sends:
        \t<presence to="r@c/R"/>

        Romeo receives:
        \t<presence from="r@c/R">
        \t\t<x/>
        \t</presence>

        Romeo disconnects
        """)
    steps = script_steps(text)
    assert [(s.number, s.line, s.action) for s in steps] == [
        (1, 7, "connects"), (2, 10, "sends"), (3, 13, "receives"), (4, 18, "disconnects")]
    step = find_step(text, "Romeo", "receives", "<x/>")
    assert step.number == 3
    assert '<x id="1"/>' in replace_in_step(text, step, "<x/>", '<x id="1"/>')
    with pytest.raises(LookupError):
        replace_in_step(text, steps[1], "<x/>", "")  # only in step 3


def write_recording(root, script, client, lines):
    os.makedirs(os.path.join(root, script), exist_ok=True)
    with open(os.path.join(root, script, client + ".txt"), "w") as f:
        f.write("".join(l + "\n" for l in lines))


ERR_P = "<presence from='r@c/J' type='error'><error by='r@c' type='auth'><not-authorized/></error></presence>"
ERR_M = "<presence from='r@c/J' type='error'><error by='r@c' code='401' type='auth'><not-authorized/></error></presence>"


def test_parity_reports_unallowed_differences_readably(tmp_path):
    p, m = str(tmp_path / "p"), str(tmp_path / "m")
    write_recording(p, "s", "Juliet", ["<a/>", ERR_P, "<b/>"])
    write_recording(m, "s", "Juliet", ["<a/>", ERR_M, "<b/>", "<extra/>"])
    diffs = harness.compare_recordings(p, m, [])
    assert [(d.prosody, d.mucd) for d in diffs] == [([ERR_P], [ERR_M]), ([], ["<extra/>"])]
    text = diffs[0].render()
    assert "s / Juliet" in text and "- prosody: " + ERR_P in text and "+ mucd:    " + ERR_M in text
    assert "first difference at column" in text


def test_parity_allowlist_excuses_only_what_it_names(tmp_path):
    p, m = str(tmp_path / "p"), str(tmp_path / "m")
    write_recording(p, "muc_password", "Juliet", [ERR_P])
    write_recording(m, "muc_password", "Juliet", [ERR_M])
    write_recording(p, "muc_password", "Romeo", [ERR_P])
    write_recording(m, "muc_password", "Romeo", [ERR_M.replace("401", "402")])
    report = harness.compare_recordings_report(p, m, ALLOWLIST)
    assert [(d.client, d.mucd) for d in report.differences] == [
        ("Romeo", [ERR_M.replace("401", "402")])]
    assert len(report.allowed) == 1 and report.allowed[0].client == "Juliet"
    assert [e.kind for e in report.used] == ["mucd-extra"]


def test_parity_line_kinds_and_missing_recordings(tmp_path):
    p, m = str(tmp_path / "p"), str(tmp_path / "m")
    write_recording(p, "s", "A", ["<a/>", "<only-prosody/>"])
    write_recording(m, "s", "A", ["<only-mucd/>", "<a/>"])
    write_recording(p, "t", "A", ["<a/>"])
    entries = parse_allowlist("s | * | mucd-line: only-mucd | r1\n"
                              "s | A | prosody-line: ^<only-prosody | r2\n")
    report = harness.compare_recordings_report(p, m, entries)
    assert [(d.script, d.note) for d in report.differences] == [("t", "no recording from mucd")]
    assert len(report.used) == 2


@pytest.mark.parametrize("bad", [
    "s | c | mucd-extra: x",                      # no reason
    "s | c | sometimes: x | why",                 # unknown kind
    "s | c | mucd-extra: ( | why",                # bad regex
    "s | c | mucd-extra | why",                   # no regex
])
def test_allowlist_rejects_malformed_entries(bad):
    with pytest.raises(AllowlistError):
        parse_allowlist(bad)


def test_checked_in_lists_parse():
    assert harness.load_allowlist(ALLOWLIST)
    # The expected-failure list may be empty (nothing expected to fail), but every entry in it
    # must name a reason.
    assert all(reason for _, reason in load_expected_failures(EXPECTED_FAILURES))


def test_free_ports_are_distinct_and_bindable():
    ports = harness.free_ports(3)
    assert len(set(ports)) == 3
    assert not any(harness.port_accepts(p) for p in ports)


def test_prosody_host_starts_restarts_and_stops(tmp_path):
    host = harness.ProsodyHost(muc=harness.EXTERNAL)
    with host:
        assert harness.port_accepts(host.c2s_port) and harness.port_accepts(host.component_port)
        first = host.pid
        host.kill()
        host.start()  # same ports straight after a crash
        assert host.pid != first and harness.port_accepts(host.c2s_port)
        assert "Activated service 'c2s'" in host.log_text()
        host.restart()
        assert host.starts == 3
    assert not host.running() and host.proc.returncode == 0
    assert not harness.port_accepts(host.c2s_port)
    assert not [s for s in harness.survivors() if host.workdir in s[1]]


def test_prosody_host_reports_a_start_failure():
    with pytest.raises(harness.ProsodyError, match="prosody"):
        harness.ProsodyHost(extra_global="this is not lua").start()


def test_atexit_safety_net_stops_a_forgotten_prosody(tmp_path):
    """A test process that dies without stopping its Prosody still takes it down."""
    code = textwrap.dedent(f"""\
        import sys; sys.path.insert(0, {os.path.dirname(os.path.dirname(harness.__file__))!r})
        import harness
        host = harness.ProsodyHost().start()
        print(host.pid, harness.run_root(), flush=True)
        raise SystemExit(3)  # no stop()
        """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, MUCD_TEST_TMP=str(tmp_path)))
    assert proc.returncode == 3, proc.stderr
    pid, root = proc.stdout.split()
    assert not os.path.exists(f"/proc/{pid}") or harness.processes._is_zombie(int(pid))
    assert not os.path.exists(root)


def test_parity_cut_group_removes_only_the_group(tmp_path):
    p, m = str(tmp_path / "p"), str(tmp_path / "m")
    write_recording(p, "s", "A", ["<same/>", '<iq id="2"/>', '<iq id="1"><q xml:lang="en"/></iq>'])
    write_recording(m, "s", "A", ["<same/>", '<iq id="2" xml:lang="en"/>',
                                  '<iq id="1" xml:lang="en"><q/></iq>'])
    entries = parse_allowlist(r's | * | mucd-extra: ^<\w+[^>]*?(?P<cut>\sxml:lang="en")(?=[\s/>]) | r')
    report = harness.compare_recordings_report(p, m, entries)
    # the second line differs only by the top-level xml:lang; the first differs in a child too
    assert [(d.mucd, d.prosody_at, d.mucd_at) for d in report.differences] == [
        (['<iq id="1" xml:lang="en"><q/></iq>'], 3, 3)]
    assert "(after the allowlist's cuts)" in report.render()
    assert [a.mucd for a in report.allowed] == [['<iq id="2" xml:lang="en"/>']]
