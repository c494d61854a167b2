"""mod_mucd_fanout (packaging/prosody/) is for mucd only: a client that sends the component's
domain a <fanout/> list or a <bundle/>, or asks the module's question, gets no expansion and no
answer from the module. (The scripts run with the module and without it in test_seeds_mucd.py.)"""

import time

from harness import MUC_DOMAIN
from harness.client import Client, error_condition, new_id
from conftest import mucd_service

FANOUT = "urn:mucd:fanout:0"


def test_a_client_cannot_make_prosody_fan_out():
    with mucd_service() as (host, mucd):
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
