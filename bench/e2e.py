#!/usr/bin/env python3
"""End-to-end comparison in one invocation: the same mucd-load workload through a real XMPP
server (Prosody, or with --host ejabberd ejabberd), first against the server's built-in MUC, then
against the server with mucd attached as its component.

    python3 bench/e2e.py                       # the issue's five workloads, 1 run each
    python3 bench/e2e.py --runs 3 --json out.json
    python3 bench/e2e.py --quick               # a few seconds; exit 0 iff every stanza arrived
    python3 bench/e2e.py --host ejabberd       # the same against ejabberd (apt-get install ejabberd)

Setups, each with a fresh server (test/harness, on free loopback ports, log level info, no MUC
archive): the server's built-in MUC; the server with a fresh mucd attached (with the host's
mod_mucd_fanout for the component, as README.md recommends); mucd over plain XEP-0114 (no
module: one copy per recipient crosses the component stream); and mucd with the module and
--occupant-id off (neither built-in MUC here sends XEP-0421 occupant ids, which mucd sends by
default: the feature-for-feature comparison). --setups picks some of them, and may add a
control: a second server with the built-in MUC ("prosody-again", "ejabberd-again"), measured and
compared like the others, so the invocation shows how far apart two identical setups come out on
this machine at this time (the spread any other ratio has to clear). They run
one after another, or with --interleave all started at once and measured in turn (run 1 of
every setup, then run 2 of every setup, ..., each round starting one setup further on, each run
once every server and mucd is idle), so that a slower stretch of the machine falls on every
setup rather than on one. CPU is read from /proc for the server (Prosody, or ejabberd's
beam.smp) and mucd and reported per 1,000 deliveries, for each and in total. Prints every
setup's table and a comparison table per mucd setup (mucd / built-in ratios); exits 1 if any
run did not receive every expected stanza, 2 if something needed (a binary, ejabberd) is not
installed.
"""

import argparse
import collections
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test"))

import harness  # noqa: E402

DEFAULT_SCENARIOS = ["e2e-1x50", "e2e-20x10", "e2e-1x200", "e2e-joins-distinct", "e2e-joins-one"]


def load_binary():
    return os.environ.get("MUCD_LOAD") or os.path.join(harness.build_dir(), "bench", "mucd-load")


def run_load(host, label, watches, args, scenarios, runs=None):
    """Runs mucd-load against host (args.runs runs unless runs is given); returns (exit status,
    parsed JSON or None)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        json_path = f.name
    cmd = [load_binary(), "--server", host.server, "--user-domain", "localhost",
           "--muc-domain", harness.MUC_DOMAIN, "--label", label, "--json", json_path,
           "--runs", str(runs or args.runs), "--timeout", str(args.timeout),
           "--window", str(args.window)]
    cmd += ["--quick"] if args.quick else ["--scenario", ",".join(scenarios)]
    for name, pid in watches:
        cmd += ["--watch", f"{name}={pid}"]
    print(f"== {label}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(proc.stderr)
    print(proc.stdout, flush=True)
    data = None
    try:
        with open(json_path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        pass
    finally:
        os.unlink(json_path)
    return proc.returncode, data


class SetupError(RuntimeError):
    """A setup's server or mucd failed (the runs' figures are not to be trusted)."""


def mucd_for(host, extra_args=()):
    # the load's senders are unpaced: no flood control, as in the hosts' built-in MUCs
    return harness.MucdProcess(host, log_level="info",
                               extra_args=("--rate-limit", "0", *extra_args))


def wait_for_fanout_answer(mucd, expected, timeout=5.0):
    """Waits until mucd has logged how the host delivers its broadcasts; a setup that got the
    other mode than it is named for is not measuring what it says."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = mucd.stderr_text()
        if "expands fan-out" in text or "one copy per recipient" in text:
            break
        time.sleep(0.05)
    if expected not in mucd.stderr_text():
        raise SetupError(f"mucd did not log {expected!r}:\n{mucd.diagnostics()}")


@contextlib.contextmanager
def checked(mucd):
    """Runs mucd for the block; a mucd that did not exit cleanly when stopped fails the setup."""
    with mucd:
        yield mucd
    if mucd.returncode not in (0, None):
        raise SetupError(f"mucd exited with {mucd.returncode}:\n{mucd.diagnostics()}")


