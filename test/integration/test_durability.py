"""Durable rooms against a real Prosody: nothing acknowledged is lost when mucd is killed, and a
restart is invisible to occupants who are still online.

Both tests kill mucd with SIGKILL (a crash: nothing flushed, no goodbye) and start it again over
the same data directory, while the clients stay connected to Prosody.
"""

import random
import threading
import time

import pytest

import harness
from harness.client import (DATA, MUC, MUC_ADMIN, MUC_OWNER, REGISTER, Client, error_condition,
                            escape, statuses, tag)

ROOM_DOMAIN = harness.MUC_DOMAIN
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"


def room_jid(name):
    return f"{name}@{ROOM_DOMAIN}"


def join(client, room, nick, history=None):
    """Joins and waits for the self-presence (status 110); returns it."""
    since = client.mark()
    extra = "" if history is None else f"<history maxstanzas='{history}'/>"
    client.send(f"<presence to='{room}/{nick}'><x xmlns='{MUC}'>{extra}</x></presence>")
    joined = client.wait_for(
        lambda s: s.tag == tag("presence") and s.get("from") == f"{room}/{nick}"
        and ("110" in statuses(s) or s.get("type") == "error"), since=since)
    assert joined is not None, f"{client.user} got no answer to joining {room}"
    assert joined.get("type") != "error", f"{client.user} could not join {room}: " \
        f"{error_condition(joined)}"
    return joined


def config_form(fields):
    parts = [f"<field var='FORM_TYPE'><value>{ROOMCONFIG}</value></field>"]
    for var, value in fields.items():
        parts.append(f"<field var='{var}'><value>{escape(str(value))}</value></field>")
    return f"<x xmlns='{DATA}' type='submit'>{''.join(parts)}</x>"


def configure(client, room, fields, timeout=None):
    return client.request(f"<iq type='set' to='{room}' id='{{id}}'><query xmlns='{MUC_OWNER}'>"
                          f"{config_form(fields)}</query></iq>", timeout)


def create_persistent(owner, room, nick, **extra):
    join(owner, room, nick)
    reply = configure(owner, room, {"muc#roomconfig_persistentroom": "1", **extra})
    assert reply is not None and reply.get("type") == "result", \
        f"configuring {room} failed: {reply is not None and error_condition(reply)}"


def crash_and_restart(mucd):
    status = mucd.kill()
    assert status == -9, f"mucd was not running when killed ({status})"
    mucd.start()


@pytest.fixture
def service(mucd_bin):
    with harness.ProsodyHost(muc=harness.EXTERNAL) as host:
        mucd = harness.MucdProcess(host)
        mucd.start()
        try:
            yield host, mucd
        finally:
            mucd.stop()


# -- restart ---------------------------------------------------------------------------------

def test_restart_is_invisible_to_occupants_still_online(service):
    host, mucd = service
    room = room_jid("balcony")
    alice = Client(host.c2s_port, "alice").connect()
    bob = Client(host.c2s_port, "bob").connect()
    carol = Client(host.c2s_port, "carol").connect()
    try:
        create_persistent(alice, room, "Alice")
        join(bob, room, "Bob")
        join(carol, room, "Carol")

        mucd.kill()
        carol.close()  # goes offline while mucd is down: nobody tells mucd
        time.sleep(0.2)
        mark_alice, mark_bob = alice.mark(), bob.mark()
        mucd.start()

        # Carol's session is checked and found gone: she leaves with status 333.
        gone = alice.wait_for(
            lambda s: s.tag == tag("presence") and s.get("from") == f"{room}/Carol"
            and s.get("type") == "unavailable", timeout=10, since=mark_alice)
        assert gone is not None, "carol was not removed after the restart\n" + mucd.diagnostics()
        assert "333" in statuses(gone)

        # Bob talks without rejoining; everyone still online hears him.
        reply = bob.request(f"<message type='groupchat' to='{room}' id='{{id}}'>"
                            "<body>still here after the crash?</body></message>")
        assert reply is not None and reply.get("type") == "groupchat", \
            f"bob's message was not echoed: {reply is not None and error_condition(reply)}"
        heard = alice.wait_for(
            lambda s: s.tag == tag("message") and s.findtext(tag("body")) ==
            "still here after the crash?", since=mark_alice)
        assert heard is not None and heard.get("from") == f"{room}/Bob"

        # Nobody was asked to join again, and Alice and Bob are still there.
        for client, mark in ((alice, mark_alice), (bob, mark_bob)):
            for s in client.received(mark):
                assert not (s.tag == tag("presence") and s.get("type") == "error"), \
                    f"{client.user} got a presence error after the restart"
        assert not any(s.tag == tag("presence") and s.get("from") in
                       (f"{room}/Alice", f"{room}/Bob") and s.get("type") == "unavailable"
                       for s in alice.received(mark_alice))
    finally:
        for client in (alice, bob, carol):
            client.close()


