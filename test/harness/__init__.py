"""mucd's integration-test harness: real Prosody (and, for benchmarks, ejabberd), real mucd, the
scansion runner, parity checks.

    from harness import ProsodyHost, MucdProcess, run_scansion, compare_recordings, EXTERNAL

    with ProsodyHost(muc=EXTERNAL) as host, MucdProcess(host):
        run = run_scansion(host, ["scansion/seeds/muc_password.scs"], record_dir="rec")
        run.results["muc_password"].passed
"""

from .binaries import REPO, build_dir, missing, mucd_binary, scansion_binary
from .ejabberd import EjabberdError, EjabberdHost
from .ejabberd import installed as ejabberd_installed
from .mucd import MucdError, MucdProcess
from .parity import (AllowEntry, Difference, ParityReport, compare_recordings,
                     compare_recordings_report, load_allowlist, parse_allowlist)
from .ports import free_port, free_ports, port_accepts
from .processes import make_workdir, run_root, survivors, wait_until
from .prosody import (ADMIN_JID, AUTHENTICATED, BUILTIN, EXTERNAL, MUC_DOMAIN, NONE,
                      ProsodyError, ProsodyHost, render_config)
from .scansion import ScansionRun, ScriptResult, parse_output, run_scansion, script_name
from .xmpp import plain_login

__all__ = [
    "REPO",
    "build_dir",
    "missing",
    "mucd_binary",
    "scansion_binary",
    "EjabberdError",
    "EjabberdHost",
    "ejabberd_installed",
    "MucdError",
    "MucdProcess",
    "AllowEntry",
    "Difference",
    "ParityReport",
    "compare_recordings",
    "compare_recordings_report",
    "load_allowlist",
    "parse_allowlist",
    "free_port",
    "free_ports",
    "port_accepts",
    "make_workdir",
    "run_root",
    "survivors",
    "wait_until",
    "ADMIN_JID",
    "AUTHENTICATED",
    "BUILTIN",
    "EXTERNAL",
    "MUC_DOMAIN",
    "NONE",
    "ProsodyError",
    "ProsodyHost",
    "render_config",
    "ScansionRun",
    "ScriptResult",
    "parse_output",
    "run_scansion",
    "script_name",
    "plain_login",
]
