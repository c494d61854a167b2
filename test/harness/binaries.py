"""Where the binaries under test are: $MUCD_BUILD (default <repo>/build).

MUCD_BINARY and MUCD_SCANSION name one binary directly (for example a sanitizer build of mucd
with the runner from the normal build)."""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_dir():
    return os.environ.get("MUCD_BUILD") or os.path.join(REPO, "build")


def mucd_binary():
    return os.environ.get("MUCD_BINARY") or os.path.join(build_dir(), "component", "mucd")


def scansion_binary():
    return (os.environ.get("MUCD_SCANSION")
            or os.path.join(build_dir(), "scansion", "mucd-scansion"))


def missing(path):
    """None if path is an executable file, else a sentence saying what is wrong."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    return (f"{path} is not built (MUCD_BUILD={build_dir()}); build with "
            f"`meson setup build && ninja -C build` or point MUCD_BUILD at a build directory")
