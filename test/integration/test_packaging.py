"""Packaging without containers: what `meson install` puts where, the systemd unit, the man page,
the status file behind the container health check, the compose files, and the mirror lookup the
container test uses."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

import harness
from harness.binaries import build_dir

REPO = harness.REPO
PACKAGING = os.path.join(REPO, "packaging")
README = os.path.join(REPO, "README.md")


def readme_section(title):
    with open(README) as f:
        text = f.read()
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"README.md has no section '## {title}'"
    return m.group(1)


def build_option(name):
    proc = subprocess.run(["meson", "introspect", build_dir(), "--buildoptions"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for option in json.loads(proc.stdout):
        if option["name"] == name:
            return option["value"]
    raise AssertionError(f"no meson option {name}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`meson install --destdir` of the test build: (destdir, prefix)."""
    if not os.path.isfile(os.path.join(build_dir(), "build.ninja")):
        pytest.fail(f"{build_dir()} is not a meson build directory", pytrace=False)
    destdir = str(tmp_path_factory.mktemp("destdir"))
    proc = subprocess.run(["meson", "install", "-C", build_dir(), "--destdir", destdir,
                           "--no-rebuild", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return destdir, build_option("prefix")


def readme_install_paths(prefix):
    """The files README.md's systemd section says `meson install` puts under PREFIX."""
    rows = re.findall(r"^\| `PREFIX/([^`]+)`", readme_section("Running under systemd"), re.M)
    assert rows, "the README's systemd section lists no PREFIX/... files"
    unit_dir = build_option("systemd_unit_dir")
    paths = set()
    for rel in rows:
        path = prefix + "/" + rel
        if unit_dir and rel.startswith("lib/systemd/system/"):
            path = unit_dir + "/" + os.path.basename(rel)
        paths.add(path)
    return paths


def test_meson_install_puts_every_file_where_the_readme_says(installed):
    destdir, prefix = installed
    found = set()
    for root, _, files in os.walk(destdir):
        for name in files:
            found.add("/" + os.path.relpath(os.path.join(root, name), destdir))
    expected = readme_install_paths(prefix)
    assert found == expected, (f"installed but not in the README: {sorted(found - expected)}\n"
                               f"in the README but not installed: {sorted(expected - found)}")
    for binary in ("mucd", "mucd-scansion"):
        path = destdir + prefix + "/bin/" + binary
        assert os.access(path, os.X_OK), f"{path} is not executable"


def installed_unit(destdir, prefix):
    unit_dir = build_option("systemd_unit_dir") or prefix + "/lib/systemd/system"
    return destdir + unit_dir + "/mucd.service"


def test_installed_unit_runs_the_installed_binary(installed):
    destdir, prefix = installed
    with open(installed_unit(destdir, prefix)) as f:
        unit = f.read()
    with open(os.path.join(PACKAGING, "mucd.service")) as f:
        source = f.read()
    exec_start = re.findall(r"^ExecStart=(\S+)", unit, re.M)
    assert exec_start == [prefix + "/bin/mucd"], exec_start
    # Apart from that path, the installed unit is packaging/mucd.service.
    assert unit.replace(prefix + "/bin/mucd ", "/usr/bin/mucd ") == source


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian package systemd)")
def test_systemd_analyze_verify_is_clean(installed, tmp_path):
    """`systemd-analyze verify` wants ExecStart's binary and the man page to exist: point the unit
    at the installed binary and MANPATH at the installed man page."""
    destdir, prefix = installed
    with open(installed_unit(destdir, prefix)) as f:
        unit = f.read()
    unit = unit.replace(f"ExecStart={prefix}/bin/mucd ", f"ExecStart={destdir}{prefix}/bin/mucd ")
    path = tmp_path / "mucd.service"
    path.write_text(unit)
    env = dict(os.environ, MANPATH=f"{destdir}{prefix}/share/man", SYSTEMD_LOG_COLOR="0")
    proc = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                          text=True, timeout=60, env=env)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and output == "", output


