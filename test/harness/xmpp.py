"""A minimal XMPP client-side probe: can this account log in with this password?"""

import base64
import socket
import time


def _read_until(sock, markers, timeout):
    data, deadline = b"", time.monotonic() + timeout
    while not any(m in data for m in markers):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {markers} from the server; got {data[-300:]!r}")
        sock.settimeout(left)
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"server closed the stream; got {data[-300:]!r}")
        data += chunk
    return data


def plain_login(port, domain, user, password, host="127.0.0.1", timeout=5.0):
    """True if SASL PLAIN (without TLS) succeeds for user@domain, False if the server refuses."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(f"<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' "
                     "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                     .encode())
        features = _read_until(sock, [b"</stream:features>"], timeout)
        if b"PLAIN" not in features:
            raise AssertionError(f"server does not offer PLAIN without TLS: {features!r}")
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        sock.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}"
                     "</auth>".encode())
        answer = _read_until(sock, [b"<success", b"<failure"], timeout)
        sock.sendall(b"</stream:stream>")
        return b"<success" in answer
