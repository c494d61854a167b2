#!/usr/bin/env python3
"""End-to-end comparison in one invocation: the same mucd-load workload through a real Prosody,
first against Prosody's built-in MUC, then against Prosody with mucd attached as its component.

    python3 bench/e2e.py                       # the issue's five workloads, 1 run each
    python3 bench/e2e.py --runs 3 --json out.json
    python3 bench/e2e.py --quick               # a few seconds; exit 0 iff every stanza arrived

Each setup gets a fresh Prosody (test/harness, on free loopback ports, log level info, no MUC
archive) and, for the second, a fresh mucd. CPU is read from /proc for Prosody and mucd and
reported per 1,000 deliveries, for each and in total. Prints both tables and a comparison table
(mucd / built-in ratios); exits 1 if any run did not receive every expected stanza.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test"))

import harness  # noqa: E402

DEFAULT_SCENARIOS = ["e2e-1x50", "e2e-20x10", "e2e-1x200", "e2e-joins-distinct", "e2e-joins-one"]


def load_binary():
    return os.environ.get("MUCD_LOAD") or os.path.join(harness.build_dir(), "bench", "mucd-load")


def run_load(host, label, watches, args, scenarios):
    """Runs mucd-load against host; returns (exit status, parsed JSON or None, stderr)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        json_path = f.name
    cmd = [load_binary(), "--server", host.server, "--user-domain", "localhost",
           "--muc-domain", harness.MUC_DOMAIN, "--label", label, "--json", json_path,
           "--runs", str(args.runs), "--timeout", str(args.timeout),
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


def setup_builtin(args, scenarios):
    with harness.ProsodyHost(muc=harness.BUILTIN, log_level="info") as host:
        return run_load(host, "prosody", [("prosody", host.pid)], args, scenarios)


def setup_mucd(args, scenarios):
    with harness.ProsodyHost(muc=harness.EXTERNAL, log_level="info") as host:
        with harness.MucdProcess(host, log_level="warn",
                                 # the load's senders are unpaced: no flood control, as in
                                 # Prosody's built-in MUC
                                 extra_args=("--rate-limit", "0")) as mucd:
            result = run_load(host, "prosody+mucd", [("prosody", host.pid), ("mucd", mucd.pid)],
                              args, scenarios)
        if mucd.returncode not in (0, None):
            print(f"mucd exited with {mucd.returncode}:\n{mucd.diagnostics()}", file=sys.stderr)
            return 1, result[1]
        return result


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


def comparison(builtin, mucd, scenarios):
    rows = [["workload", "built-in", "with mucd", "ratio", "built-in CPU s/1k", "mucd setup CPU s/1k",
             "built-in p50 ms", "mucd p50 ms"]]
    for s in scenarios:
        spec = next((x["spec"] for x in (builtin or mucd or {}).get("scenarios", [])
                     if x["name"] == s), s)
        for what, key in (("deliveries/s", "deliveries_per_s"), ("joins/s", "joins_per_s")):
            a, b = metric(mucd, s, key), metric(builtin, s, key)
            if a is None and b is None:
                continue
            if key == "deliveries_per_s":
                cpu_b = metric(builtin, s, "prosody_cpu_s_per_1k_deliveries")
                cpu_m = metric(mucd, s, "total_cpu_s_per_1k_deliveries")
                lat_b = metric(builtin, s, "fanout_p50_ms")
                lat_m = metric(mucd, s, "fanout_p50_ms")
            else:
                cpu_b = metric(builtin, s, "prosody_cpu_us_per_join")
                cpu_m_p = metric(mucd, s, "prosody_cpu_us_per_join")
                cpu_m_m = metric(mucd, s, "mucd_cpu_us_per_join")
                cpu_m = None
                if cpu_m_p and cpu_m_m:
                    cpu_m = {k: cpu_m_p[k] + cpu_m_m[k] for k in ("median", "min", "max")}
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
    parser.add_argument("--scenario", default=",".join(DEFAULT_SCENARIOS),
                        help="comma-separated mucd-load scenarios (default: the issue's five)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--json", help="write both setups' results and the comparison here")
    parser.add_argument("--quick", action="store_true",
                        help="one small run per setup; checks every stanza arrives")
    args = parser.parse_args()
    for binary in (load_binary(), harness.mucd_binary()):
        problem = harness.missing(binary)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    scenarios = ["e2e-quick"] if args.quick else args.scenario.split(",")

    status_b, builtin = setup_builtin(args, scenarios)
    status_m, mucd = setup_mucd(args, scenarios)
    table = comparison(builtin, mucd, scenarios)
    print("Prosody built-in MUC vs Prosody + mucd (medians; min-max over runs)\n" + table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"prosody": builtin, "prosody+mucd": mucd, "comparison": table}, f,
                      indent=1)
    ok = status_b == 0 and status_m == 0
    if not ok:
        print(f"e2e: built-in exit {status_b}, mucd exit {status_m}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
