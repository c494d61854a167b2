"""The quick modes of the benchmark tools (bench/): correctness, not speed. Each asserts only that
every expected stanza arrived: every join answered, every occupant got every presence and its
subject, every occupant got exactly one copy of every message."""

import json
import os
import subprocess
import sys

import pytest

import harness
from conftest import require, require_ejabberd

BENCH = os.path.join(harness.REPO, "bench")


def fakehost_binary():
    return os.path.join(harness.build_dir(), "bench", "mucd-fakehost")


def load_binary():
    return os.path.join(harness.build_dir(), "bench", "mucd-load")


def e2e_module():
    """bench/e2e.py, imported."""
    sys.path.insert(0, BENCH)
    try:
        import e2e
    finally:
        sys.path.remove(BENCH)
    return e2e


def bench_env():
    # Temporary files (and so the command lines of the processes the tools start) under the run
    # root, where the suite's leftover-process check looks.
    return dict(os.environ, TMPDIR=harness.run_root(), MUCD_TEST_TMP=harness.run_root())


@pytest.mark.parametrize("extra", [[], ["--host-fanout"]], ids=["copies", "host-fanout"])
def test_fakehost_quick_mode_receives_every_stanza(mucd_bin, extra):
    tool = require(fakehost_binary())
    proc = subprocess.run([tool, "--mucd", mucd_bin, "--quick", "--timeout", "20", *extra],
                          capture_output=True, text=True, timeout=60, env=bench_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "quick" in proc.stdout and "FAILED" not in out, out
    if extra:
        # Rooms of 5: the last joiner's list repeats a presence the host was asked to keep, so
        # the copies of kept presences are checked too (each counted as the stanza it names).
        assert "host_copies=" in out and "host_copies=0 " not in out + " ", out


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
    assert "Prosody built-in MUC vs Prosody + mucd (mod_mucd_fanout)" in out, out
    assert "Prosody built-in MUC vs Prosody + mucd (plain XEP-0114, no module)" in out, out
    assert "Prosody built-in MUC vs Prosody + mucd (mod_mucd_fanout, --occupant-id off)" in out, out
    assert "second server" not in out, out  # the control runs only when asked for
    assert "e2e-quick" in out and "FAILED" not in out, out


def test_end_to_end_control_is_a_second_built_in_server_compared_like_the_others(mucd_bin,
                                                                                tmp_path):
    require(load_binary())
    out_json = tmp_path / "e2e.json"
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "e2e.py"), "--quick",
                           "--setups", "prosody-again", "--json", str(out_json)],
                          capture_output=True, text=True, timeout=120, env=bench_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Prosody built-in MUC vs Prosody built-in MUC, a second server (control)" in out, out
    assert "with the built-in again" in out, out
    assert "Prosody + mucd" not in out, out  # nothing else was asked for
    data = json.loads(out_json.read_text())
    assert sorted(k for k in data if k != "comparison") == ["prosody", "prosody-again"], data
    watched = [line for line in proc.stderr.splitlines() if line.startswith("== prosody-again")]
    assert watched and "--watch prosody=" in watched[0] and "mucd=" not in watched[0], out


def test_end_to_end_interleaved_runs_every_setup_in_turn(mucd_bin, tmp_path):
    # --interleave starts the setups at once (the built-in MUC and the two --setups picked) and
    # alternates their runs; each setup's figures are then the runs it was given, joined as if
    # one mucd-load had made them.
    require(load_binary())
    out_json = tmp_path / "e2e.json"
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "e2e.py"), "--quick",
                           "--interleave", "--runs", "2", "--json", str(out_json),
                           "--setups", "prosody+mucd-no-oid,prosody+mucd"],
                          capture_output=True, text=True, timeout=180, env=bench_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    order = [line.split(" of ")[1] for line in proc.stderr.splitlines()
             if line.startswith("e2e: run ")]
    setups = ["prosody", "prosody+mucd", "prosody+mucd-no-oid"]
    assert order == setups + setups[1:] + setups[:1], out  # round 2 starts one further on
    data = json.loads(out_json.read_text())
    assert "prosody+mucd-plain" not in data, data.keys()
    for label in setups:
        [scenario] = data[label]["scenarios"]
        assert scenario["runs"] == 2, data[label]
        deliveries = scenario["metrics"]["deliveries_per_s"]
        assert len(deliveries["values"]) == 2, deliveries
        assert deliveries["min"] <= deliveries["median"] <= deliveries["max"], deliveries


