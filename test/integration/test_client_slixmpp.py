"""mucd as a new user meets it: a real XMPP client library (slixmpp, Debian's python3-slixmpp)
logs in to a real Prosody with mucd attached and uses the room the way chat clients do: join,
nick change, private messages, invitations, subject, kick, ban and a voice request.

Each test drives a few slixmpp clients on one asyncio loop; actions go through slixmpp's XEP-0045
plugin where it has a method for them, and the checks read what the clients' stanzas and the
plugin's room roster say.
"""

import asyncio
import contextlib
import time

import pytest

import harness
from conftest import mucd_service

slixmpp = pytest.importorskip(
    "slixmpp", reason="slixmpp is not installed (Debian: python3-slixmpp, packaging/install-deps.sh)")
from slixmpp.exceptions import IqError, PresenceError  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

MUC = harness.MUC_DOMAIN
TIMEOUT = 5.0


class Client:
    """One logged-in slixmpp client that records the stanzas it receives."""

    def __init__(self, jid, port):
        self.jid = jid
        self.port = port
        self.xmpp = slixmpp.ClientXMPP(jid, "password")
        for plugin in ("xep_0030", "xep_0004", "xep_0045"):
            self.xmpp.register_plugin(plugin)
        # The test host offers PLAIN without TLS (Prosody's insecure test authentication).
        self.xmpp["feature_mechanisms"].unencrypted_plain = True
        self.muc = self.xmpp.plugin["xep_0045"]
        self.received = []  # every message and presence, in arrival order
        for kind in ("message", "presence"):
            self.xmpp.register_handler(Callback(
                f"record {kind}", MatchXPath(f"{{jabber:client}}{kind}"), self._record))
        self.online = asyncio.Event()
        self.xmpp.add_event_handler("session_start", self._started)

    def _record(self, stanza):
        # Some stanzas raise more than one of the events listened to: keep each once.
        if not any(st is stanza for st in self.received):
            self.received.append(stanza)

    async def _started(self, _event):
        self.xmpp.send_presence()
        await self.xmpp.get_roster()
        self.online.set()

    async def connect(self):
        self.xmpp.connect(("127.0.0.1", self.port), force_starttls=False, disable_starttls=True)
        await asyncio.wait_for(self.online.wait(), TIMEOUT)

    async def stanza(self, predicate, what):
        """The first received stanza (consumed) for which predicate is true; waits for it."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, st in enumerate(self.received):
                if predicate(st):
                    del self.received[i]
                    return st
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.jid} never received {what}; got:\n" +
                                     "\n".join(str(s) for s in self.received))
            await asyncio.sleep(0.05)

    async def close(self):
        self.xmpp.disconnect()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.xmpp.disconnected, 2)


def codes(stanza):
    return stanza["muc"]["status_codes"]


def from_occupant(room, nick, ptype=None):
    def check(st):
        return (st["from"] == f"{room}/{nick}" and st.name == "presence"
                and (ptype is None or st["type"] == ptype))
    return check


async def instant_room(owner, room, nick):
    """Creates `room` as `owner` and accepts the default configuration, as clients do."""
    await owner.muc.join_muc_wait(room, nick, maxstanzas=0, timeout=TIMEOUT)
    form = owner.xmpp["xep_0004"].make_form(ftype="submit")
    await owner.muc.set_room_config(room, form)


@pytest.fixture
def service():
    with mucd_service() as (host, mucd):
        yield host
    assert mucd.returncode == 0, mucd.diagnostics()


def run(host, scenario, *names):
    """Runs scenario(*clients) on a fresh loop with one connected client per name."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def main():
        clients = [Client(f"{name}@localhost/{name}-desk", host.c2s_port) for name in names]
        try:
            for c in clients:
                await c.connect()
            await scenario(*clients)
        finally:
            for c in clients:
                await c.close()

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 60))
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)