def test_unit_hardening_and_secret_handling():
    with open(os.path.join(PACKAGING, "mucd.service")) as f:
        unit = f.read()
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    for key, value in {"DynamicUser": "yes", "StateDirectory": "mucd", "NoNewPrivileges": "yes",
                       "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                       "Restart": "on-failure", "CapabilityBoundingSet": ""}.items():
        assert settings.get(key) == value, f"{key}={settings.get(key)!r}, want {value!r}"
    assert settings["LoadCredential"].startswith("secret:"), settings["LoadCredential"]
    assert "--secret-file=%d/secret" in settings["ExecStart"], settings["ExecStart"]
    assert "MUCD_SECRET" not in re.sub(r"^#.*$", "", unit, flags=re.M), \
        "the unit must not carry the secret in its environment"


def help_options():
    proc = subprocess.run([harness.mucd_binary(), "--help"], capture_output=True, text=True,
                          timeout=10)
    assert proc.returncode == 0, proc.stderr
    options = set(re.findall(r"^\s+(--[a-z-]+)", proc.stdout, re.M))
    variables = set(re.findall(r"^\s+(MUCD_[A-Z_]+)", proc.stdout, re.M))
    assert "--domain" in options and "MUCD_SECRET" in variables, proc.stdout
    return options, variables


def test_man_page_documents_every_option_and_variable(mucd_bin):
    with open(os.path.join(PACKAGING, "mucd.1")) as f:
        page = f.read().replace("\\-", "-")
    options, variables = help_options()
    missing = sorted(o for o in options | variables if o not in page)
    assert not missing, f"mucd.1 does not mention {missing} (mucd --help does)"


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed (package man-db)")
def test_man_page_renders_without_warnings():
    proc = subprocess.run(["man", "--warnings", "-l", os.path.join(PACKAGING, "mucd.1")],
                          capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, MANWIDTH="80"))
    assert proc.returncode == 0 and proc.stderr.strip() == "", proc.stderr
    plain = re.sub(r".\x08", "", proc.stdout).replace("\u2010", "-")  # no overstrike, no hyphens
    assert "--status-file PATH" in plain, plain


# -- the status file behind `mucd --health` and the image's HEALTHCHECK --------------------------

def health(status_file):
    proc = subprocess.run([harness.mucd_binary(), "--health", "--status-file", status_file],
                          capture_output=True, text=True, timeout=10)
    return proc.returncode, proc.stdout.strip()


def wait_for_health(status_file, want, timeout=15.0):
    deadline = time.monotonic() + timeout
    result = health(status_file)
    while result[1] != want and time.monotonic() < deadline:
        time.sleep(0.1)
        result = health(status_file)
    return result


def test_health_follows_the_link_to_prosody(mucd_bin, external_prosody, tmp_path):
    status_file = str(tmp_path / "status")
    assert health(status_file)[0] == 1, "no file: unhealthy"
    mucd = harness.MucdProcess(external_prosody, extra_args=["--status-file", status_file])
    with mucd:
        assert wait_for_health(status_file, "connected") == (0, "connected"), mucd.diagnostics()
        external_prosody.kill()
        assert wait_for_health(status_file, "disconnected") == (1, "disconnected"), \
            mucd.diagnostics()
        external_prosody.start()
        assert wait_for_health(status_file, "connected", timeout=20) == (0, "connected"), \
            mucd.diagnostics()
        assert mucd.stop() == 0, mucd.diagnostics()
    assert health(status_file) == (1, "stopped")


# -- compose files and images: static checks (no Docker engine runs here) ------------------------

def load_yaml(name):
    yaml = pytest.importorskip("yaml", reason="python3-yaml is not installed")
    with open(os.path.join(PACKAGING, name)) as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("name,host", [("compose.yaml", "prosody"),
                                       ("compose.ejabberd.yaml", "ejabberd")])
