"""The scansion runner against Prosody's own MUC: it passes what Prosody passes, and fails exactly
where a script and Prosody disagree. This is what proves the runner, independently of mucd."""

import pytest

import harness
from harness.scansion import find_step, replace_in_step, replace_step_body
from conftest import require, seed_path

MUC = "http://jabber.org/protocol/muc"


# A receive that fails waits this long; Prosody on loopback answers in milliseconds.
STEP_TIMEOUT = 3


def run_one(host, path, **kw):
    kw.setdefault("timeout", STEP_TIMEOUT)
    run = harness.run_scansion(host, [path], **kw)
    name = harness.script_name(path)
    assert name in run.results, f"runner reported no result for {name}:\n{run.output}"
    return run, run.results[name]

@pytest.mark.parametrize("name", ["muc_create_destroy", "muc_affiliation_notify",
                                  "muc_members_only_deregister"])
def test_seed_passes_against_prosody(name, scansion_bin, builtin_prosody):
    run, result = run_one(builtin_prosody, require(seed_path(name)))
    assert result.passed and run.returncode == 0, run.output
    assert run.summary == (1, 0), run.output

# The two seeds that ask for more than Prosody 0.12 sends (see SCANSION.md, "A note on versions"):
# (script, client, a text that identifies the step, what the details must mention).
PROSODY_DIFFERENCES = {
    "muc_password": ("Juliet", 'code="401"', ["code", "401"]),
    "muc_show_offline": ("Rosaline", f"<x xmlns='{MUC}'/>", [MUC, "x"]),
}

@pytest.mark.parametrize("name", sorted(PROSODY_DIFFERENCES))
def test_seed_fails_against_prosody_exactly_on_the_known_difference(name, scansion_bin,
                                                                     builtin_prosody):
    client, marker, mentions = PROSODY_DIFFERENCES[name]
    path = require(seed_path(name))
    with open(path) as f:
        step = find_step(f.read(), client, "receives", marker)
    run, result = run_one(builtin_prosody, path)
    assert not result.passed and run.returncode != 0, run.output
    assert (result.step, result.line, result.client) == (step.number, step.line, client), \
        f"expected the failure at step {step.number} (line {step.line}, {client}):\n{run.output}"
    text = result.reason + "\n" + result.details
    absent = [m for m in mentions if m not in text]
    assert not absent, f"the failure does not mention {absent}:\n{run.output}"

# Broken copies of a seed that Prosody passes: each mutation must fail at the mutated step.
# (id, seed, client, text identifying the step, old, new, texts the report must mention)
NEVER_SENT = ("<message from='room@conference.localhost' type='headline'>\n"
              "\t<body>this stanza is never sent</body>\n</message>")
MUTATIONS = [
    ("status-code", "muc_affiliation_notify", "Romeo", "<status code='201'/>",
     "<status code='201'/>", "<status code='299'/>", ["299"]),
    ("attribute-value", "muc_create_destroy", "Romeo", 'id="lx3"',
     'type="result"', 'type="error"', ["error"]),
    ("body-text", "muc_create_destroy", "Romeo", "Where are thou my Juliet?",
     "Where are thou my Juliet?", "Where art thou, Romeo?", ["Where art thou, Romeo?"]),
    ("stanza-never-comes", "muc_affiliation_notify", "Romeo", "id='member1'",
     None, NEVER_SENT, ["this stanza is never sent"]),
]

@pytest.mark.parametrize("case", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_broken_seed_copy_fails_at_the_broken_step(case, scansion_bin, builtin_prosody, tmp_path):
    label, seed, client, marker, old, new, mentions = case
    with open(require(seed_path(seed))) as f:
        text = f.read()
    step = find_step(text, client, "receives", marker)
    broken = replace_step_body(text, step, new) if old is None else \
        replace_in_step(text, step, old, new)
    assert broken != text
    path = tmp_path / f"{seed}_{label.replace('-', '_')}.scs"
    path.write_text(broken)
    run, result = run_one(builtin_prosody, str(path))
    assert not result.passed and run.returncode != 0, run.output
    assert (result.step, result.line, result.client) == (step.number, step.line, client), \
        f"expected the failure at step {step.number} (line {step.line}, {client}):\n{run.output}"
    text = result.reason + "\n" + result.details
    absent = [m for m in mentions if m not in text]
    assert not absent, f"the failure does not mention {absent}:\n{run.output}"

def test_unreachable_server_fails_every_script(scansion_bin, tmp_path):
    port = harness.free_port()
    run = harness.run_scansion(f"127.0.0.1:{port}", [require(seed_path("muc_password"))],
                               run_timeout=60)
    assert run.returncode != 0, run.output
    assert run.results.get("muc_password") and not run.results["muc_password"].passed, run.output