def test_join_nick_change_and_private_messages(service):
    room = f"verona@{MUC}"

    async def scenario(romeo, juliet):
        await instant_room(romeo, room, "Romeo")
        joined, subject, occupants, _history = await juliet.muc.join_muc_wait(
            room, "Juliet", maxstanzas=0, timeout=TIMEOUT)
        assert joined["muc"]["role"] == "participant"
        assert "Romeo" in [o["from"].resource for o in occupants]
        await romeo.stanza(from_occupant(room, "Juliet"), "Juliet's arrival")
        assert "Juliet" in romeo.muc.get_roster(room)

        # A nick change, as clients send it: a presence to the new occupant JID.
        juliet.xmpp.send_presence(pto=f"{room}/Jules")
        gone = await romeo.stanza(from_occupant(room, "Juliet", "unavailable"), "303")
        assert 303 in codes(gone) and gone["muc"]["item"]["nick"] == "Jules"
        await romeo.stanza(from_occupant(room, "Jules"), "the new nick's presence")
        assert "Jules" in romeo.muc.get_roster(room)
        assert "Juliet" not in romeo.muc.get_roster(room)

        # Taken nick: a conflict error, and the plugin still knows her as Jules.
        juliet.xmpp.send_presence(pto=f"{room}/Romeo")
        err = await juliet.stanza(lambda s: s["type"] == "error", "the conflict error")
        assert err["error"]["condition"] == "conflict"

        # Private messages through the occupant JIDs.
        juliet.xmpp.send_message(mto=f"{room}/Romeo", mbody="Wherefore art thou?", mtype="chat")
        pm = await romeo.stanza(lambda s: s.name == "message" and s["type"] == "chat", "the PM")
        assert pm["from"] == f"{room}/Jules"
        assert pm["body"] == "Wherefore art thou?"
        romeo.xmpp.send_message(mto=pm["from"], mbody="Here", mtype="chat")
        answer = await juliet.stanza(lambda s: s.name == "message" and s["type"] == "chat",
                                     "the answer")
        assert answer["from"] == f"{room}/Romeo" and answer["body"] == "Here"

        # Groupchat reaches everyone, the sender included.
        romeo.xmpp.send_message(mto=room, mbody="Hello, Verona", mtype="groupchat")
        for c in (romeo, juliet):
            msg = await c.stanza(lambda s: s.name == "message" and s["body"] == "Hello, Verona",
                                 "the groupchat message")
            assert msg["from"] == f"{room}/Romeo"

    run(service, scenario, "romeo", "juliet")


def test_invite_subject_kick_and_ban(service):
    room = f"ball@{MUC}"

    async def scenario(romeo, juliet, nurse):
        await instant_room(romeo, room, "Romeo")
        await juliet.muc.join_muc_wait(room, "Juliet", maxstanzas=0, timeout=TIMEOUT)

        # A mediated invitation reaches the invitee's client as an invite event.
        invited = asyncio.get_running_loop().create_future()
        nurse.xmpp.add_event_handler("groupchat_invite",
                                     lambda m: invited.done() or invited.set_result(m))
        juliet.muc.invite(room, nurse.xmpp.boundjid.bare, reason="Come to the ball")
        invite = await asyncio.wait_for(invited, TIMEOUT)
        assert invite["from"] == room
        assert invite["muc"]["invite"]["reason"] == "Come to the ball"
        await nurse.muc.join_muc_wait(room, "Nurse", maxstanzas=0, timeout=TIMEOUT)

        # The subject, set by the owner, reaches the occupants.
        subjects = asyncio.get_running_loop().create_future()
        juliet.xmpp.add_event_handler("groupchat_subject",
                                      lambda m: subjects.done() or subjects.set_result(m))
        romeo.muc.set_subject(room, "The Capulet feast")
        subject = await asyncio.wait_for(subjects, TIMEOUT)
        assert subject["subject"] == "The Capulet feast"
        assert subject["from"] == f"{room}/Romeo"

        # A participant may not kick.
        with pytest.raises(IqError) as refused:
            await juliet.muc.set_role(room, "Nurse", "none", reason="Go away")
        assert refused.value.condition == "not-allowed"

        # The owner kicks: 307, with the reason.
        await romeo.muc.set_role(room, "Juliet", "none", reason="Too loud")
        kicked = await juliet.stanza(from_occupant(room, "Juliet", "unavailable"), "her kick")
        assert {307, 110} <= codes(kicked)
        assert kicked["muc"]["item"]["reason"] == "Too loud"
        seen = await nurse.stanza(from_occupant(room, "Juliet", "unavailable"), "the kick")
        assert 307 in codes(seen)

        # The owner bans the nurse: 301, the ban is listed, and she cannot come back.
        await romeo.muc.set_affiliation(room, "outcast", jid=nurse.xmpp.boundjid.bare,
                                        reason="Gossip")
        banned = await nurse.stanza(from_occupant(room, "Nurse", "unavailable"), "her ban")
        assert 301 in codes(banned)
        outcasts = await romeo.muc.get_affiliation_list(room, "outcast")
        assert outcasts == [nurse.xmpp.boundjid.bare]
        with pytest.raises(PresenceError) as again:
            await nurse.muc.join_muc_wait(room, "Nurse", maxstanzas=0, timeout=TIMEOUT)
        assert again.value.condition == "forbidden"

    run(service, scenario, "romeo", "juliet", "nurse")


