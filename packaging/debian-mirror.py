#!/usr/bin/env python3
"""Prints the Debian mirror that apt is configured with for bookworm's main component.

Reads /etc/apt/sources.list, sources.list.d/*.list (one-line format) and sources.list.d/*.sources
(deb822 format), in apt's order, and prints the first URI that serves `deb` for the suite
(default bookworm) with the component main. Exit status 1 when there is none.

    python3 packaging/debian-mirror.py [--suite bookworm] [--root /]
"""

import argparse
import glob
import os
import re
import sys


def one_line_entries(text):
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
        if m:
            yield m.group(1), [m.group(2)], m.group(3).split()


def deb822_entries(text):
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").strip().lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("suites", "").split(), fields.get("components", "").split()


def entries(root):
    etc = os.path.join(root, "etc/apt")
    paths = [os.path.join(etc, "sources.list")]
    paths += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
    paths += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources")))
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        parse = deb822_entries if path.endswith(".sources") else one_line_entries
        yield from parse(text)


def find_mirror(suite="bookworm", root="/"):
    for uri, suites, components in entries(root):
        if suite in suites and "main" in components:
            return uri.rstrip("/")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--root", default="/", help="read ROOT/etc/apt instead of /etc/apt")
    args = parser.parse_args()
    mirror = find_mirror(args.suite, args.root)
    if not mirror:
        print(f"debian-mirror: no 'deb' source for {args.suite} main in {args.root}etc/apt",
              file=sys.stderr)
        return 1
    print(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