@contextlib.contextmanager
def attached(host, name, extra_args=()):
    """mucd attached to a started host; yields what the setup watches. A host with fan-out (its
    mod_mucd_fanout loaded: each broadcast crosses the component stream once) must get it, one
    without (plain XEP-0114: one copy per recipient) must not."""
    with checked(mucd_for(host, extra_args)) as mucd:
        wait_for_fanout_answer(mucd, "expands fan-out" if host.fanout else "one copy per recipient")
        if ("occupant ids off" in mucd.stderr_text()) != (extra_args == NO_OCCUPANT_IDS):
            raise SetupError(f"mucd's occupant ids are not as the setup says:\n{mucd.diagnostics()}")
        yield host, [(name, host.pid), ("mucd", mucd.pid)]


# A setup starts a host (and mucd) and yields (host, [(label, pid) to watch]). The first setup
# of a host is the baseline the others are compared with.
@contextlib.contextmanager
def prosody_builtin():
    with harness.ProsodyHost(muc=harness.BUILTIN, log_level="info") as host:
        yield host, [("prosody", host.pid)]


# Neither built-in MUC here sends XEP-0421 occupant ids (mucd does unless --occupant-id off):
# the "no-oid" setups send what they send.
NO_OCCUPANT_IDS = ("--occupant-id", "off")


@contextlib.contextmanager
def prosody_mucd(fanout=True, extra_args=()):
    with harness.ProsodyHost(muc=harness.EXTERNAL, log_level="info", fanout=fanout) as host:
        with attached(host, "prosody", extra_args) as started:
            yield started


@contextlib.contextmanager
def ejabberd_builtin():
    with harness.EjabberdHost(muc=harness.BUILTIN) as host:
        yield host, [("ejabberd", host.pid)]


@contextlib.contextmanager
def ejabberd_mucd(fanout=True, extra_args=()):
    # mod_mucd_fanout: packaging/ejabberd/, compiled by the harness
    with harness.EjabberdHost(muc=harness.EXTERNAL, fanout=fanout) as host:
        with attached(host, "ejabberd", extra_args) as started:
            yield started


# control: the built-in MUC again, run only when --setups names it (an A/A comparison).
Setup = collections.namedtuple("Setup", "label title start control", defaults=(False,))

HOSTS = {
    "prosody": [Setup("prosody", "Prosody built-in MUC", prosody_builtin),
                Setup("prosody-again", "Prosody built-in MUC, a second server (control)",
                      prosody_builtin, control=True),
                Setup("prosody+mucd", "Prosody + mucd (mod_mucd_fanout)", prosody_mucd),
                Setup("prosody+mucd-plain", "Prosody + mucd (plain XEP-0114, no module)",
                      lambda: prosody_mucd(fanout=False)),
                Setup("prosody+mucd-no-oid", "Prosody + mucd (mod_mucd_fanout, --occupant-id off)",
                      lambda: prosody_mucd(extra_args=NO_OCCUPANT_IDS))],
    "ejabberd": [Setup("ejabberd", "ejabberd built-in mod_muc", ejabberd_builtin),
                 Setup("ejabberd-again", "ejabberd built-in mod_muc, a second server (control)",
                       ejabberd_builtin, control=True),
                 Setup("ejabberd+mucd", "ejabberd + mucd (mod_mucd_fanout)", ejabberd_mucd),
                 Setup("ejabberd+mucd-plain", "ejabberd + mucd (plain XEP-0114, no module)",
                       lambda: ejabberd_mucd(fanout=False)),
                 Setup("ejabberd+mucd-no-oid",
                       "ejabberd + mucd (mod_mucd_fanout, --occupant-id off)",
                       lambda: ejabberd_mucd(extra_args=NO_OCCUPANT_IDS))],
}


def run_setup(setup, args, scenarios):
    """Starts the setup, runs mucd-load against it; returns (exit status, parsed JSON or None)."""
    result = (1, None)
    try:
        with setup.start() as (host, watches):
            result = run_load(host, setup.label, watches, args, scenarios)
    except (SetupError, harness.MucdError, harness.ProsodyError, harness.EjabberdError) as e:
        print(f"e2e [{setup.label}]: {e}", file=sys.stderr)
        return 1, result[1]
    return result


