"""packaging/demo.sh, the README's "bring up a working service" command, on free ports."""

import os
import re
import signal
import subprocess

import harness

DEMO = os.path.join(harness.REPO, "packaging", "demo.sh")


def demo_env(run_dir):
    c2s, component = harness.free_ports(2)
    env = dict(os.environ, DEMO_C2S_PORT=str(c2s), DEMO_COMPONENT_PORT=str(component),
               DEMO_RUN_DIR=run_dir, DEMO_BUILD_DIR=harness.build_dir(),
               # the suite runs after the build (test/run-all.sh); dependencies are there
               DEMO_SKIP_DEPS="1", DEMO_SKIP_BUILD="1")
    env.pop("DEMO_EXIT_AFTER_READY", None)
    return env, c2s, component


def left_running(run_dir):
    return [s for s in harness.survivors() if run_dir in s[1]]


def sigint_as_from_a_terminal():
    # A test run started in the background of a non-interactive shell (`.ci/run &`) has SIGINT
    # ignored, and bash cannot trap a signal ignored when it starts: the demo would never see
    # the Ctrl-C this test sends. Restored here, as a terminal's foreground job has it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def accounts(output):
    return dict(re.findall(r"(\w+)@localhost\s+password (\S+)", output))


def test_demo_check_mode_comes_up_and_leaves_nothing_running(mucd_bin):
    run_dir = harness.make_workdir("demo")
    env, c2s, component = demo_env(run_dir)
    proc = subprocess.run(["bash", DEMO, "--check"], env=env, capture_output=True, text=True,
                          timeout=60, cwd="/")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "mucd demo is ready" in out, out
    assert set(accounts(out)) == {"romeo", "juliet"}, out
    assert f"port {c2s}" in out and "conference.localhost" in out, out
    with open(os.path.join(run_dir, "prosody.log")) as f:
        assert harness.AUTHENTICATED in f.read()
    with open(os.path.join(run_dir, "mucd.log")) as f:
        assert "expands fan-out" in f.read(), "Prosody loaded mod_mucd_fanout"
    secret_file = os.path.join(run_dir, "component.secret")
    assert os.stat(secret_file).st_mode & 0o077 == 0
    with open(secret_file) as f:
        assert f.read().strip() not in out, "the component secret was printed"
    assert not left_running(run_dir)
    assert not harness.port_accepts(c2s) and not harness.port_accepts(component)


def test_demo_serves_real_logins_until_ctrl_c(mucd_bin):
    run_dir = harness.make_workdir("demo")
    env, c2s, component = demo_env(run_dir)
    log_path = run_dir + ".out"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["bash", DEMO], env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd="/", start_new_session=True,
                                preexec_fn=sigint_as_from_a_terminal)

    def output():
        with open(log_path) as f:
            return f.read()

    try:
        assert harness.wait_until(lambda: "Press Ctrl-C" in output() or proc.poll() is not None,
                                  60), output()
        assert proc.poll() is None, f"demo exited with {proc.returncode}:\n{output()}"
        users = accounts(output())
        assert harness.plain_login(c2s, "localhost", "romeo", users["romeo"]), output()
        assert not harness.plain_login(c2s, "localhost", "romeo", users["romeo"] + "x")
        assert not harness.plain_login(c2s, "localhost", "nobody", "password")
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert status == 0, output()
    assert not left_running(run_dir), left_running(run_dir)
    assert not harness.port_accepts(c2s) and not harness.port_accepts(component)
