"""Members through the real API and a real SQLite file: validation, update, status, erasure, RGPD export."""

import json

import pytest

from vigie.daemon.core import members, outbox
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import AuditLog, Contact, InboundSms, Member, Message

from .fixtures_domain import make_siret

GOOD = dict(siret="732 829 320 00074", name="Bijouterie Martin", naf="4777Z", commune="61001",
            phones=["06 12 34 56 78"], actor="test")


def add(**overrides):
    return members.add(**dict(GOOD, **overrides))


def test_add_normalises_every_field(database):
    m = add(phones=["06 12 34 56 78", "+33 7 98 76 54 32", "0612345678"], chamber="CCI",
            email="Contact@Exemple.FR", contact="  Jeanne   Martin ", consent_date="03/02/2025",
            sign="Or & Temps")
    assert m.siret == "73282932000074"
    assert m.naf == "47.77Z"
    assert m.commune_id == "61001"
    assert m.chamber == "cci"
    assert m.consent_date == "2025-02-03"
    assert members.phones_of(m) == ["+33612345678", "+33798765432"]
    assert members.as_dict(m)["contact"] == "Jeanne Martin"
    assert AuditLog.select().where(AuditLog.action == "member.add").count() == 1


def test_former_commune_is_mapped_to_current(database):
    m = add(commune="61003")            # Anceins, now La Ferté-en-Ouche
    assert m.commune_id == "61167"


@pytest.mark.parametrize("field,overrides", [
    ("siret", {"siret": "73282932000075"}),            # bad Luhn key
    ("siret", {"siret": "1234"}),
    ("siret", {"siret": ""}),
    ("name", {"name": "   "}),
    ("naf", {"naf": "99.99Z"}),
    ("naf", {"naf": ""}),
    ("commune", {"commune": "75056"}),                  # Paris: not a loaded commune
    ("commune", {"commune": "Alençon"}),
    ("phone", {"phones": ["02 33 26 12 34"]}),          # landline
    ("phone", {"phones": []}),
    ("phone", {"phones": ["06 12 34 56 78", "pas un numéro"]}),
    ("chamber", {"chamber": "syndicat"}),
    ("email", {"email": "pas-une-adresse"}),
    ("consent_date", {"consent_date": "31/02/2024"}),
    ("consent_date", {"consent_date": "01/01/2999"}),
    ("status", {"status": "erased"}),
    ("status", {"status": "bizarre"}),
])
def test_each_bad_field_is_refused_by_name_and_nothing_written(database, field, overrides):
    with pytest.raises(InvalidInput) as e:
        add(**overrides)
    assert e.value.field == field
    assert len(e.value.message) > 10
    assert Member.select().count() == 0
    assert Contact.select().count() == 0


def test_duplicate_siret_refused(database):
    add()
    with pytest.raises(InvalidInput) as e:
        add(name="Autre")
    assert e.value.field == "siret"
    assert Member.select().count() == 1


def test_update_changes_only_what_is_given(database):
    m = add(contact="Jeanne")
    m = members.update(m.id, actor="test", phones=["07 98 76 54 32"], name="Bijouterie Martin & fils")
    assert m.name == "Bijouterie Martin & fils"
    assert m.naf == "47.77Z"
    assert members.phones_of(m) == ["+33798765432"]
    assert members.as_dict(m)["contact"] == "Jeanne"
    with pytest.raises(InvalidInput) as e:
        members.update(m.id, actor="test", naf="00.00Z")
    assert e.value.field == "naf"
    assert members.get(m.id).naf == "47.77Z"


def test_get_by_siret_or_id(database):
    m = add()
    assert members.get("732 829 320 00074").id == m.id
    assert members.get(m.id).siret == m.siret
    assert members.get(str(m.id)).siret == m.siret
    with pytest.raises(NotFound):
        members.get("73282932000082")


def test_status_changes_are_audited(database):
    m = add()
    members.set_status(m.id, "suspendu", "test")
    assert members.get(m.id).status == "suspended"
    members.set_status(m.id, "left", "test")
    assert members.get(m.id).status == "left"
    assert AuditLog.select().where(AuditLog.action == "member.status").count() == 2


def test_search_filters(database):
    add()
    add(siret=make_siret(1), name="Tabac de la Gare", naf="47.26Z", commune="61169", phones=["0600000001"])
    add(siret=make_siret(2), name="Garage du Centre", naf="45.20A", commune="61169", phones=["0600000002"],
        chamber="cma")
    assert members.search("tabac")[1] == 1
    assert [m.name for m in members.search(naf="rev2:47")[0]] == ["Bijouterie Martin", "Tabac de la Gare"]
    assert members.search(commune="61169")[1] == 2
    assert members.search(chamber="cma")[0][0].name == "Garage du Centre"
    assert members.search("0600000002")[0][0].name == "Garage du Centre"
    page, total = members.search(limit=1, offset=1)
    assert total == 3 and len(page) == 1
    with pytest.raises(InvalidInput) as e:
        members.search(naf="pas un secteur")
    assert e.value.field == "sectors"


def test_erase_removes_personal_data_and_keeps_counts(database):
    m = add(contact="Jeanne Martin", email="j@exemple.fr", address="1 rue de Bretagne", notes="clé chez le voisin")
    other = add(siret=make_siret(3), name="Voisin", phones=["06 12 34 56 78", "0600000003"])
    outbox.enqueue("+33612345678", "alerte", member=m.id)
    outbox.enqueue("+33600000009", "alerte", member=m.id)
    InboundSms.create(modem="m", phone="+33612345678", text="vu un suspect", kind="incident", member=m.id)
    members.erase(m.id, "test")
    gone = Member.get_by_id(m.id)
    assert gone.status == "erased" and gone.siret is None
    assert gone.email == gone.address == gone.notes == gone.sign == ""
    assert "Martin" not in gone.name
    assert Contact.select().where(Contact.member == m.id).count() == 0
    assert Message.select().where(Message.member == m.id).count() == 2        # counts kept
    assert all(msg.phone == members.ERASED for msg in Message.select().where(Message.member == m.id))
    assert InboundSms.get().text == "(effacé)"
    # the shared phone still belongs to the other member
    assert members.phones_of(other) == ["+33612345678", "+33600000003"]
    assert not AuditLog.select().where(AuditLog.target == "73282932000074").exists()
    # the SIRET is free again
    add()


def test_personal_data_export_holds_everything(database):
    m = add(contact="Jeanne")
    outbox.enqueue("+33612345678", "alerte test", member=m.id)
    InboundSms.create(modem="m", phone="+33612345678", text="STOP", kind="stop", member=m.id)
    data = members.personal_data(m.id)
    json.dumps(data)
    assert data["member"]["siret"] == "73282932000074"
    assert data["contacts"][0]["name"] == "Jeanne"
    assert [x["text"] for x in data["messages"]] == ["alerte test"]
    assert data["incoming_sms"][0]["text"] == "STOP"
    assert any(a["action"] == "member.add" for a in data["audit"])


def test_erase_cancels_what_was_not_sent(database):
    m = add()
    waiting = outbox.enqueue("+33612345678", "alerte", member=m.id)
    members.erase(m.id, "test")
    assert Message.get_by_id(waiting.id).state == "cancelled"