def run_interleaved(setups, args, scenarios):
    """Starts every setup, then runs mucd-load once per setup in turn, args.runs times; returns
    [(setup, exit status, merged JSON or None)] in the order of setups."""
    statuses = {setup.label: 0 for setup in setups}
    runs = {setup.label: [] for setup in setups}
    try:
        with contextlib.ExitStack() as stack:
            started = [(setup, *stack.enter_context(setup.start())) for setup in setups]
            pids = [pid for _, _, watches in started for _, pid in watches]
            for k in range(args.runs):
                # Each round starts one setup further on, so that no setup always runs first
                # (or always right after the same other setup).
                first = k % len(started)
                for setup, host, watches in started[first:] + started[:first]:
                    # The last run's server may still be busy (a storm's 500 occupants leaving
                    # is another storm): nobody starts before everyone is idle.
                    wait_until_idle(pids)
                    print(f"e2e: run {k + 1}/{args.runs} of {setup.label}", file=sys.stderr,
                          flush=True)
                    status, data = run_load(host, setup.label, watches, args, scenarios, runs=1)
                    statuses[setup.label] = statuses[setup.label] or status
                    if data:
                        runs[setup.label].append(data)
    except (SetupError, harness.MucdError, harness.ProsodyError, harness.EjabberdError) as e:
        print(f"e2e [interleaved]: {e}", file=sys.stderr)
        statuses = {label: status or 1 for label, status in statuses.items()}
    return [(setup, statuses[setup.label], merged(runs[setup.label])) for setup in setups]


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def wait_until_idle(pids, interval=0.5, busy_share=0.05, timeout=120.0):
    """Waits until the processes together use less than busy_share of a core over an interval
    (or timeout seconds have passed: the run then starts anyway, and says so)."""
    tick = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    before = sum(cpu_ticks(pid) for pid in pids)
    while time.monotonic() < deadline:
        time.sleep(interval)
        after = sum(cpu_ticks(pid) for pid in pids)
        if (after - before) / tick < busy_share * interval:
            return
        before = after
    print(f"e2e: the servers were still busy after {timeout:.0f} s; starting the run anyway",
          file=sys.stderr, flush=True)


def merged(datas):
    """mucd-load's JSON of several invocations as if one had made all their runs: every
    metric's values joined, its median, min and max taken again."""
    if not datas:
        return None
    out = {"tool": datas[0].get("tool"), "scenarios": []}
    for first in datas[0].get("scenarios", []):
        same = [s for d in datas for s in d.get("scenarios", []) if s["name"] == first["name"]]
        metrics = {}
        for name in first["metrics"]:
            values = [v for s in same for v in s["metrics"].get(name, {}).get("values", [])]
            if values:
                metrics[name] = {"median": statistics.median(values), "min": min(values),
                                 "max": max(values), "values": values}
        out["scenarios"].append({"name": first["name"], "spec": first.get("spec"),
                                 "runs": sum(s.get("runs", 1) for s in same),
                                 "metrics": metrics})
    return out


def metric(data, scenario, name):
    if not data:
        return None
    for s in data.get("scenarios", []):
        if s["name"] == scenario and name in s["metrics"]:
            return s["metrics"][name]
    return None


def fmt(entry, digits=3):
    if entry is None:
        return "-"
    value = entry["median"]
    text = f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value / 1e3:.0f}k"
    if entry["min"] != entry["max"]:
        lo, hi = entry["min"], entry["max"]
        text += f" ({lo:.{digits}g}-{hi:.{digits}g})" if abs(hi) < 1e4 else \
            f" ({lo / 1e3:.0f}k-{hi / 1e3:.0f}k)"
    return text


def ratio(a, b):
    if not a or not b or not b["median"]:
        return "-"
    return f"{a['median'] / b['median']:.2f}x"


def cpu_per_delivery(data, scenario):
    """The setup's CPU-seconds per 1,000 deliveries: the total of its watched processes."""
    total = metric(data, scenario, "total_cpu_s_per_1k_deliveries")
    if total is not None:
        return total
    return summed(data, scenario, "_cpu_s_per_1k_deliveries")


def summed(data, scenario, suffix):
    """The sum of the watched processes' metrics ending in suffix (median, min and max each)."""
    entries = []
    for s in (data or {}).get("scenarios", []):
        if s["name"] == scenario:
            entries = [v for k, v in s["metrics"].items()
                       if k.endswith(suffix) and not k.startswith("total_")]
    if not entries:
        return None
    return {k: sum(e[k] for e in entries) for k in ("median", "min", "max")}