def test_voice_request_in_a_moderated_room(service):
    room = f"chapel@{MUC}"

    async def scenario(friar, juliet):
        await friar.muc.join_muc_wait(room, "Friar", maxstanzas=0, timeout=TIMEOUT)
        form = friar.xmpp["xep_0004"].make_form(ftype="submit")
        form.add_field(var="FORM_TYPE", value="http://jabber.org/protocol/muc#roomconfig")
        form.add_field(var="muc#roomconfig_moderatedroom", value=True)
        await friar.muc.set_room_config(room, form)

        joined, *_ = await juliet.muc.join_muc_wait(room, "Juliet", maxstanzas=0,
                                                   timeout=TIMEOUT)
        assert joined["muc"]["role"] == "visitor"

        juliet.xmpp.send_message(mto=room, mbody="May I speak?", mtype="groupchat")
        error = await juliet.stanza(lambda s: s.name == "message" and s["type"] == "error",
                                    "the refusal")
        assert error["error"]["condition"] == "forbidden"

        juliet.muc.request_voice(room, "participant")
        def is_voice_request(st):
            return (st.name == "message" and st.xml.find("{jabber:x:data}x") is not None
                    # slixmpp reads a hidden field as a list of values
                    and st["form"].get_values().get("FORM_TYPE")
                    in ("http://jabber.org/protocol/muc#request",
                        ["http://jabber.org/protocol/muc#request"]))
        request = await friar.stanza(is_voice_request, "the voice request")
        values = request["form"].get_values()
        assert values["muc#roomnick"] == "Juliet"
        assert values["muc#jid"] == juliet.xmpp.boundjid.full

        # The moderator approves by submitting the form back.
        approval = friar.xmpp.make_message(mto=room)
        answer = approval["form"]
        answer["type"] = "submit"
        answer.add_field(var="FORM_TYPE", value="http://jabber.org/protocol/muc#request")
        answer.add_field(var="muc#role", value="participant")
        answer.add_field(var="muc#jid", value=values["muc#jid"])
        answer.add_field(var="muc#roomnick", value="Juliet")
        answer.add_field(var="muc#request_allow", ftype="boolean", value=True)
        approval.send()

        voiced = await juliet.stanza(
            lambda s: from_occupant(room, "Juliet")(s) and s["muc"]["role"] == "participant",
            "her voice")
        assert voiced["muc"]["item"]["reason"] == "Voice granted"
        juliet.xmpp.send_message(mto=room, mbody="Thank you", mtype="groupchat")
        heard = await friar.stanza(lambda s: s.name == "message" and s["body"] == "Thank you",
                                   "her message")
        assert heard["from"] == f"{room}/Juliet"

    run(service, scenario, "friar", "juliet")
