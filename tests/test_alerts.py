"""Alerts on the real outbox: one transaction, cancel, resend, expiry, panic preset priority, summary."""

import time

import pytest

from vigie.daemon.core import alerts, defaults, members, outbox, presets
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import Alert, AuditLog, Message, OptOut
from vigie.daemon.core.outbox import State
from vigie.daemon.core.targeting import Targeting

from .fixtures_domain import make_siret

TEXT = "Gendarmerie : cambriolages à Sées cette nuit. Fermez vos accès, signalez tout fait suspect au 17."


def add_members(n, commune="61464", naf="47.77Z", start=0):
    return [members.add(siret=make_siret(start + i), name=f"Commerce {start + i}", naf=naf, commune=commune,
                        phones=[f"06 00 00 {start + i:02d} 01", f"06 00 00 {start + i:02d} 02"], actor="test")
            for i in range(n)]


def test_create_queues_one_message_per_phone_in_one_transaction(domain_settings):
    add_members(3)
    add_members(2, naf="47.26Z", start=10)
    before = time.time()
    alert = alerts.create(TEXT, Targeting(sectors=["47.77Z"]), settings=domain_settings, author="adj. Durand",
                          source="cli", priority=5)
    assert Alert.select().count() == 1
    rows = list(Message.select().where(Message.alert == alert.id))
    assert len(rows) == alert.recipient_count == 6
    assert {m.state for m in rows} == {"queued"}
    assert {m.priority for m in rows} == {5}
    assert {m.max_attempts for m in rows} == {domain_settings.daemon.max_attempts}
    assert {m.text for m in rows} == {TEXT}
    hours = domain_settings.alerts.default_expiry_hours
    assert all(before + hours * 3600 <= m.expires_at <= time.time() + hours * 3600 for m in rows)
    assert all(m.member_id for m in rows)
    entry = AuditLog.get(AuditLog.action == "alert.send")
    assert (entry.actor, entry.count) == ("adj. Durand", 6)


def test_explicit_expiry_and_parts(domain_settings):
    add_members(1)
    expires = time.time() + 600
    alert = alerts.create("é" * 5 + "œ" * 100, Targeting(all=True), settings=domain_settings, author="t",
                          source="cli", expires_at=expires)
    assert (alert.encoding, alert.parts) == ("ucs2", 2)
    assert {(m.expires_at, m.parts) for m in Message.select()} == {(expires, 2)}


def test_dry_run_writes_nothing(domain_settings):
    add_members(4)
    alert = alerts.create(TEXT, Targeting(all=True), settings=domain_settings, author="t", source="cli",
                          dry_run=True)
    assert alert.recipient_count == 8 and alert.id is None
    assert Message.select().count() == 0 and Alert.select().count() == 0


@pytest.mark.parametrize("text,targeting,field", [
    ("", Targeting(all=True), None),
    ("x" * 2000, Targeting(all=True), None),
    (TEXT, Targeting(), "targeting"),
    (TEXT, Targeting(sectors=["inconnu"]), "sectors"),
    (TEXT, Targeting(communes=["61001"]), "targeting"),      # nobody there
])
def test_refusals_write_nothing(domain_settings, text, targeting, field):
    add_members(2)
    with pytest.raises(InvalidInput) as e:
        alerts.create(text, targeting, settings=domain_settings, author="t", source="cli")
    if field:
        assert e.value.field == field
    assert Message.select().count() == 0 and Alert.select().count() == 0


def test_opted_out_and_suspended_are_skipped(domain_settings):
    a, b = add_members(2)
    OptOut.create(phone="+33600000001")
    members.set_status(b.id, "suspended", "t")
    alert = alerts.create(TEXT, Targeting(all=True), settings=domain_settings, author="t", source="cli")
    assert [m.phone for m in Message.select().where(Message.alert == alert.id)] == ["+33600000002"]


def test_cancel_and_resend_failed(domain_settings):
    add_members(3)
    alert = alerts.create(TEXT, Targeting(all=True), settings=domain_settings, author="t", source="cli")
    first = outbox.claim("hat")
    outbox.mark_failed(first, "numéro inconnu", 1)
    second = outbox.claim("hat")
    outbox.mark_sent(second)
    assert alerts.resend_failed(alert.id, "t") == 1
    assert Message.get_by_id(first.id).state == "queued"
    n = alerts.cancel(alert.id, "t")
    assert n == 5                                  # the 4 never sent and the one requeued
    assert Message.get_by_id(second.id).state == "sent"
    assert Alert.get_by_id(alert.id).state == "cancelled"
    assert AuditLog.select().where(AuditLog.action.in_(["alert.cancel", "alert.resend_failed"])).count() == 2
    with pytest.raises(NotFound):
        alerts.cancel(999, "t")


