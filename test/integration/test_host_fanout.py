"""mod_mucd_fanout (packaging/prosody/, packaging/ejabberd/) is for mucd only: a client that sends
the component's domain a <fanout/> list or a <bundle/>, or asks the module's question, gets no
expansion and no answer from the module. A joiner's list made of presences the module kept
reaches the joiner exactly as those presences reached the occupants. Both on Prosody and on
ejabberd (Debian's package; the test command installs it). (The scripts run with Prosody's module
and without it in test_seeds_mucd.py.) A reload of Prosody's module while mucd is connected
loses nothing: what names presences the reloaded module no longer holds comes back to mucd, which
sends those stanzas itself and then gets fan-out back from the reloaded module."""

import contextlib
import os
import re
import time
import xml.etree.ElementTree as ET

import pytest

import harness
from harness import MUC_DOMAIN
from harness.client import MUC, Client, error_condition, new_id, statuses, tag
from conftest import mucd_service, require, require_ejabberd

HOSTS = ["prosody", "ejabberd"]


@contextlib.contextmanager
def attached(kind, **ejabberd_args):
    """A fresh host of the kind (its built-in MUC off, mod_mucd_fanout on the component) with
    mucd attached and authenticated."""
    if kind == "prosody":
        with mucd_service() as pair:
            yield pair
        return
    require(harness.mucd_binary())
    require_ejabberd()
    with harness.EjabberdHost(muc=harness.EXTERNAL, **ejabberd_args) as host, \
            harness.MucdProcess(host) as mucd:
        yield host, mucd

FANOUT = "urn:mucd:fanout:0"


@pytest.mark.parametrize("kind", HOSTS)
def test_a_client_cannot_make_the_host_fan_out(kind):
    with attached(kind) as (host, mucd):
        assert "expands fan-out" in mucd.stderr_text()
        assert "one per run of stanzas to one recipient" in mucd.stderr_text(), \
            "the module says it takes bundles"
        with Client(host.c2s_port, "alice") as alice, Client(host.c2s_port, "bob") as bob:
            bob.send("<presence/>")
            time.sleep(0.2)
            mark = bob.mark()
            sent = [new_id(), new_id()]
            for kind, stanza_id in zip(("message", "presence"), sent):
                alice.send(f"<{kind} to='{MUC_DOMAIN}' id='{stanza_id}'><fanout xmlns='{FANOUT}'>"
                           f"bob@localhost/r\nbob@localhost/r</fanout></{kind}>")
            # A bundle: stanzas "from" the component, which the module would route as they are.
            spoofed = new_id()
            sent.append(spoofed)
            alice.send(f"<message to='{MUC_DOMAIN}' id='{new_id()}'><bundle xmlns='{FANOUT}'/>"
                       f"<message to='bob@localhost/r' from='{MUC_DOMAIN}' id='{spoofed}'>"
                       f"<body>from the service?</body></message></message>")
            question = alice.request(f"<iq type='get' to='{MUC_DOMAIN}' id='{{id}}'>"
                                     f"<query xmlns='{FANOUT}'/></iq>")
            assert question.get("type") == "error", "mucd answers it, not the module"
            assert error_condition(question) in ("service-unavailable", "feature-not-implemented")
            time.sleep(0.5)
            copies = [s for s in bob.received(mark) if s.get("id") in sent]
            assert copies == [], "bob got a copy of alice's stanza"
        assert mucd.running()


def join(client, room, nick):
    since = client.mark()
    client.send(f"<presence to='{room}/{nick}'><x xmlns='{MUC}'/></presence>")
    joined = client.wait_for(lambda s: s.tag == tag("presence")
                             and s.get("from") == f"{room}/{nick}" and "110" in statuses(s),
                             since=since)
    assert joined is not None, f"{client.user} could not join {room}"


def presence_from(client, occupant):
    """The last presence the client got from `occupant`, as text without its `to`."""
    found = [s for s in client.received() if s.tag == tag("presence") and s.get("from") == occupant]
    assert found, f"{client.user} got no presence from {occupant}"
    stanza = found[-1]
    stanza.attrib.pop("to", None)
    return ET.tostring(stanza, encoding="unicode")


def totals(mucd):
    """(kept, copies, lost) from the totals mucd logs when it stops."""
    found = re.search(r"(\d+) presences kept by the host and (\d+) copies of them;.* (\d+) lost",
                      mucd.stderr_text())
    assert found, mucd.stderr_text()
    return tuple(int(n) for n in found.groups())


def open_room(owner, room):
    """owner creates room and accepts the default configuration (an instant room)."""
    join(owner, room, "owner")
    unlocked = owner.request(
        f"<iq type='set' to='{room}' id='{{id}}'><query "
        "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
        "type='submit'/></query></iq>")
    assert unlocked is not None and unlocked.get("type") == "result"


def groupchat_bodies(client, since=0):
    return [s.findtext(tag("body")) for s in client.received(since)
            if s.tag == tag("message") and s.get("type") == "groupchat"
            and s.find(tag("body")) is not None]


def say(client, room, body):
    client.send(f"<message to='{room}' type='groupchat' id='{new_id()}'><body>{body}</body>"
                "</message>")


def wait_for_body(client, body, since=0):
    got = client.wait_for(lambda s: s.tag == tag("message") and s.findtext(tag("body")) == body,
                          since=since)
    assert got is not None, f"{client.user} did not get {body!r}: {groupchat_bodies(client)}"
    return got


def fanouts(mucd):
    """The fan-out stanzas mucd says it sent, in the totals it logs when it stops."""
    found = re.search(r"(\d+) fan-out stanzas", mucd.stderr_text())
    assert found, mucd.stderr_text()
    return int(found.group(1))


