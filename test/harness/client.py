"""A small XMPP client for integration tests: logs in to the test Prosody (SASL PLAIN, no TLS),
binds a resource, and collects every stanza it receives on a reader thread.

    with Client(host.c2s_port, "alice") as alice:
        alice.send(f"<presence to='room@{MUC_DOMAIN}/alice'><x xmlns='{MUC}'/></presence>")
        alice.wait_for(lambda s: s.tag == tag("presence") and s.get("from").endswith("/alice"))
        reply = alice.request("<iq type='get' to='...' id='{id}'>...</iq>")  # waits by id

Like a real client, it answers XEP-0199 pings (so a service checking that it is still there gets
an answer) unless answer_pings=False. Stanzas are xml.etree elements; tag() builds the
namespaced names ("{jabber:client}message").
"""

import base64
import itertools
import socket
import threading
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr  # noqa: F401  (re-exported for test helpers)

CLIENT_NS = "jabber:client"
MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
MUC_OWNER = "http://jabber.org/protocol/muc#owner"
DATA = "jabber:x:data"
REGISTER = "jabber:iq:register"
PING = "urn:xmpp:ping"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"

_ids = itertools.count(1)


def tag(name, ns=CLIENT_NS):
    return f"{{{ns}}}{name}"


def new_id(prefix="t"):
    return f"{prefix}{next(_ids)}"


def statuses(stanza):
    """The muc#user status codes of a stanza, as a set of strings."""
    x = stanza.find(tag("x", MUC_USER))
    return set() if x is None else {s.get("code") for s in x.findall(tag("status", MUC_USER))}


def error_condition(stanza):
    """The defined condition of an error stanza ('item-not-found'), '' when there is none."""
    error = stanza.find(tag("error"))
    if error is None:
        return ""
    for child in error:
        if child.tag.startswith(f"{{{STANZAS}}}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return ""


class ClientError(RuntimeError):
    pass


class Client:
    def __init__(self, port, user, *, domain="localhost", resource="r", host="127.0.0.1",
                 password="pw", answer_pings=True, timeout=5.0):
        self.port, self.user, self.domain, self.resource = port, user, domain, resource
        self.host, self.password, self.timeout = host, password, timeout
        self.answer_pings = answer_pings
        self.jid = None  # the bound full JID
        self.sock = None
        self._parser = None
        self._depth = 0
        self._pending = []  # elements parsed but not yet returned
        self._received = []
        self._cond = threading.Condition()
        self._reader = None
        self._closed = False
        self._send_lock = threading.Lock()

    # -- life cycle
    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        features = self._open_stream()
        if "PLAIN" not in ET.tostring(features, encoding="unicode"):
            raise ClientError("the server does not offer SASL PLAIN without TLS")
        token = base64.b64encode(f"\0{self.user}\0{self.password}".encode()).decode()
        self._write(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}"
                    "</auth>")
        answer = self._next_element()
        if not answer.tag.endswith("}success"):
            raise ClientError(f"login of {self.user} refused: {ET.tostring(answer)!r}")
        self._open_stream()
        self._write("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                    f"<resource>{escape(self.resource)}</resource></bind></iq>")
        bound = self._next_element()
        jid = bound.find(".//{urn:ietf:params:xml:ns:xmpp-bind}jid")
        if bound.get("type") != "result" or jid is None:
            raise ClientError(f"bind failed: {ET.tostring(bound)!r}")
        self.jid = jid.text
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, name=f"xmpp-{self.user}",
                                        daemon=True)
        self._reader.start()
        self.send("<presence/>")
        return self

    def close(self):
        """Ends the stream politely (the server then tells everyone the client went offline)."""
        if self.sock is None or self._closed:
            return
        try:
            self.send("</stream:stream>")
        except OSError:
            pass
        self._closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self._reader:
            self._reader.join(timeout=2)

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    # -- sending and receiving
    def send(self, xml):
        with self._send_lock:
            self._write(xml)

    def mark(self):
        """A position in the received stanzas, for wait_for(since=...)."""
        with self._cond:
            return len(self._received)

    def received(self, since=0):
        with self._cond:
            return list(self._received[since:])

    def wait_for(self, predicate, timeout=None, since=0):
        """The first stanza received at or after `since` that satisfies predicate; None after
        timeout seconds."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._cond:
            index = since
            while True:
                while index < len(self._received):
                    stanza = self._received[index]
                    index += 1
                    if predicate(stanza):
                        return stanza
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._cond.wait(left)

    def request(self, xml, timeout=None):
        """Sends xml with '{id}' replaced by a fresh id; returns the stanza that answers it
        (same id: an iq result or error, a message echo or error), or None after timeout."""
        stanza_id = new_id()
        since = self.mark()
        self.send(xml.replace("{id}", stanza_id))
        return self.wait_for(lambda s: s.get("id") == stanza_id, timeout, since)

    # -- internals
    def _write(self, text):
        self.sock.sendall(text.encode())

    def _open_stream(self):
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._depth = 0
        self._pending = []
        self._write(f"<?xml version='1.0'?><stream:stream to='{self.domain}' version='1.0' "
                    "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
        features = self._next_element()
        if not features.tag.endswith("}features"):
            raise ClientError(f"expected stream features, got {ET.tostring(features)!r}")
        return features

    def _next_element(self):
        """The next complete top-level element of the stream; raises ConnectionError at its
        end."""
        while not self._pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the stream")
            self._parser.feed(data)
            for event, element in self._parser.read_events():
                if event == "start":
                    self._depth += 1
                else:
                    self._depth -= 1
                    if self._depth == 1:
                        self._pending.append(element)
                    elif self._depth == 0:
                        raise ConnectionError("the server ended the stream")
        return self._pending.pop(0)

    def _read_loop(self):
        try:
            while not self._closed:
                stanza = self._next_element()
                if (self.answer_pings and stanza.tag == tag("iq") and stanza.get("type") == "get"
                        and stanza.find(tag("ping", PING)) is not None):
                    to = stanza.get("from", "")
                    self.send(f"<iq type='result' to={quoteattr(to)} "
                              f"id={quoteattr(stanza.get('id', ''))}/>")
                with self._cond:
                    self._received.append(stanza)
                    self._cond.notify_all()
        except (OSError, ConnectionError, ET.ParseError):
            pass
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()