def test_a_destroyed_rooms_tombstone_survives_a_crash(service):
    host, mucd = service
    room = room_jid("chapel")
    alice = Client(host.c2s_port, "alice").connect()
    bob = Client(host.c2s_port, "bob").connect()
    try:
        create_persistent(alice, room, "Alice")
        reply = alice.request(f"<iq type='set' to='{room}' id='{{id}}'><query xmlns='{MUC_OWNER}'>"
                              f"<destroy jid='{room_jid('nave')}'><reason>moved to the nave"
                              "</reason></destroy></query></iq>")
        assert reply is not None and reply.get("type") == "result", \
            f"destroying {room} failed: {reply is not None and error_condition(reply)}"

        crash_and_restart(mucd)

        since = bob.mark()
        bob.send(f"<presence to='{room}/Bob'><x xmlns='{MUC}'/></presence>")
        answer = bob.wait_for(lambda s: s.tag == tag("presence") and
                              s.get("from") == f"{room}/Bob", since=since, timeout=10)
        assert answer is not None, "no answer to a join after the restart\n" + mucd.diagnostics()
        assert answer.get("type") == "error" and error_condition(answer) == "gone", \
            f"the destroyed room was not gone after the restart: {error_condition(answer)}"
        gone = answer.find(f"{tag('error')}/{{urn:ietf:params:xml:ns:xmpp-stanzas}}gone")
        assert gone is not None and gone.text == f"xmpp:{room_jid('nave')}?join"
    finally:
        for client in (alice, bob):
            client.close()


# -- crash -----------------------------------------------------------------------------------

ACKED, FAILED, UNKNOWN = "acked", "failed", "unknown"
OP_TIMEOUT = 2.0


class Register:
    """A value changed by one client's ops, in order: after any crash, it must hold the value
    of the last acknowledged op, or of a later op whose answer was lost (applied but not
    acknowledged); never that of an op that was refused, nor anything else."""

    def __init__(self, name, initial):
        self.name, self.initial, self.ops = name, initial, []

    def record(self, value, status):
        self.ops.append((value, status))

    def allowed(self):
        last = max((i for i, (_, st) in enumerate(self.ops) if st == ACKED), default=-1)
        values = {self.initial if last < 0 else self.ops[last][0]}
        values |= {v for v, st in self.ops[last + 1:] if st == UNKNOWN}
        return values

    def acked(self):
        return sum(1 for _, st in self.ops if st == ACKED)


def outcome(reply):
    if reply is None:
        return UNKNOWN
    return FAILED if reply.get("type") == "error" else ACKED


class Worker(threading.Thread):
    """One client making changes one after the other until told to stop."""

    def __init__(self, client, room, ops, seed):
        super().__init__(name=f"worker-{client.user}", daemon=True)
        self.client, self.room, self.ops = client, room, ops
        self.random = random.Random(seed)
        self.stop = threading.Event()
        self.error = None

    def run(self):
        i = 0
        try:
            while not self.stop.is_set():
                i += 1
                self.random.choice(self.ops)(i)
                time.sleep(self.random.uniform(0.005, 0.03))
        except Exception as e:  # reported by the test
            self.error = e