def comparison(builtin, mucd, scenarios, other="mucd"):
    """The table of `mucd` (the other setup, named `other` in the headings) against `builtin`."""
    rows = [["workload", "built-in", f"with {other}", "ratio", "built-in CPU s/1k",
             f"{other} setup CPU s/1k", "built-in p50 ms", f"{other} p50 ms"]]
    for s in scenarios:
        spec = next((x["spec"] for x in (builtin or mucd or {}).get("scenarios", [])
                     if x["name"] == s), s)
        for what, key in (("deliveries/s", "deliveries_per_s"), ("joins/s", "joins_per_s")):
            a, b = metric(mucd, s, key), metric(builtin, s, key)
            if a is None and b is None:
                continue
            if key == "deliveries_per_s":
                cpu_b = cpu_per_delivery(builtin, s)
                cpu_m = cpu_per_delivery(mucd, s)
                lat_b = metric(builtin, s, "fanout_p50_ms")
                lat_m = metric(mucd, s, "fanout_p50_ms")
            else:
                cpu_b = summed(builtin, s, "_cpu_us_per_join")
                cpu_m = summed(mucd, s, "_cpu_us_per_join")
                lat_b = metric(builtin, s, "join_p50_ms")
                lat_m = metric(mucd, s, "join_p50_ms")
            unit = "" if key == "deliveries_per_s" else " (CPU us/join)"
            rows.append([f"{s} ({spec}): {what}", fmt(b), fmt(a), ratio(a, b),
                         fmt(cpu_b, 2) + unit, fmt(cpu_m, 2) + unit, fmt(lat_b), fmt(lat_m)])
    width = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(width[i]) for i, c in enumerate(r)) + " |")
        if k == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in width) + "|")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", choices=sorted(HOSTS), default="prosody",
                        help="the XMPP server: its built-in MUC vs the server + mucd "
                             "(ejabberd needs Debian's ejabberd package)")
    parser.add_argument("--scenario", default=",".join(DEFAULT_SCENARIOS),
                        help="comma-separated mucd-load scenarios (default: the issue's five)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--json", help="write every setup's results and the comparison here")
    parser.add_argument("--quick", action="store_true",
                        help="one small run per setup; checks every stanza arrives")
    parser.add_argument("--setups",
                        help="comma separated labels of the setups to run beside the built-in "
                             "MUC, which always runs as the baseline (default: every setup with "
                             "mucd; the control, '<host>-again', a second built-in server, only "
                             "when named)")
    parser.add_argument("--interleave", action="store_true",
                        help="start every setup at once and run them in turn, one run each, "
                             "--runs times (the machine's slower stretches fall on all setups)")
    args = parser.parse_args()
    for binary in (load_binary(), harness.mucd_binary()):
        problem = harness.missing(binary)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    if args.host == "ejabberd":
        problem = harness.ejabberd_installed()
        if problem:
            print(f"e2e: --host ejabberd needs Debian's ejabberd 23.01 package: {problem}",
                  file=sys.stderr)
            return 2
    scenarios = ["e2e-quick"] if args.quick else args.scenario.split(",")

    setups = HOSTS[args.host]
    if not args.setups:
        setups = [setup for setup in setups if not setup.control]
    else:
        wanted = args.setups.split(",")
        unknown = sorted(set(wanted) - {setup.label for setup in setups[1:]})
        if unknown:
            print(f"e2e: no setup {', '.join(unknown)} for --host {args.host}; there are "
                  + ", ".join(setup.label for setup in setups[1:]), file=sys.stderr)
            return 2
        setups = [setups[0]] + [setup for setup in setups[1:] if setup.label in wanted]
    if args.interleave:
        results = run_interleaved(setups, args, scenarios)
    else:
        results = [(setup, *run_setup(setup, args, scenarios)) for setup in setups]
    base, _, base_data = results[0]
    tables = []
    for setup, _, data in results[1:]:
        table = comparison(base_data, data, scenarios,
                           "the built-in again" if setup.control else "mucd")
        print(f"{base.title} vs {setup.title} (medians; min-max over runs)\n" + table)
        tables.append(table)
    if args.json:
        out = {setup.label: data for setup, _, data in results}
        out["comparison"] = "\n\n".join(tables)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    ok = all(status == 0 for _, status, _ in results)
    if not ok:
        print("e2e: exit status " + ", ".join(f"{setup.label} {status}"
                                              for setup, status, _ in results), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
