"""The container path: packaging/container-test.sh builds the mucd and Prosody images with podman,
runs them on loopback, runs the seed scripts against them and removes everything it made.

The script is the test; this file runs it, shows its run time, and turns its exit status 77
("podman cannot run on this machine") into a skip that says why. It takes about 4 minutes;
MUCD_SKIP_CONTAINER_TEST=1 skips it in quick local runs.
"""

import os
import signal
import subprocess
import time

import pytest

import harness

SCRIPT = os.path.join(harness.REPO, "packaging", "container-test.sh")
SKIPPED = 77
# The script aims at under 5 minutes; past this it is stopped (and cleans up after itself).
TIMEOUT = 600


@pytest.mark.skipif(os.environ.get("MUCD_SKIP_CONTAINER_TEST") == "1",
                    reason="MUCD_SKIP_CONTAINER_TEST=1 (for quick local runs; CI runs it)")
def test_container_images_serve_the_seeds(scansion_bin, capsys):
    background = os.environ.get("MUCD_CONTAINER_TEST_DIR")
    if background:
        proc_status, text, seconds = wait_for_background_run(background)
        return check(proc_status, text, seconds, capsys)
    env = dict(os.environ, MUCD_SCANSION=scansion_bin)
    began = time.monotonic()
    proc = subprocess.Popen(["bash", SCRIPT], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # SIGTERM lets the script's trap remove its containers and images.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        pytest.fail(f"container-test.sh took more than {TIMEOUT} s\n"
                    f"{out.decode(errors='replace')[-6000:]}", pytrace=False)
    return check(proc.returncode, out.decode(errors="replace"), time.monotonic() - began, capsys)


def wait_for_background_run(directory):
    """The run test/run-all.sh started before the sanitizer build: waits for its status file.

    Returns (exit status, output, seconds waited here)."""
    began = time.monotonic()
    status_file = os.path.join(directory, "status")
    while not os.path.exists(status_file):
        if time.monotonic() - began > TIMEOUT:
            pid_file = os.path.join(directory, "pid")
            if os.path.exists(pid_file):
                with open(pid_file) as f:
                    os.killpg(int(f.read().strip()), signal.SIGTERM)
            pytest.fail(f"the background container test did not finish within {TIMEOUT} s "
                        f"of this test starting", pytrace=False)
        time.sleep(1)
    with open(status_file) as f:
        status = int(f.read().strip() or "1")
    with open(os.path.join(directory, "log"), errors="replace") as f:
        text = f.read()
    return status, text, time.monotonic() - began


def check(returncode, text, seconds, capsys):
    lines = [l for l in text.splitlines() if l.strip()]
    last = lines[-1] if lines else "(no output)"
    with capsys.disabled():
        print(f"\n    container-test.sh: exit {returncode} ({last}); this test waited {seconds:.0f} s")
    if returncode == SKIPPED:
        reason = next((l for l in reversed(lines) if "SKIPPED" in l), last)
        pytest.skip(reason.split("SKIPPED", 1)[-1].strip(" :"))
    assert returncode == 0, text[-8000:]
    assert "5 passed, 0 failed" in text, text[-8000:]
