"""The XEP-0114 link between mucd and a real Prosody: handshake, bad secret, reconnect, shutdown,
and the command line."""

import os
import subprocess
import time

import harness
from harness.processes import describe_status

OPTIONS = ["--server", "--domain", "--secret-file", "--secret", "--data-dir", "--admin",
           "--log-level", "--version", "--help"]


def test_mucd_authenticates_with_prosody(mucd_pair):
    host, mucd = mucd_pair
    assert mucd.running(), mucd.diagnostics()
    assert host.count_in_log(harness.AUTHENTICATED) == 1, host.diagnostics()
    # The secret travels in a 0600 file, never on the command line.
    with open(f"/proc/{mucd.pid}/cmdline", "rb") as f:
        assert host.component_secret.encode() not in f.read()
    assert os.stat(mucd.secret_path).st_mode & 0o077 == 0


def test_sigterm_stops_mucd_quickly_and_cleanly(mucd_pair):
    _, mucd = mucd_pair
    status = mucd.stop(term_timeout=5)
    assert status == 0, f"{describe_status(status)}\n{mucd.diagnostics()}"
    assert mucd.stop_seconds < 2.0, f"SIGTERM took {mucd.stop_seconds:.2f} s"


def test_wrong_secret_exits_1_with_a_clear_message(mucd_bin, external_prosody):
    wrong = "wrong-" + os.urandom(8).hex()
    mucd = harness.MucdProcess(external_prosody, secret=wrong)
    began = time.monotonic()
    mucd.start(wait=False)
    try:
        status = mucd.wait(timeout=5)
    finally:
        mucd.stop()
    took = time.monotonic() - began
    out = mucd.output()
    assert status == 1, f"{describe_status(status)} after {took:.1f} s\n{mucd.diagnostics()}"
    assert "secret" in mucd.stderr_text().lower(), f"stderr does not mention the secret:\n{out}"
    assert wrong not in out and external_prosody.component_secret not in out, \
        f"mucd printed a secret:\n{out}"
    assert external_prosody.wait_for_log("Component authentication failed", 1), \
        external_prosody.diagnostics()


def test_secret_from_environment(mucd_bin, external_prosody):
    """MUCD_SECRET instead of --secret-file."""
    mucd = harness.MucdProcess(external_prosody, secret_via="env")
    assert "--secret-file" not in mucd.argv()
    with mucd:
        assert mucd.running()
        assert external_prosody.component_secret not in mucd.output()


def test_reconnects_after_prosody_is_killed_and_restarted(mucd_pair):
    host, mucd = mucd_pair
    host.kill()
    time.sleep(1.5)  # down long enough for at least one failed reconnection attempt
    assert mucd.running(), f"mucd exited when Prosody went away\n{mucd.diagnostics()}"
    host.start()
    assert host.wait_for_log(harness.AUTHENTICATED, timeout=15, abort=lambda: not mucd.running()), \
        f"mucd did not authenticate again within 15 s\n{mucd.diagnostics()}"
    assert mucd.running()
    assert mucd.stop() == 0, mucd.diagnostics()


def run_mucd(*args):
    return subprocess.run([harness.mucd_binary(), *args], capture_output=True, text=True,
                          timeout=10, stdin=subprocess.DEVNULL)


def test_help_exits_0_and_names_every_option(mucd_bin):
    proc = run_mucd("--help")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    absent = [o for o in OPTIONS if o not in text]
    assert not absent, f"--help does not mention {absent}:\n{text}"


def test_unknown_option_exits_2(mucd_bin):
    proc = run_mucd("--no-such-option")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--no-such-option" in proc.stderr, f"stderr should name the bad option:\n{proc.stderr}"
