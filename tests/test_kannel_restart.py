"""Kannel killed (SIGKILL) and restarted in the middle of a broadcast: what it had accepted is in its store
file, the reports it was waiting for are in its DLR spool, so every part still goes out once and every
report is matched."""

from tests.fixtures_kannel import SECRET, listen_of, send_through, state_of, transport_of, wait_until
from vigie.daemon.core.models import Message


def test_kannel_killed_with_parts_queued_then_restarted(smsc, kannel, listener):
    lst = listener()
    k = kannel(callback_listen=listen_of(lst), callback_secret=SECRET)
    t = transport_of(k)
    first = [send_through(t, f"+3361200000{n}", f"Alerte {n}") for n in range(3)]
    assert smsc.wait_air(3, 30)
    smsc.drop(refuse_seconds=3600)              # the operator's link goes down...
    assert wait_until(lambda: not t.health().up, 30), k.status()
    queued = [send_through(t, f"+3361200001{n}", f"Alerte suite {n}") for n in range(4)]   # kept by Kannel
    k.kill()                                    # ...and Kannel dies with four parts in its queue
    smsc.drop(refuse_seconds=0)
    k.start()
    assert smsc.wait_air(7, 60), k.logs()
    texts = sorted(a["text"] for a in smsc.air())
    assert texts == sorted([f"Alerte {n}" for n in range(3)] + [f"Alerte suite {n}" for n in range(4)])
    for m in first + queued:
        assert wait_until(lambda m=m: state_of(m.id) == "delivered", 60), k.logs()


def test_kannel_killed_while_reports_are_due(smsc, kannel, listener):
    lst = listener()
    k = kannel(callback_listen=listen_of(lst), callback_secret=SECRET)
    t = transport_of(k)
    smsc.set_report("delivered", delay=2.0)
    sent = [send_through(t, f"+3361200002{n}", f"Rapport {n}") for n in range(5)]
    assert smsc.wait_air(5, 30)
    k.kill()                                    # the receipts come while Kannel is dead: the SMSC keeps them
    assert smsc.store.wait_for(lambda: len(smsc.store.events("deliver_sm_queued")) == 5, 30)
    assert smsc.pending_deliveries() == 5 and not smsc.store.events("deliver_sm_acked")
    assert all(Message.get_by_id(m.id).state == "sent" for m in sent)
    k.start()
    for m in sent:
        assert wait_until(lambda m=m: state_of(m.id) == "delivered", 60), k.logs()
    assert len(smsc.air()) == 5                 # nothing sent twice
