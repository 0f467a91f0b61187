"""The fast paths added for `make bench` give the same answers as the slow ones they replaced.

Claim ahead (the worker claims the next message while the module sends one) must never delay a
panic message nor leave a trace on a message it gave back; the count-only preview must count what
resolve() would return; the member page's batched rows must equal the one-by-one rows.
"""

import sqlite3

import pytest

from tests.fixtures_daemon import daemon_settings, running_daemon, wait_until
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import members, outbox, targeting
from vigie.daemon.core.models import Attempt, Contact, Member, Message, OptOut
from vigie.daemon.core.targeting import Targeting

# --- outbox: unclaim and outranked ------------------------------------------------------------------

def test_unclaim_gives_back_a_message_as_if_never_claimed(database):
    queued = outbox.enqueue("+33611111111", "premier")
    message = outbox.claim("sim0")
    assert message.id == queued.id and message.attempts == 1
    assert outbox.unclaim(message)
    back = Message.get_by_id(queued.id)
    assert (back.state, back.attempts, back.modem, back.claimed_at) == ("queued", 0, None, None)
    assert Attempt.select().where(Attempt.message == queued.id).count() == 0
    again = outbox.claim("sim1")
    assert again.id == queued.id and again.attempts == 1 and again.modem == "sim1"
    assert Attempt.get(Attempt.message == queued.id).modem == "sim1"


def test_unclaim_does_nothing_to_a_message_no_longer_sending(database):
    outbox.enqueue("+33611111111", "premier")
    message = outbox.claim("sim0")
    assert outbox.mark_sent(message)
    assert not outbox.unclaim(message)
    assert Message.get_by_id(message.id).state == "sent"
    assert Attempt.get(Attempt.message == message.id).outcome == "sent"


def test_outranked_sees_only_due_more_urgent_messages(database):
    outbox.enqueue("+33611111111", "masse")
    assert not outbox.outranked(outbox.PRIORITY_NORMAL)
    later = outbox.enqueue("+33622222222", "panique plus tard", priority=outbox.PRIORITY_PANIC)
    Message.update(next_attempt_at=9e12).where(Message.id == later.id).execute()
    assert not outbox.outranked(outbox.PRIORITY_NORMAL)          # not due yet
    outbox.enqueue("+33633333333", "panique", priority=outbox.PRIORITY_PANIC)
    assert outbox.outranked(outbox.PRIORITY_NORMAL)
    assert not outbox.outranked(outbox.PRIORITY_PANIC)           # equal priority does not outrank


# --- the worker's claim ahead ----------------------------------------------------------------------------

def test_panic_message_goes_right_after_the_sms_on_air_not_after_the_one_claimed_ahead(tmp_path, sims):
    sim = sims("sim0", latency=0.5)
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    bulk = [f"+3365{i:07d}" for i in range(12)]
    outbox.enqueue_many([dict(phone=p, text=f"masse {i}", parts=1) for i, p in enumerate(bulk)])
    with running_daemon(settings):
        # The third bulk SMS is with the module (half a second); the fourth is claimed ahead.
        assert sim.wait_event(lambda e: e["type"] == "pdu" and e["to"] == bulk[2], timeout=30)
        assert wait_until(lambda: Message.get(Message.phone == bulk[3]).state == "sending", 60)
        panic = outbox.enqueue("+33699999999", "panique", priority=outbox.PRIORITY_PANIC)
        assert sim.wait_event(lambda e: e["type"] == "on_air" and e["to"] == panic.phone, timeout=30)
    destinations = [e["to"] for e in sim.air()]
    assert destinations[:4] == bulk[:3] + [panic.phone], destinations
    # The message given back to let the panic one pass carries no trace of it.
    assert [a.outcome for a in Attempt.select()] == ["sent"] * len(sim.air())
    for message in Message.select().where(Message.state.in_(["sent", "delivered"])):
        assert message.attempts == 1 and not message.possible_duplicate


def test_stopping_the_daemon_gives_back_the_message_claimed_ahead(tmp_path, sims):
    sim = sims("sim0", latency=0.3)
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    outbox.enqueue_many([dict(phone=f"+3366{i:07d}", text=f"masse {i}", parts=1) for i in range(20)])
    with running_daemon(settings):
        assert sim.wait_air(2, timeout=30)
    counts = outbox.counts()
    assert counts["sending"] == 0
    assert counts["sent"] + counts["delivered"] == len(sim.air())
    assert counts["queued"] == 20 - len(sim.air())
    assert all(m.attempts == 0 for m in Message.select().where(Message.state == "queued"))
    assert Attempt.select().count() == len(sim.air())


