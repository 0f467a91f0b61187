"""Incoming SMS classification on the database: STOP, START, incidents, unknown senders."""

import pytest

from vigie.daemon.core import inbox, members
from vigie.daemon.core.models import AuditLog, InboundSms, Message, OptOut

from .fixtures_domain import make_siret

MEMBER_PHONE = "+33600000101"


@pytest.fixture
def member(database):
    return members.add(siret=make_siret(1), name="Bijouterie Lefèvre", naf="47.77Z", commune="61001",
                       phones=["06 00 00 01 01"], actor="test")


def receive(text, phone=MEMBER_PHONE):
    return InboundSms.create(modem="hat", phone=phone, text=text)


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop.", "STOP ALERTES", " stop  ! ", "Arrêt", "arret",
                                  "Désinscription", "unsubscribe", "STOP SMS merci", "stop alertes svp"])
def test_stop_variants(domain_settings, member, text):
    sms = receive(text)
    assert inbox.handle_pending(domain_settings) == 1
    sms = InboundSms.get_by_id(sms.id)
    assert sms.kind == "stop" and sms.member_id == member.id and sms.handled_at
    assert OptOut.get_or_none(OptOut.phone == MEMBER_PHONE) is not None
    reply = Message.get()
    assert reply.phone == MEMBER_PHONE and reply.text == inbox.STOP_REPLY and reply.state == "queued"
    assert reply.max_attempts == domain_settings.daemon.max_attempts
    assert AuditLog.select().where(AuditLog.action == "optout.stop").count() == 1


@pytest.mark.parametrize("text", ["Stop, un homme rôde devant le magasin",
                                  "Il faut que ça s'arrête, troisième cambriolage", "Arrêt de bus vandalisé hier soir"])
def test_reports_that_mention_stop_are_incidents(domain_settings, member, text):
    receive(text)
    inbox.handle_pending(domain_settings)
    assert InboundSms.get().kind == "incident"
    assert OptOut.select().count() == 0 and Message.select().count() == 0


def test_second_stop_sends_no_second_confirmation(domain_settings, member):
    receive("STOP")
    receive("stop")
    assert inbox.handle_pending(domain_settings) == 2
    assert [s.kind for s in InboundSms.select()] == ["stop", "stop"]
    assert Message.select().count() == 1 and OptOut.select().count() == 1


@pytest.mark.parametrize("text", ["START", "start", "Démarrer", "REPRISE", "start alertes"])
def test_start_after_stop(domain_settings, member, text):
    receive("STOP")
    inbox.handle_pending(domain_settings)
    receive(text)
    inbox.handle_pending(domain_settings)
    assert OptOut.select().count() == 0
    assert [m.text for m in Message.select().order_by(Message.id)] == [inbox.STOP_REPLY, inbox.START_REPLY]
    assert InboundSms.select().where(InboundSms.kind == "start").count() == 1


def test_start_without_stop_changes_nothing(domain_settings, member):
    receive("START")
    inbox.handle_pending(domain_settings)
    assert InboundSms.get().kind == "start"
    assert Message.select().count() == 0


def test_incident_from_member_and_unknown_sender(domain_settings, member):
    receive("Véhicule suspect, Peugeot grise, devant la bijouterie")
    receive("0600000101 a vu quelque chose", phone="0600000101")          # national form of the same phone
    receive("Bonjour, qui êtes-vous ?", phone="+33600009999")
    receive("Promo forfait", phone="SFR")
    assert inbox.handle_pending(domain_settings) == 4
    kinds = [(s.kind, s.member_id) for s in InboundSms.select().order_by(InboundSms.id)]
    assert kinds == [("incident", member.id), ("incident", member.id), ("unknown", None), ("unknown", None)]
    assert [s.text for s in inbox.incidents()] == ["0600000101 a vu quelque chose",
                                                   "Véhicule suspect, Peugeot grise, devant la bijouterie"]
    assert Message.select().count() == 0


def test_unknown_phone_can_still_stop(domain_settings, database):
    receive("STOP", phone="+33600009999")
    inbox.handle_pending(domain_settings)
    assert OptOut.get_or_none(OptOut.phone == "+33600009999") is not None
    assert InboundSms.get().kind == "stop" and InboundSms.get().member_id is None


def test_already_handled_rows_are_left_alone(domain_settings, member):
    InboundSms.create(modem="hat", phone=MEMBER_PHONE, text="STOP", kind="incident")
    assert inbox.handle_pending(domain_settings) == 0
    assert OptOut.select().count() == 0


def test_opted_out_phone_gets_no_more_alerts(domain_settings, member):
    from vigie.daemon.core import alerts
    from vigie.daemon.core.targeting import Targeting
    other = members.add(siret=make_siret(2), name="Tabac", naf="47.26Z", commune="61001",
                        phones=["06 00 00 02 01"], actor="test")
    receive("STOP")
    inbox.handle_pending(domain_settings)
    alert = alerts.create("Alerte test", Targeting(all=True), settings=domain_settings, author="t", source="cli")
    assert [m.phone for m in Message.select().where(Message.alert == alert.id)] == ["+33600000201"]
    assert other.id


def test_command_words():
    assert inbox.command("S.T.O.P") == "stop"
    assert inbox.command("STOP STOP") == "stop"
    assert inbox.command("stop maintenant le voleur") is None
    assert inbox.command("") is None
    assert inbox.command("Merci") is None


def test_two_handlers_at_once_answer_each_sms_once(domain_settings, member):
    import threading

    from vigie.daemon.core.models import database
    for i in range(20):
        receive("STOP" if i % 2 else "START", phone=f"+336000002{i:02d}")
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=60)
            counts.append(inbox.handle_pending(domain_settings))
        except Exception as e:          # reported below, not swallowed
            errors.append(e)
        finally:
            database.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and sum(counts) == 20
    assert InboundSms.select().where(InboundSms.kind == "").count() == 0
    assert Message.select().count() == 10 and OptOut.select().count() == 10