def test_end_to_end_merges_the_runs_of_several_invocations():
    e2e = e2e_module()

    def invocation(*values):
        return {"tool": "mucd-load", "scenarios": [
            {"name": "s", "spec": "1 room", "runs": len(values),
             "metrics": {"joins_per_s": {"median": 0, "min": 0, "max": 0,
                                         "values": list(values)}}}]}

    joined = e2e.merged([invocation(5.0), invocation(1.0, 4.0), invocation(2.0)])
    [scenario] = joined["scenarios"]
    assert scenario["runs"] == 4 and scenario["spec"] == "1 room"
    assert scenario["metrics"]["joins_per_s"] == {"median": 3.0, "min": 1.0, "max": 5.0,
                                                  "values": [5.0, 1.0, 4.0, 2.0]}
    assert e2e.merged([]) is None


def test_end_to_end_quick_mode_through_ejabberd_receives_every_stanza(mucd_bin):
    # Debian's ejabberd: packaging/install-deps.sh installs it for the test command.
    require(load_binary())
    require_ejabberd()
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "e2e.py"), "--host", "ejabberd",
                           "--quick"],
                          capture_output=True, text=True, timeout=180, env=bench_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "ejabberd built-in mod_muc vs ejabberd + mucd (mod_mucd_fanout)" in out, out
    assert "e2e-quick" in out and "FAILED" not in out, out


def test_end_to_end_names_the_setups_when_asked_for_one_it_lacks(mucd_bin, monkeypatch, capsys):
    require(load_binary())
    e2e = e2e_module()
    monkeypatch.setattr(sys, "argv", ["e2e.py", "--quick", "--setups", "prosody+mucd,nope"])
    assert e2e.main() == 2
    err = capsys.readouterr().err
    assert "no setup nope for --host prosody" in err and "prosody+mucd-no-oid" in err, err


# Without the package, --host ejabberd says so:

def test_end_to_end_on_ejabberd_without_the_package_says_so(monkeypatch, capsys):
    e2e = e2e_module()
    monkeypatch.setattr(harness.ejabberd, "ERL", "/nonexistent/erl")
    monkeypatch.setattr(sys, "argv", ["e2e.py", "--host", "ejabberd", "--quick"])
    assert e2e.main() == 2
    err = capsys.readouterr().err
    assert "ejabberd" in err and "apt-get install ejabberd" in err, err


def test_ejabberd_benchmark_config_serves_the_conference_domain_one_way_only(tmp_path):
    common = dict(workdir=str(tmp_path), c2s_port=15222, component_port=15347,
                  extauth_path=str(tmp_path / "extauth.py"))
    builtin = harness.ejabberd.render_config(muc=harness.BUILTIN, **common)
    external = harness.ejabberd.render_config(muc=harness.EXTERNAL, component_secret="s3cret",
                                              **common)
    assert "mod_muc:" in builtin and "ejabberd_service" not in builtin
    assert "mam: false" in builtin and "max_users: 1000" in builtin
    assert "mod_muc:" not in external and "module: ejabberd_service" in external
    assert "mod_mucd_fanout: {}" in external and "mod_mucd_fanout" not in builtin
    plain = harness.ejabberd.render_config(muc=harness.EXTERNAL, component_secret="s3cret",
                                           fanout=False, **common)
    assert "mod_mucd_fanout" not in plain
    assert '"conference.localhost":' in external and 'password: "s3cret"' in external
    for text in (builtin, external):
        assert "auth_method: external" in text and "starttls_required: false" in text
        assert 'ip: "127.0.0.1"' in text and "port: 15222" in text


def test_ejabberd_benchmark_extauth_accepts_any_login_and_nothing_else(tmp_path):
    import struct

    script = tmp_path / "extauth.py"
    script.write_text(harness.ejabberd.EXTAUTH_SCRIPT)

    def request(text):
        data = text.encode()
        return struct.pack(">H", len(data)) + data

    requests = [request("auth:anyone:localhost:any password"), request("isuser:x:localhost"),
                request("setpass:x:localhost:p"), request("removeuser:x:localhost")]
    proc = subprocess.run([sys.executable, str(script)], input=b"".join(requests),
                          capture_output=True, timeout=10)
    answers = [struct.unpack(">HH", proc.stdout[k:k + 4]) for k in range(0, len(proc.stdout), 4)]
    assert answers == [(2, 1), (2, 1), (2, 0), (2, 0)], proc.stderr