def joiners_list_scenario(host, between=None):
    """owner, a, b and c join a room; c's join reaches a and b as one fan-out presence, which the
    module keeps. Then `between` runs, and d joins: d's list names c's kept presence instead of
    carrying it. Checks that d got every occupant's presence, c's exactly as a and b got it."""
    room = f"kept@{MUC_DOMAIN}"
    with contextlib.ExitStack() as stack:
        owner, a, b, c, d = (stack.enter_context(Client(host.c2s_port, user))
                             for user in ("owner", "a", "b", "c", "d"))
        open_room(owner, room)
        for client, nick in ((a, "a"), (b, "b"), (c, "c")):
            join(client, room, nick)
        time.sleep(0.3)
        if between:
            between()
        join(d, room, "d")
        time.sleep(0.3)
        for nick in ("owner", "a", "b"):
            assert presence_from(d, f"{room}/{nick}"), nick
        seen_by_a = presence_from(a, f"{room}/c")
        assert presence_from(b, f"{room}/c") == seen_by_a
        assert presence_from(d, f"{room}/c") == seen_by_a


@pytest.mark.parametrize("kind", HOSTS)
def test_a_joiner_gets_kept_presences_exactly_as_the_occupants_got_them(kind):
    with attached(kind) as (host, mucd):
        assert "keeping up to 4096 presences for joiners' lists" in mucd.stderr_text()
        joiners_list_scenario(host)
    kept, copies, lost = totals(mucd)
    assert kept >= 1 and copies >= 1 and lost == 0, (kept, copies, lost)


def test_ejabberd_with_store_slots_0_keeps_nothing_and_still_fans_out():
    with attached("ejabberd", store_slots=0) as (host, mucd):
        log = mucd.stderr_text()
        assert "expands fan-out" in log and "keeping up to" not in log, log
        joiners_list_scenario(host)
    assert totals(mucd) == (0, 0, 0)


HOOKS_MODULE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ejabberd",
                            "mod_mucd_test_hooks.erl")


def test_ejabberd_copies_meet_the_hooks_of_any_routed_stanza():
    """The ejabberd module hands copies to the recipient's session process itself (bench/README,
    "Sessions found once"), so it must run what the router and the session manager would: a
    filter_packet hook that drops a copy, an sm_receive_packet hook that drops or changes one
    (test/integration/ejabberd/mod_mucd_test_hooks.erl)."""
    with attached("ejabberd", extra_modules=[HOOKS_MODULE]) as (host, mucd):
        assert "expands fan-out" in mucd.stderr_text()
        room = f"hooks@{MUC_DOMAIN}"
        with Client(host.c2s_port, "owner") as owner, Client(host.c2s_port, "bob") as bob:
            open_room(owner, room)
            join(bob, room, "bob")
            mark = bob.mark()
            owner_mark = owner.mark()
            for body in ("plain 1", "drop-in-filter", "drop-in-sm", "mark-in-sm",
                         "raise-for-bob", "plain 2"):
                say(owner, room, body)
            wait_for_body(bob, "plain 2", since=mark)
            wait_for_body(owner, "plain 2", since=owner_mark)
            time.sleep(0.2)
            assert groupchat_bodies(bob, mark) == ["plain 1", "mark-in-sm", "plain 2"]
            marked = [s for s in bob.received(mark) if s.findtext(tag("body")) == "mark-in-sm"]
            assert marked[0].find("{urn:mucd:test}marked") is not None, \
                "the copy the session process got is the one sm_receive_packet returned"
            # A hook that raises on bob's copy costs bob that copy only: the owner gets hers,
            # and the module goes on expanding (nothing handed back to mucd).
            assert "raise-for-bob" in groupchat_bodies(owner, owner_mark)
    log = mucd.stderr_text()
    assert "handed a fan-out stanza back" not in log, log
    assert fanouts(mucd) >= 6, "the copies went out as fan-out stanzas"


def test_ejabberd_a_recipient_back_in_a_new_session_gets_the_copies():
    """The module remembers each recipient's session process: a recipient who leaves and logs in
    again with the same full JID (a new process) must get the next copies, not the old process."""
    with attached("ejabberd") as (host, mucd):
        room = f"again@{MUC_DOMAIN}"
        with Client(host.c2s_port, "owner") as owner:
            open_room(owner, room)
            with Client(host.c2s_port, "bob") as bob:
                join(bob, room, "bob")
                say(owner, room, "first")
                wait_for_body(bob, "first")
            left = owner.wait_for(lambda s: s.tag == tag("presence")
                                  and s.get("type") == "unavailable"
                                  and s.get("from") == f"{room}/bob")
            assert left is not None, "bob's departure did not reach the room"
            with Client(host.c2s_port, "bob") as bob:
                join(bob, room, "bob")
                # Long after the old session's process has ended (while ending, it hands what
                # reaches it to the router, which would hide a stale process).
                time.sleep(1)
                say(owner, room, "second")
                wait_for_body(bob, "second")
    assert fanouts(mucd) >= 2, "the copies went out as fan-out stanzas"


def test_a_module_reloaded_under_mucd_loses_nothing():
    with harness.ProsodyHost(muc=harness.EXTERNAL, shell=True) as host, \
            harness.MucdProcess(host) as mucd:
        def reload():
            host.shell("module", "reload", "mucd_fanout", MUC_DOMAIN)
        joiners_list_scenario(host, between=reload)
        log = mucd.stderr_text()
        assert "handed a fan-out stanza back" in log, log
        assert log.count("keeping up to 4096 presences") == 2, \
            f"mucd asks again and the reloaded module answers: {log}"
    kept, copies, lost = totals(mucd)
    assert copies >= 1 and lost == 0, (kept, copies, lost)
