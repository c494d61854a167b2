"""Running mucd-scansion and reading its report.

The runner prints, per script, `PASS name` or `FAIL name: step N (line L, Client): reason` followed
by indented detail lines, and ends with `N passed, M failed`; it exits 0 only if all passed.
"""

import os
import re
import subprocess
import time
from dataclasses import dataclass, field

from .binaries import scansion_binary

_PASS = re.compile(r"^PASS (?P<name>\S.*?)\s*$")
_FAIL = re.compile(r"^FAIL (?P<name>[^:]+?): (?P<rest>.*)$")
_STEP = re.compile(r"^step (?P<step>\d+) \(line (?P<line>\d+), (?P<client>[^)]*)\): (?P<reason>.*)$")
_SUMMARY = re.compile(r"^(?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$")


@dataclass
class ScriptResult:
    name: str
    passed: bool
    step: int | None = None     # the failing step's number
    line: int | None = None     # the failing step's line in the script
    client: str | None = None   # the client whose step failed
    reason: str = ""            # the text after the colon on the FAIL line
    details: str = ""           # the indented lines that followed, dedented

    def describe(self):
        if self.passed:
            return f"PASS {self.name}"
        where = f"step {self.step} (line {self.line}, {self.client}): " if self.step else ""
        return f"FAIL {self.name}: {where}{self.reason}\n{self.details}"


@dataclass
class ScansionRun:
    argv: list
    returncode: int
    output: str                 # stdout followed by stderr, as printed
    results: dict = field(default_factory=dict)  # script name -> ScriptResult
    summary: tuple | None = None  # (passed, failed) from the last line, if printed
    seconds: float = 0.0

    @property
    def passed(self):
        return self.returncode == 0

    def __getitem__(self, name):
        return self.results[name]


def parse_output(text):
    """Per-script results and the (passed, failed) summary from the runner's stdout."""
    results, summary, current = {}, None, None
    for raw in text.splitlines():
        if current is not None and raw[:1] in (" ", "\t") and raw.strip():
            current.details += raw.strip("\n") + "\n"
            continue
        m = _PASS.match(raw)
        if m:
            current = None
            results[m["name"]] = ScriptResult(m["name"], True)
            continue
        m = _FAIL.match(raw)
        if m:
            current = ScriptResult(m["name"], False, reason=m["rest"])
            s = _STEP.match(m["rest"])
            if s:
                current.step, current.line = int(s["step"]), int(s["line"])
                current.client, current.reason = s["client"], s["reason"]
            results[current.name] = current
            continue
        m = _SUMMARY.match(raw)
        if m:
            summary = (int(m["passed"]), int(m["failed"]))
        current = None
    for r in results.values():
        r.details = _dedent(r.details)
    return results, summary


def _dedent(text):
    lines = text.splitlines()
    indents = [len(l) - len(l.lstrip()) for l in lines if l.strip()]
    cut = min(indents, default=0)
    return "\n".join(l[cut:] for l in lines) + ("\n" if lines else "")


def run_scansion(server, scripts, strict=False, record_dir=None, timeout=None, binary=None,
                 run_timeout=300):
    """Runs mucd-scansion against `server` ("host:port" or a ProsodyHost) on the given scripts.

    timeout: the runner's per-step --timeout in seconds; run_timeout: a hard limit for the whole
    run, after which the runner is killed and the run reported as failed (status -9).
    """
    server = getattr(server, "server", server)
    argv = [binary or scansion_binary(), "--server", server]
    if strict:
        argv.append("--strict")
    if record_dir:
        os.makedirs(record_dir, exist_ok=True)
        argv += ["--record", str(record_dir)]
    if timeout is not None:
        argv += ["--timeout", str(timeout)]
    argv += [str(s) for s in scripts]
    began = time.monotonic()
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=run_timeout)
        status, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:  # subprocess.run has killed and reaped it
        status, out, err = -9, e.stdout or b"", (e.stderr or b"") + \
            f"\n(harness: runner killed after {run_timeout} s)\n".encode()
    text = out.decode(errors="replace")
    results, summary = parse_output(text)
    output = text + (err.decode(errors="replace") if err else "")
    return ScansionRun(argv, status, output, results, summary, time.monotonic() - began)


def script_name(path):
    """The name the runner reports a script under: its file name without .scs."""
    base = os.path.basename(str(path))
    return base[:-4] if base.endswith(".scs") else base


_ACTION = re.compile(r"^(?P<client>\S.*?) (?P<action>connects|disconnects|sends:|receives:)\s*$")


@dataclass
class Step:
    number: int      # 1-based, counting every action after the header
    line: int        # 1-based line of the `Name action` line
    client: str
    action: str      # connects, disconnects, sends, receives
    body_start: int  # 0-based index range of the indented XML lines in text.splitlines()
    body_end: int


def script_steps(text):
    """The actions of a scansion script, in order, with where each one's XML lies."""
    lines = text.splitlines()
    try:
        begin = next(i for i, l in enumerate(lines) if l.strip() == "-----") + 1
    except StopIteration:
        begin = 0
    steps = []
    for i in range(begin, len(lines)):
        m = _ACTION.match(lines[i])
        if not m:
            continue
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][:1] in (" ", "\t")):
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        steps.append(Step(len(steps) + 1, i + 1, m["client"], m["action"].rstrip(":"), i + 1, end))
    return steps


def find_step(text, client, action, contains=None, occurrence=1):
    """The occurrence-th step of client/action whose XML contains `contains`."""
    lines = text.splitlines()
    seen = 0
    for step in script_steps(text):
        body = "\n".join(lines[step.body_start:step.body_end])
        if step.client == client and step.action == action and (contains is None or contains in body):
            seen += 1
            if seen == occurrence:
                return step
    raise LookupError(f"no {occurrence}. `{client} {action}` step containing {contains!r}")


def replace_in_step(text, step, old, new):
    """text with the first `old` inside step's XML replaced by `new` (which must be found)."""
    lines = text.splitlines(True)
    body = "".join(lines[step.body_start:step.body_end])
    if old not in body:
        raise LookupError(f"{old!r} not in step {step.number} (line {step.line})")
    lines[step.body_start:step.body_end] = [body.replace(old, new, 1)]
    return "".join(lines)


def replace_step_body(text, step, xml):
    """text with step's whole XML replaced by `xml` (indented with one tab per line)."""
    lines = text.splitlines(True)
    lines[step.body_start:step.body_end] = ["\t" + l + "\n" for l in xml.strip().splitlines()]
    return "".join(lines)
