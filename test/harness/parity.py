"""Parity: did mucd send each client what Prosody's built-in MUC sent it?

`mucd-scansion --record DIR` writes DIR/<script>/<Client>.txt, one normalised received stanza per
line. compare_recordings() lines up two such trees (Prosody's and mucd's) per script and client and
returns every difference the allowlist does not excuse.

Allowlist file format (test/parity-allowlist.txt): one entry per line,

    script | client | kind: regex | reason

script and client are fnmatch patterns (`*` for any). Kinds, each applied only to lines that
already differ between the two recordings:
    mucd-extra: REGEX      text matching REGEX in mucd's line is something Prosody does not send;
                           it is cut from mucd's line before comparing again (only the group
                           named `cut` if the regex has one, so context can anchor the match)
    prosody-extra: REGEX   the same for text only Prosody sends
    mucd-line: REGEX       a whole stanza (line) only mucd sends
    prosody-line: REGEX    a whole stanza only Prosody sends
    ignore: REGEX          cut from both sides (values that legitimately differ)
Blank lines and lines starting with # are comments. The reason is required.
"""

import difflib
import fnmatch
import os
import re
from dataclasses import dataclass, field

KINDS = ("mucd-extra", "prosody-extra", "mucd-line", "prosody-line", "ignore")
RESULT_FILE = "result.txt"


@dataclass(frozen=True)
class AllowEntry:
    script: str
    client: str
    kind: str
    pattern: str
    reason: str
    source: str = ""  # file:line, for messages

    def covers_script(self, script):
        return fnmatch.fnmatchcase(script, self.script)

    def applies(self, script, client):
        return self.covers_script(script) and fnmatch.fnmatchcase(client, self.client)

    @property
    def regex(self):
        return re.compile(self.pattern)

    def __str__(self):
        return f"{self.script} | {self.client} | {self.kind}: {self.pattern} | {self.reason}"


class AllowlistError(ValueError):
    pass


def parse_allowlist(text, source="<allowlist>"):
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        where = f"{source}:{number}"
        if len(parts) != 4:
            raise AllowlistError(f"{where}: expected `script | client | kind: regex | reason`")
        script, client, rule, reason = parts
        kind, sep, pattern = rule.partition(":")
        kind, pattern = kind.strip(), pattern.strip()
        if not sep or kind not in KINDS or not pattern:
            raise AllowlistError(f"{where}: rule must be one of {', '.join(KINDS)} "
                                 f"followed by `: regex`, got {rule!r}")
        if not reason or not script or not client:
            raise AllowlistError(f"{where}: script, client and reason are required")
        try:
            re.compile(pattern)
        except re.error as e:
            raise AllowlistError(f"{where}: bad regex {pattern!r}: {e}") from None
        entries.append(AllowEntry(script, client, kind, pattern, reason, where))
    return entries


def load_allowlist(path):
    with open(path) as f:
        return parse_allowlist(f.read(), os.path.basename(path))


@dataclass
class Difference:
    script: str
    client: str
    prosody_at: int          # 1-based line number in Prosody's recording where the block starts
    mucd_at: int
    prosody: list            # Prosody's lines in this block (empty: mucd sent extra stanzas)
    mucd: list               # mucd's lines in this block (empty: mucd did not send these)
    note: str = ""
    compared: tuple = ()     # (prosody, mucd) lines as compared, after the allowlist's cuts

    def render(self):
        head = f"{self.script} / {self.client}"
        if self.note:
            head += f": {self.note}"
        out = [f"{head} (Prosody line {self.prosody_at}, mucd line {self.mucd_at})"]
        if len(self.prosody) == len(self.mucd):  # changed stanzas: show them pair by pair
            p_cmp, m_cmp = self.compared or (self.prosody, self.mucd)
            for p, m, pc, mc in zip(self.prosody, self.mucd, p_cmp, m_cmp):
                where = _first_difference(pc, mc)
                if (pc, mc) != (p, m):
                    where += " (after the allowlist's cuts)"
                out += [f"  - prosody: {p}", f"  + mucd:    {m}", "    " + where]
        else:
            out += [f"  - prosody: {l}" for l in self.prosody]
            out += [f"  + mucd:    {l}" for l in self.mucd]
        return "\n".join(out)


@dataclass
class Allowed:
    script: str
    client: str
    prosody: list
    mucd: list
    entries: list


@dataclass
class ParityReport:
    differences: list = field(default_factory=list)
    allowed: list = field(default_factory=list)
    # Entries that matched in a line differing between the recordings (whether or not that
    # made the lines equal): an entry never used this way describes no real difference.
    used: set = field(default_factory=set)

    def render(self):
        return "\n\n".join(d.render() for d in self.differences)


