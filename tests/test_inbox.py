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


# --- after a STOP, nothing but the confirmation (issue 14) ---------------------------------------

def test_stop_cancels_what_waits_for_that_phone(domain_settings, member):
    from vigie.daemon.core import alerts, outbox
    from vigie.daemon.core.targeting import Targeting
    other = members.add(siret=make_siret(2), name="Tabac", naf="47.26Z", commune="61001",
                        phones=["06 00 00 02 01"], actor="test")
    alert = alerts.create("Alerte test", Targeting(all=True), settings=domain_settings, author="t", source="cli")
    retry = outbox.enqueue(MEMBER_PHONE, "Un SMS isolé", max_attempts=5)
    claimed = outbox.claim("hat")
    while claimed.id != retry.id:                      # the lone SMS waits for a retry
        outbox.release(claimed, "test")
        Message.update(next_attempt_at=1e12).where(Message.id == claimed.id).execute()
        claimed = outbox.claim("hat")
    outbox.mark_retry(claimed, "Refusé temporairement (+CMS ERROR 38)", code=38)
    Message.update(next_attempt_at=0).where(Message.id != retry.id).execute()
    receive("STOP")
    inbox.handle_pending(domain_settings)
    mine = {m.id: m for m in Message.select().where(Message.phone == MEMBER_PHONE)}
    cancelled = [m for m in mine.values() if m.state == "cancelled"]
    assert len(cancelled) == 2 and all(m.error == inbox.STOP_CANCEL_REASON for m in cancelled)
    assert [m.text for m in mine.values() if m.state == "queued"] == [inbox.STOP_REPLY]
    theirs = Message.get((Message.phone == "+33600000201") & (Message.alert == alert.id))
    assert theirs.state == "queued" and other.id
    assert '"cancelled": 2' in AuditLog.get(AuditLog.action == "optout.stop").detail


def test_resend_failed_skips_phones_that_answered_stop_since(domain_settings, member):
    from vigie.daemon.core import alerts, outbox
    from vigie.daemon.core.targeting import Targeting
    members.add(siret=make_siret(2), name="Tabac", naf="47.26Z", commune="61001",
                phones=["06 00 00 02 01"], actor="test")
    alert = alerts.create("Alerte test", Targeting(all=True), settings=domain_settings, author="t", source="cli")
    for _ in range(2):
        outbox.mark_failed(outbox.claim("hat"), "Refus définitif (+CMS ERROR 21)", 21)
    receive("STOP")
    inbox.handle_pending(domain_settings)
    assert alerts.resend_failed(alert.id, "test") == 1
    stopped = Message.get((Message.phone == MEMBER_PHONE) & (Message.alert == alert.id))
    assert stopped.state == "failed" and "répondu STOP depuis" in stopped.error
    again = Message.get((Message.phone == "+33600000201") & (Message.alert == alert.id))
    assert again.state == "queued"
    assert alerts.resend_failed(alert.id, "test") == 0
    assert Message.get_by_id(stopped.id).error.count("répondu STOP depuis") == 1


@pytest.mark.parametrize("sender", ["36179", "81212", "Orange", "SFR-INFO", "+3336179", "+447700900123",
                                    "+33142000000", "0600000101"])
def test_no_confirmation_to_short_codes_alphanumeric_foreign_or_landline_senders(domain_settings,
                                                                                database, sender):
    receive("STOP", phone=sender)
    inbox.handle_pending(domain_settings)
    receive("START", phone=sender)
    inbox.handle_pending(domain_settings)
    replies = Message.select().where(Message.text.in_([inbox.STOP_REPLY, inbox.START_REPLY]))
    if sender == "0600000101":            # a national mobile number is normalised and answered
        assert replies.count() == 2
    else:
        assert replies.count() == 0, [(m.phone, m.text) for m in replies]


@pytest.mark.parametrize("phone", ["+590690001234", "+262692001234", "+596696001234", "+594694001234",
                                   "+33750123456"])
def test_overseas_and_07_mobiles_get_their_confirmation(domain_settings, database, phone):
    receive("STOP", phone=phone)
    inbox.handle_pending(domain_settings)
    assert Message.get().phone == phone and Message.get().text == inbox.STOP_REPLY


def test_an_automatic_responder_never_makes_a_loop(domain_settings, member):
    for i in range(10):
        receive("STOP" if i % 2 == 0 else "START")
        inbox.handle_pending(domain_settings)
    assert Message.select().where(Message.phone == MEMBER_PHONE).count() == inbox.REPLY_LIMIT
