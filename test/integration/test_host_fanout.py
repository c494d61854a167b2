"""mod_mucd_fanout (packaging/prosody/, packaging/ejabberd/) is for mucd only: a client that sends
the component's domain a <fanout/> list or a <bundle/>, or asks the module's question, gets no
expansion and no answer from the module. A joiner's list made of presences the module kept
reaches the joiner exactly as those presences reached the occupants. Both on Prosody and on
ejabberd (Debian's package; the test command installs it). (The scripts run with Prosody's module
and without it in test_seeds_mucd.py.) A reload of Prosody's module while mucd is connected
loses nothing: what names presences the reloaded module no longer holds comes back to mucd, which
sends those stanzas itself and then gets fan-out back from the reloaded module."""

import contextlib
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


def joiners_list_scenario(host, between=None):
    """owner, a, b and c join a room; c's join reaches a and b as one fan-out presence, which the
    module keeps. Then `between` runs, and d joins: d's list names c's kept presence instead of
    carrying it. Checks that d got every occupant's presence, c's exactly as a and b got it."""
    room = f"kept@{MUC_DOMAIN}"
    with contextlib.ExitStack() as stack:
        owner, a, b, c, d = (stack.enter_context(Client(host.c2s_port, user))
                             for user in ("owner", "a", "b", "c", "d"))
        join(owner, room, "owner")
        unlocked = owner.request(
            f"<iq type='set' to='{room}' id='{{id}}'><query "
            "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
            "type='submit'/></query></iq>")
        assert unlocked is not None and unlocked.get("type") == "result"
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
