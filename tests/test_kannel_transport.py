"""The Kannel transport on the seam, through real bearerbox + smsbox to the simulated SMSC."""

import pytest

from tests.fixtures_kannel import transport_of, wait_until
from vigie.daemon.core.errors import PermanentFailure
from vigie.daemon.transport.kannel import conf as kconf
from vigie.daemon.transport.kannel.transport import TransportGone, split

PHONE = "+33612345678"
LONG = ("Vols de gasoil en série sur les chantiers de la zone d'activité de Flers cette semaine. Fermez les "
        "réservoirs à clé, éclairez les parcs la nuit et signalez tout véhicule suspect au 17. Merci.")


def test_split_counts_like_the_box():
    assert split("Bonjour") == ("gsm7", ["Bonjour"])
    encoding, parts = split(LONG)
    assert encoding == "gsm7" and "".join(parts) == LONG and len(parts) == 2 and len(parts[0]) == 153
    encoding, parts = split("€" * 100)            # 2 septets each: 76 per part, the pair never cut
    assert encoding == "gsm7" and [len(p) for p in parts] == [76, 24]
    encoding, parts = split("☎" * 80)
    assert encoding == "ucs2" and [len(p) for p in parts] == [67, 13]


def test_long_message_goes_out_in_tracked_parts(smsc, kannel, callbacks):
    k = kannel()
    t = transport_of(k)
    info = t.open()
    assert t.health().up and info["operator"] == k.conf.smsc_id
    segments = t.segments(PHONE, LONG, ref=77, validity_hours=6)
    assert [(s.number, s.count) for s in segments] == [(1, 2), (2, 2)]
    refs = [t.submit(s, {"message": 12, "part": s.number, "attempt": 1}).result(5) for s in segments]
    assert refs == ["12.1.1", "12.2.1"]
    assert smsc.wait_air(2, 30), k.logs()
    air = sorted(smsc.air(), key=lambda a: a["part"])
    assert "".join(a["text"] for a in air) == LONG
    assert {(a["ref"], a["parts"]) for a in air} == {(77, 2)} and air[0]["from"] == "GEND61"
    for number in (1, 2):
        for status in (kconf.DLR_SMSC_ACK, kconf.DLR_DELIVERED):
            assert callbacks.wait(lambda c, n=number, st=status: c.query.get("message") == "12"
                                  and c.query.get("part") == str(n) and c.query.get("status") == str(st)), k.logs()
    t.close()


def test_ucs2_text_is_sent_in_ucs2(smsc, kannel):
    k = kannel()
    t = transport_of(k)
    t.open()
    text = "Alerte ☎ : rôdeurs signalés à Écouché"
    [segment] = t.segments(PHONE, text, ref=1, validity_hours=None)
    t.submit(segment, {"message": 3, "part": 1, "attempt": 1}).result()
    assert smsc.wait_air(1, 30)
    assert (smsc.air()[0]["encoding"], smsc.air()[0]["text"]) == ("ucs2", text)


def test_health_follows_the_smsc_link(smsc, kannel):
    k = kannel()
    t = transport_of(k)
    assert t.health().up
    smsc.drop(refuse_seconds=600)
    assert wait_until(lambda: not t.health().up, 30), k.status()
    assert "hors ligne" in t.health().detail
    # while the link is down, Kannel keeps what it is given (store file) and says so
    [segment] = t.segments(PHONE, "En attente", ref=1, validity_hours=None)
    assert t.submit(segment, {"message": 4, "part": 1, "attempt": 1}).result() == "4.1.1"
    smsc.drop(refuse_seconds=0)
    assert wait_until(lambda: t.health().up, 30), k.status()
    assert smsc.wait_air(1, 30)


def test_kannel_down_is_transport_gone(smsc, kannel):
    k = kannel()
    t = transport_of(k)
    t.open()
    k.stop()
    assert not t.health().up and "ne répond pas" in t.health().detail
    [segment] = t.segments(PHONE, "Personne", ref=1, validity_hours=None)
    with pytest.raises(TransportGone):
        t.submit(segment, {"message": 5, "part": 1, "attempt": 1})
    with pytest.raises(TransportGone):
        t.open()
    assert smsc.air() == []


def test_answers_of_smsbox_are_translated(smsc, kannel):
    k = kannel()
    wrong = transport_of(k, password="faux")
    [segment] = wrong.segments(PHONE, "Refusé", ref=1, validity_hours=None)
    with pytest.raises(TransportGone, match="refusée par Kannel"):
        wrong.submit(segment, {"message": 6, "part": 1, "attempt": 1}).result()
    t = transport_of(k)
    [bad] = t.segments("", "Sans destinataire", ref=1, validity_hours=None)
    with pytest.raises(PermanentFailure):
        t.submit(bad, {"message": 7, "part": 1, "attempt": 1}).result()
    assert smsc.air() == []