def test_send_preset_has_panic_priority(domain_settings):
    defaults.ensure_defaults()
    add_members(2)
    alert = alerts.send_preset("panique", settings=domain_settings, author="bouton")
    assert alert.priority == outbox.PRIORITY_PANIC and alert.source == "button" and alert.preset == "panique"
    assert {m.priority for m in Message.select()} == {outbox.PRIORITY_PANIC}
    assert Message.select().count() == 4
    with pytest.raises(NotFound):
        alerts.send_preset("inexistant", settings=domain_settings, author="bouton")


def test_presets_crud(domain_settings):
    add_members(1)
    p = presets.create("vol de gasoil", "Vols de gasoil signalés, fermez vos cuves.",
                       Targeting(sectors=["rev2:01"], around="61006", radius_km=20), actor="t")
    assert presets.targeting_of(p).radius_km == 20
    presets.update("vol de gasoil", text="Vols de gasoil : fermez vos cuves.", actor="t")
    assert presets.get("Vol de gasoil").text.startswith("Vols de gasoil :")
    with pytest.raises(InvalidInput):
        presets.create("vol de gasoil", "x", Targeting(all=True), actor="t")
    with pytest.raises(InvalidInput):
        presets.create("vide", "x", Targeting(), actor="t")
    presets.delete("vol de gasoil", "t")
    assert presets.find("vol de gasoil") is None


def test_summary_and_recipients(domain_settings):
    add_members(2)
    alert = alerts.create(TEXT, Targeting(around="61464", radius_km=5), settings=domain_settings, author="t",
                          source="console")
    m = outbox.claim("hat")
    outbox.mark_failed(m, "Numéro inconnu du réseau.", 1)
    s = alerts.summary(alert.id)
    assert s["recipient_count"] == 4 and s["counts"]["failed"] == 1 and s["counts"]["queued"] == 3
    assert s["targeting"] == "5 km autour de Sées"
    assert s["encoding"] == "gsm7" and s["source"] == "console"
    failed = alerts.recipients(alert.id, state="failed")
    assert len(failed) == 1
    r = failed[0]
    assert r["state_label"] == State.FAILED.label and r["error"] == "Numéro inconnu du réseau."
    assert r["member"] == "Commerce 0" and r["siret"] == make_siret(0)
    assert len(alerts.recipients(alert.id, offset=1, limit=2)) == 2
    listed = alerts.list_alerts()
    assert listed[0]["id"] == alert.id and listed[0]["counts"]["failed"] == 1


def test_purge_removes_only_old_finished_history(domain_settings):
    from vigie.daemon.core import retention
    from vigie.daemon.core.models import InboundSms
    add_members(2)
    old = alerts.create(TEXT, Targeting(all=True), settings=domain_settings, author="t", source="cli")
    recent = alerts.create(TEXT, Targeting(all=True), settings=domain_settings, author="t", source="cli")
    long_ago = time.time() - 400 * 86400
    Message.update(state="delivered", created_at=long_ago).where(Message.alert == old.id).execute()
    Alert.update(state="done", created_at=long_ago).where(Alert.id == old.id).execute()
    stuck = outbox.enqueue("+33600000001", "en attente depuis longtemps")
    Message.update(created_at=long_ago).where(Message.id == stuck.id).execute()
    InboundSms.create(modem="hat", phone="+33600000001", text="vieux", kind="incident", received_at=long_ago)
    InboundSms.create(modem="hat", phone="+33600000001", text="pas traité", kind="", received_at=long_ago)
    result = retention.purge(settings=domain_settings, actor="t")          # 365 days by default
    assert result["messages"] == 4 and result["alerts"] == 1 and result["incoming_sms"] == 1
    assert Alert.get_or_none(Alert.id == old.id) is None
    assert Message.select().where(Message.alert == recent.id).count() == 4
    assert Message.get_or_none(Message.id == stuck.id) is not None       # not final: kept
    assert [s.text for s in InboundSms.select()] == ["pas traité"]
    assert AuditLog.get(AuditLog.action == "retention.purge").count == 4
    with pytest.raises(InvalidInput):
        retention.purge(0, settings=domain_settings, actor="t")


@pytest.mark.parametrize("hours", [0, -1, 72.01, 500, float("nan"), float("inf"), "12", True, None])
def test_expiry_is_capped_at_72_hours_in_french(hours):
    with pytest.raises(InvalidInput) as refused:
        alerts.expiry_after(hours)
    assert refused.value.field == "expires_hours" and "72 heures" in refused.value.message


def test_expiry_up_to_72_hours_is_accepted_and_create_refuses_beyond(domain_settings):
    add_members(1)
    assert alerts.expiry_after(72, now=1000.0) == 1000.0 + 72 * 3600
    alert = alerts.create(TEXT, Targeting(all=True), settings=domain_settings, author="t", source="cli",
                          expires_at=alerts.expiry_after(72))
    assert alert.recipient_count == 2
    with pytest.raises(InvalidInput) as refused:
        alerts.create(TEXT, Targeting(all=True), settings=domain_settings, author="t", source="cli",
                      expires_at=time.time() + 500 * 3600)
    assert refused.value.field == "expires_at" and "72 heures" in refused.value.message
    assert Alert.select().count() == 1