def _first_difference(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    lo = max(0, n - 30)
    return f"first difference at column {n + 1}: prosody ...{a[lo:n + 40]!r} / mucd ...{b[lo:n + 40]!r}"


def _read_lines(path):
    with open(path, errors="replace") as f:
        return [l.rstrip("\r\n") for l in f if l.strip()]


def _clients(directory):
    if not os.path.isdir(directory):
        return set()
    return {f[:-4] for f in os.listdir(directory) if f.endswith(".txt") and f != RESULT_FILE}


def _cut(regex, line):
    """line without the regex's matches, or only their `cut` group when the regex names one."""
    if "cut" not in regex.groupindex:
        return regex.sub("", line)
    return regex.sub(lambda m: m.string[m.start():m.start("cut")] + m.string[m.end("cut"):m.end()],
                     line)


def _excuse(p_lines, m_lines, entries):
    """Applies the allowlist to one differing block.

    Returns (remaining, excused, fired): what still differs after the entries' cuts and drops
    as (offset in p_lines, offset in m_lines, prosody lines, mucd lines, prosody as compared,
    mucd as compared); what they made equal
    as (prosody lines, mucd lines, entries); and every entry that matched some line.
    """
    def transform(lines, side):
        kept = []  # (index into lines, transformed text, entries that fired)
        for index, line in enumerate(lines):
            fired = {e for e in entries if e.kind == f"{side}-line" and e.regex.search(line)}
            if fired:
                kept.append((index, None, fired))
                continue
            for e in entries:
                if e.kind in (f"{side}-extra", "ignore"):
                    cut = _cut(e.regex, line)
                    if cut != line:
                        fired.add(e)
                        line = cut
            kept.append((index, line, fired))
        return kept

    p_t, m_t = transform(p_lines, "prosody"), transform(m_lines, "mucd")
    excused = [([p_lines[i] for i, t, _ in p_t if t is None],
                [m_lines[j] for j, t, _ in m_t if t is None],
                set().union(*(f for _, t, f in p_t + m_t if t is None)))]
    p_kept = [x for x in p_t if x[1] is not None]
    m_kept = [x for x in m_t if x[1] is not None]
    matcher = difflib.SequenceMatcher(None, [t for _, t, _ in p_kept], [t for _, t, _ in m_kept],
                                      autojunk=False)
    remaining = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        p_part = [p_lines[i] for i, _, _ in p_kept[i1:i2]]
        m_part = [m_lines[j] for j, _, _ in m_kept[j1:j2]]
        if tag != "equal":
            p_at = p_kept[i1][0] if i1 < len(p_kept) else len(p_lines)
            m_at = m_kept[j1][0] if j1 < len(m_kept) else len(m_lines)
            remaining.append((p_at, m_at, p_part, m_part, [t for _, t, _ in p_kept[i1:i2]],
                              [t for _, t, _ in m_kept[j1:j2]]))
        elif p_part != m_part:
            excused.append((p_part, m_part,
                            set().union(*(f for _, _, f in p_kept[i1:i2] + m_kept[j1:j2]))))
    fired = set().union(*(f for _, _, f in p_t + m_t))
    return remaining, [e for e in excused if e[2]], fired


def compare_client(script, client, prosody_path, mucd_path, entries, report):
    """Adds the differences between two recordings of one client to report.

    A missing file counts as an empty recording (the client received nothing).
    """
    entries = [e for e in entries if e.applies(script, client)]
    p_lines = _read_lines(prosody_path) if os.path.isfile(prosody_path) else []
    m_lines = _read_lines(mucd_path) if os.path.isfile(mucd_path) else []
    matcher = difflib.SequenceMatcher(None, p_lines, m_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        remaining, excused, fired = _excuse(p_lines[i1:i2], m_lines[j1:j2], entries)
        report.used |= fired
        for p_at, m_at, p_rest, m_rest, p_cmp, m_cmp in remaining:
            report.differences.append(Difference(script, client, i1 + p_at + 1, j1 + m_at + 1,
                                                 p_rest, m_rest, compared=(p_cmp, m_cmp)))
        for p_part, m_part, used in excused:
            report.allowed.append(Allowed(script, client, p_part, m_part, sorted(used, key=str)))


def compare_recordings_report(prosody_dir, mucd_dir, allowlist=(), scripts=None):
    """Compares two --record trees; see the module docstring. allowlist: entries or a file path."""
    if isinstance(allowlist, (str, os.PathLike)):
        allowlist = load_allowlist(allowlist)
    report = ParityReport()
    if scripts is None:
        scripts = sorted({d for base in (prosody_dir, mucd_dir) if os.path.isdir(base)
                          for d in os.listdir(base) if os.path.isdir(os.path.join(base, d))})
    for script in scripts:
        p_dir, m_dir = os.path.join(prosody_dir, script), os.path.join(mucd_dir, script)
        absent = [who for who, d in (("Prosody", p_dir), ("mucd", m_dir)) if not os.path.isdir(d)]
        if absent:
            report.differences.append(Difference(
                script, "*", 0, 0, [], [], note=f"no recording from {' or '.join(absent)}"))
            continue
        clients = _clients(p_dir) | _clients(m_dir)
        for client in sorted(clients):
            compare_client(script, client, os.path.join(p_dir, client + ".txt"),
                           os.path.join(m_dir, client + ".txt"), allowlist, report)
    return report


def compare_recordings(prosody_dir, mucd_dir, allowlist=(), scripts=None):
    """The differences between the two recordings that the allowlist does not cover."""
    return compare_recordings_report(prosody_dir, mucd_dir, allowlist, scripts).differences
