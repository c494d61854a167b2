"""mucd's operator tools (--import, --list-rooms, --export) on a data directory, through the real
binary: what an operator runs for backups and moves. No server is involved."""

import json
import os
import stat
import subprocess

ROOMS = [
    {"jid": "coven@conference.localhost", "config": {"persistent": "1", "name": "The Coven"},
     "subject": "Cauldron", "subject_from": "coven@conference.localhost/crone",
     "affiliations": [{"jid": "crone@localhost", "affiliation": "owner", "nick": "crone",
                       "reason": ""}],
     "history": [{"seq": 1, "stamp_ms": 1700000000000, "from_nick": "crone",
                  "xml": "<message type='groupchat'><body>hail</body></message>"}],
     "occupants": [], "listing": {"name": "The Coven"}},
    {"jid": "heath@conference.localhost", "config": {"persistent": "1"}, "subject": "",
     "subject_from": "", "affiliations": [], "history": [], "occupants": []},
]
TOMBSTONES = [{"jid": "chapel@conference.localhost", "reason": "moved",
               "new_jid": "coven@conference.localhost", "expires_ms": 1900000000000}]


def run(mucd_bin, *args, stdin=None):
    return subprocess.run([mucd_bin, *args], input=stdin, capture_output=True, text=True,
                          timeout=30)


def test_an_import_lists_and_exports_back_the_same_rooms_and_tombstones(mucd_bin, tmp_path):
    data = str(tmp_path / "data")
    dump = tmp_path / "in.json"
    dump.write_text(json.dumps({"format": "mucd-rooms", "version": 1, "rooms": ROOMS,
                                "tombstones": TOMBSTONES}))

    imported = run(mucd_bin, "--data-dir", data, "--import", str(dump))
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 room(s) and 1 tombstone(s)" in imported.stderr, imported.stderr

    listed = run(mucd_bin, "--data-dir", data, "--list-rooms")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [room["jid"] for room in ROOMS]

    out = tmp_path / "out.json"
    exported = run(mucd_bin, "--data-dir", data, "--export", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "exported 2 room(s) and 1 tombstone(s)" in exported.stderr, exported.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600  # it holds room passwords
    back = json.loads(out.read_text())
    assert back["tombstones"] == TOMBSTONES
    assert [room["jid"] for room in back["rooms"]] == [room["jid"] for room in ROOMS]
    assert back["rooms"][0]["history"] == ROOMS[0]["history"]
    assert back["rooms"][0]["listing"] == {"name": "The Coven"}
    assert "listing" not in back["rooms"][1]

    # The same through standard input and output.
    again = run(mucd_bin, "--data-dir", str(tmp_path / "copy"), "--import", "-",
                stdin=out.read_text())
    assert again.returncode == 0, again.stderr
    piped = run(mucd_bin, "--data-dir", str(tmp_path / "copy"), "--export", "-")
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == back


def test_a_bad_dump_imports_nothing_and_says_why(mucd_bin, tmp_path):
    data = str(tmp_path / "data")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "mucd-rooms", "version": 1, "rooms": ROOMS,
                               "tombstones": [{"jid": "x@conference.localhost"}]}))
    proc = run(mucd_bin, "--data-dir", data, "--import", str(bad))
    assert proc.returncode == 1, proc.stderr
    assert "no integer expires_ms" in proc.stderr and "nothing was imported" in proc.stderr, \
        proc.stderr
    listed = run(mucd_bin, "--data-dir", data, "--list-rooms")
    assert listed.returncode == 0 and listed.stdout == "", listed.stdout + listed.stderr