def test_compose_file_builds_our_images_and_shares_the_secret_by_env_file(name, host):
    compose = load_yaml(name)
    services = compose["services"]
    assert set(services) == {host, "mucd"}, services.keys()
    for service in services.values():
        build = service["build"]
        dockerfile = os.path.join(PACKAGING, build["context"], build["dockerfile"])
        assert os.path.isfile(dockerfile), dockerfile
        assert service["env_file"] == "mucd.env"
        assert "MUCD_SECRET" not in service.get("environment", {}), \
            "the secret belongs in mucd.env, not in the compose file"
    mucd = services["mucd"]
    assert mucd["environment"]["MUCD_SERVER"] == f"{host}:5347"
    assert mucd["environment"]["MUCD_DOMAIN"] == "conference.localhost"
    assert any(v.endswith(":/var/lib/mucd") for v in mucd["volumes"]), mucd["volumes"]
    assert mucd["depends_on"] == [host]


def dockerfile_stages(path):
    with open(path) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append([])
        stages[-1].append((word.upper(), rest.strip()))
    return stages


def test_mucd_dockerfile_runtime_stage():
    stages = dockerfile_stages(os.path.join(PACKAGING, "Dockerfile"))
    assert len(stages) == 2, "a build stage and a runtime stage"
    build, runtime = stages
    assert build[0] == ("FROM", "debian:bookworm-slim AS build")
    assert runtime[0] == ("FROM", "debian:bookworm-slim")
    instructions = dict(runtime)
    installs = " ".join(rest for word, rest in runtime if word == "RUN")
    assert "-dev" not in installs and "g++" not in installs, "build tools in the runtime stage"
    assert instructions["USER"] == "mucd"
    assert "/var/lib/mucd" in instructions["VOLUME"]
    assert "MUCD_DATA_DIR=/var/lib/mucd" in instructions["ENV"]
    assert '"mucd", "--health"' in instructions["HEALTHCHECK"]
    assert instructions["STOPSIGNAL"] == "SIGTERM"
    everything = json.dumps(stages)
    assert "MUCD_SECRET" not in everything, "no secret (or a place for one) in the image"


def test_build_context_leaves_out_secrets_and_build_dirs():
    with open(os.path.join(REPO, ".dockerignore")) as f:
        patterns = f.read().split()
    for pattern in ("packaging/mucd.env", "build*/", ".git"):
        assert pattern in patterns, f".dockerignore lacks {pattern}"


# -- the Debian mirror the container test bootstraps from ----------------------------------------

def run_mirror(root):
    return subprocess.run([sys.executable, os.path.join(PACKAGING, "debian-mirror.py"),
                           "--root", str(root) + "/"], capture_output=True, text=True, timeout=30)


def test_debian_mirror_from_deb822_sources(tmp_path):
    d = tmp_path / "etc/apt/sources.list.d"
    d.mkdir(parents=True)
    (d / "a-nodesource.sources").write_text(
        "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n"
        "Components: main\n")
    (d / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian/\n"
        "Suites: bookworm bookworm-updates\nComponents: main contrib\n\n"
        "Types: deb\nURIs: http://security.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n")
    proc = run_mirror(tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "http://mirror.example/debian\n"), proc.stderr


def test_debian_mirror_from_one_line_sources_skips_disabled_and_src(tmp_path):
    (tmp_path / "etc/apt").mkdir(parents=True)
    (tmp_path / "etc/apt/sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb http://other.example/debian bookworm-updates main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main non-free\n")
    proc = run_mirror(tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "http://one.example/debian\n"), proc.stderr


def test_debian_mirror_none_is_an_error(tmp_path):
    (tmp_path / "etc/apt").mkdir(parents=True)
    (tmp_path / "etc/apt/sources.list").write_text("deb http://x.example/debian bullseye main\n")
    proc = run_mirror(tmp_path)
    assert proc.returncode == 1 and proc.stdout == "", proc.stdout
    assert "no 'deb' source for bookworm main" in proc.stderr