def test_acknowledged_changes_survive_kill_9(service, capsys):
    host, mucd = service
    room = room_jid("crashy")
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    alice = Client(host.c2s_port, "alice").connect()
    bob = Client(host.c2s_port, "bob").connect()
    carol = Client(host.c2s_port, "carol").connect()
    clients = [alice, bob, carol]
    try:
        create_persistent(alice, room, "Alice", **{"muc#roomconfig_historylength": "1000",
                                                   "muc#roomconfig_defaulthistorymessages": "0"})
        for who, affiliation in (("bob@localhost", "member"), ("carol@localhost", "admin")):
            reply = alice.request(f"<iq type='set' to='{room}' id='{{id}}'><query "
                                  f"xmlns='{MUC_ADMIN}'><item affiliation='{affiliation}' "
                                  f"jid='{who}'/></query></iq>")
            assert reply is not None and reply.get("type") == "result"
        join(bob, room, "Bob")
        join(carol, room, "Carol")

        name = Register("room name", "")
        subject = Register("subject", "")
        bob_nick = Register("bob's reserved nick", None)
        carol_nick = Register("carol's reserved nick", None)
        pairs = []     # (i, status): u{i}a and u{i}b made members in one iq
        messages = []  # (body, status)

        def config_op(i):
            value = f"cfg-{i}"
            reply = configure(alice, room, {"muc#roomconfig_roomname": value,
                                            "muc#roomconfig_roomdesc": value}, OP_TIMEOUT)
            name.record(value, outcome(reply))

        def affiliation_op(i):
            reply = alice.request(
                f"<iq type='set' to='{room}' id='{{id}}'><query xmlns='{MUC_ADMIN}'>"
                f"<item affiliation='member' jid='u{i}a@localhost'/>"
                f"<item affiliation='member' jid='u{i}b@localhost'/></query></iq>", OP_TIMEOUT)
            pairs.append((i, outcome(reply)))

        def subject_op(i):
            text = f"subj-{i}"
            since = alice.mark()
            sid = f"subj{i}"
            alice.send(f"<message type='groupchat' to='{room}' id='{sid}'>"
                       f"<subject>{text}</subject></message>")
            reply = alice.wait_for(lambda s: (s.get("id") == sid and s.get("type") == "error") or
                                   (s.tag == tag("message") and
                                    s.findtext(tag("subject")) == text), OP_TIMEOUT, since)
            subject.record(text, outcome(reply))

        def say(client):
            def op(i):
                body = f"{client.user}-{i}"
                reply = client.request(f"<message type='groupchat' to='{room}' id='{{id}}'>"
                                       f"<body>{body}</body></message>", OP_TIMEOUT)
                messages.append((body, outcome(reply)))
            return op

        def register(client, register_var, may_remove):
            def op(i):
                if may_remove and i % 3 == 0:
                    value, payload = None, "<remove/>"
                else:
                    value = f"{client.user}-nick-{i}"
                    payload = (f"<x xmlns='{DATA}' type='submit'><field var='FORM_TYPE'><value>"
                               "http://jabber.org/protocol/muc#register</value></field><field "
                               f"var='muc#register_roomnick'><value>{value}</value></field></x>")
                reply = client.request(f"<iq type='set' to='{room}' id='{{id}}'><query "
                                       f"xmlns='{REGISTER}'>{payload}</query></iq>", OP_TIMEOUT)
                register_var.record(value, outcome(reply))
            return op

        workers = [
            Worker(alice, room, [config_op, affiliation_op, subject_op], seed + 1),
            Worker(bob, room, [say(bob), say(bob), register(bob, bob_nick, False)], seed + 2),
            Worker(carol, room, [say(carol), register(carol, carol_nick, True)], seed + 3),
        ]
        for w in workers:
            w.start()
        kills = 0
        for _ in range(6):
            time.sleep(rng.uniform(0.3, 1.5))
            mucd.kill()
            kills += 1
            time.sleep(rng.uniform(0.0, 0.3))
            mucd.start()
        time.sleep(0.5)
        for w in workers:
            w.stop.set()
        for w in workers:
            w.join(timeout=OP_TIMEOUT + 5)
            assert not w.is_alive(), f"{w.name} did not stop"
            assert w.error is None, f"{w.name} failed: {w.error!r}"

        # -- what mucd has now
        time.sleep(0.3)  # let the restored sessions' checks settle
        form = alice.request(f"<iq type='get' to='{room}' id='{{id}}'>"
                             f"<query xmlns='{MUC_OWNER}'/></iq>")
        assert form is not None and form.get("type") == "result", mucd.diagnostics()

        def field(var):
            for f in form.iter(tag("field", DATA)):
                if f.get("var") == var:
                    return f.findtext(tag("value", DATA)) or ""
            return None

        final_name, final_desc = field("muc#roomconfig_roomname"), field("muc#roomconfig_roomdesc")
        members_reply = alice.request(f"<iq type='get' to='{room}' id='{{id}}'><query "
                                      f"xmlns='{MUC_ADMIN}'><item affiliation='member'/></query>"
                                      "</iq>")
        assert members_reply is not None and members_reply.get("type") == "result"
        members = {item.get("jid") for item in members_reply.iter(tag("item", MUC_ADMIN))}

        def registered(client):
            reply = client.request(f"<iq type='get' to='{room}' id='{{id}}'>"
                                   f"<query xmlns='{REGISTER}'/></iq>")
            assert reply is not None and reply.get("type") == "result", \
                f"{client.user} cannot read its registration"
            query = reply.find(tag("query", REGISTER))
            if query.find(tag("registered", REGISTER)) is None:
                return None
            return query.findtext(tag("username", REGISTER))

        verifier = Client(host.c2s_port, "verifier").connect()
        clients.append(verifier)
        since = verifier.mark()
        join(verifier, room, "Verifier", history=1000)
        final_subject = verifier.wait_for(lambda s: s.find(tag("subject")) is not None,
                                          since=since).findtext(tag("subject")) or ""
        history = {s.findtext(tag("body")) for s in verifier.received(since)
                   if s.tag == tag("message") and s.find(tag("body")) is not None}

        # -- every acknowledged change is there, nothing is half there
        problems = []
        if final_name != final_desc:
            problems.append(f"half-applied configuration: name {final_name!r}, "
                            f"description {final_desc!r}")
        for var, final in ((name, final_name), (subject, final_subject),
                           (bob_nick, registered(bob)), (carol_nick, registered(carol))):
            if final not in var.allowed():
                problems.append(f"{var.name} is {final!r}; after its acknowledged changes it "
                                f"may only be one of {sorted(map(str, var.allowed()))}")
        for i, status in pairs:
            present = {f"u{i}a@localhost" in members, f"u{i}b@localhost" in members}
            if len(present) == 2:
                problems.append(f"affiliation change {i} is half applied")
            elif status == ACKED and present != {True}:
                problems.append(f"acknowledged affiliation change {i} is lost")
            elif status == FAILED and present != {False}:
                problems.append(f"refused affiliation change {i} was applied")
        sent = {body for body, status in messages if status != FAILED}
        for body, status in messages:
            if status == ACKED and body not in history:
                problems.append(f"acknowledged message {body!r} is not in the history")
        for body in history - sent:
            problems.append(f"the history holds {body!r}, which was refused or never sent")

        counts = {"config": name.acked(), "affiliation": sum(st == ACKED for _, st in pairs),
                  "registration": bob_nick.acked() + carol_nick.acked(),
                  "subject": subject.acked(),
                  "message": sum(st == ACKED for _, st in messages)}
        acked = sum(counts.values())
        unknown = sum(st == UNKNOWN for _, st in pairs + messages) + sum(
            st == UNKNOWN for var in (name, subject, bob_nick, carol_nick) for _, st in var.ops)
        summary = (f"durability: {kills} kills (seed {seed}), {acked} acknowledged changes "
                   f"checked ({', '.join(f'{n} {k}' for k, n in counts.items())}), "
                   f"{unknown} unanswered")
        with capsys.disabled():  # shown in every run, not only when the test fails
            print(f"\n{summary}")
        assert not problems, summary + "\n" + "\n".join(problems) + "\n" + mucd.diagnostics()
        assert kills >= 5
        assert counts["message"] > 0 and counts["config"] > 0 and counts["affiliation"] > 0, \
            summary
    finally:
        for client in clients:
            client.close()