def test_pipelined_records_match_every_report_over_a_zero_latency_burst(tmp_path, sims):
    sim = sims("sim0")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    outbox.enqueue_many([dict(phone=f"+3367{i:07d}", text=f"rafale {i}", parts=1) for i in range(150)])
    with running_daemon(settings):
        assert wait_until(lambda: outbox.counts()["delivered"] == 150, 60), outbox.counts()
    from vigie.daemon.core.models import ModemStatus, Part, StatusReport
    assert StatusReport.select().where(StatusReport.part.is_null()).count() == 0
    assert Part.select().count() == 150 == len(sim.air())
    assert ModemStatus.get_by_id("sim0").sent_count == 150


# --- targeting: the count-only preview -----------------------------------------------------------------

TARGETINGS = [
    Targeting(all=True),
    Targeting(sectors=["rev2:47"]),
    Targeting(sectors=["rev2:47.11"], around="61001", radius_km=20),
    Targeting(communes=["61001", "61006"], sectors=["rev2:47"]),
    Targeting(zones=[], around="61169", radius_km=0),
    Targeting(members=["00000000000000"]),      # replaced below by a real SIRET
]


@pytest.mark.parametrize("index", range(len(TARGETINGS)))
def test_count_equals_resolve_with_opt_outs_shared_phones_and_inactive_members(population, index):
    t = TARGETINGS[index]
    if t.members:
        chosen = [m for m in population.members if m["status"] != "active"][:2] + population.members[5:7]
        t = Targeting(members=[m["siret"] for m in chosen], sectors=["rev2:10"])
    for phone in [population.shared_phone] + [m["phones"][0] for m in population.members[100:160]]:
        OptOut.insert(phone=phone).on_conflict_ignore().execute()
    resolved = targeting.resolve(t)
    assert len(resolved) > 0
    assert targeting.count(t) == len(resolved)
    assert len({r.phone for r in resolved}) == len(resolved)


def test_preview_without_recipients_counts_the_same(population, domain_settings):
    t = Targeting(sectors=["rev2:47"])
    full = targeting.preview(t, "Cambriolages à Sées.", domain_settings)
    light = targeting.preview(t, "Cambriolages à Sées.", domain_settings, with_recipients=False)
    assert light.recipients == [] and full.recipients
    assert (light.count, light.sms_total, light.estimated_seconds, light.parts) == \
        (full.count, full.sms_total, full.estimated_seconds, full.parts)


# --- members: the batched page ---------------------------------------------------------------------------

def test_as_dicts_equals_as_dict_one_by_one(population):
    page, total = members.search(limit=60)
    page += [Member.get_by_id(m["id"]) for m in population.members if population.shared_phone in m["phones"]]
    Member.update(commune=None).where(Member.id == page[0].id).execute()
    Contact.delete().where(Contact.member == page[1].id).execute()
    page = [Member.get_by_id(m.id) for m in page]
    assert members.as_dicts(page) == [members.as_dict(m) for m in page]
    assert members.as_dicts([]) == []


def test_member_search_without_text_still_filters_and_counts(population):
    active = sum(1 for m in population.members if m["status"] == "active")
    page, total = members.search(status="active", limit=10)
    assert total == active and len(page) == 10
    assert [m.name for m in page] == sorted(m["name"] for m in population.members if m["status"] == "active")[:10]
    by_town, n = members.search("Alençon", limit=None)
    in_town = {m["id"] for m in population.members if m["commune"] == "61001" and m["status"] != "erased"}
    assert in_town and in_town <= {m.id for m in by_town} and n == len(by_town)


def test_member_name_index_exists_and_schema_is_current(database, db_path):
    with sqlite3.connect(db_path) as con:
        names = {row[1] for row in con.execute("PRAGMA index_list('member')")}
        version = con.execute("PRAGMA user_version").fetchone()[0]
    assert "member_name" in names
    assert version == db_mod.SCHEMA_VERSION >= 2
