"""Build tests/data/schema-v2.sql: a database written by the code of commit 279c053 (schema version 2,
before the transport seam), one or more rows in every table, dumped as SQL.

Run with that commit's code first on the path, e.g.:
    mkdir -p /tmp/old/vigie && git archive 279c053 daemon | tar -x -C /tmp/old
    touch /tmp/old/vigie/__init__.py && ln -s /tmp/old/daemon /tmp/old/vigie/daemon
    PYTHONPATH=/tmp/old .venv/bin/python tests/data/build_schema_v2.py tests/data/schema-v2.sql
"""

import os
import sqlite3
import sys
import tempfile
import time

from vigie.daemon import db, link, outbox
from vigie.daemon.models import (
    Alert,
    ApiToken,
    AuditLog,
    Commune,
    Contact,
    FormerCommune,
    Heartbeat,
    LoginFailure,
    Member,
    ModemStatus,
    OptOut,
    Preset,
    SectorGroup,
    Session,
    User,
    Zone,
    ZoneCommune,
)
from vigie.daemon.modem import Incoming

T0 = 1_790_000_000.0      # where the old code lets us choose the time


def build(path: str) -> None:
    db.open_database(path, seed=False)
    assert db.SCHEMA_VERSION == 2, "run this with the code of commit 279c053"
    argentan = Commune.create(insee="61006", name="Argentan", postal_code="61200", latitude=48.74,
                              longitude=-0.02, departement="61", canton="6101")
    flers = Commune.create(insee="61169", name="Flers", postal_code="61100", latitude=48.75,
                           longitude=-0.57, departement="61")
    FormerCommune.create(insee="61999", name="Ancienne commune", parent=flers)
    zone = Zone.create(name="compagnie d'Argentan", created_at=T0)
    ZoneCommune.create(zone=zone, commune=argentan)
    SectorGroup.create(name="bijouteries", codes="47.77Z", created_at=T0)
    member = Member.create(siret="12345678200010", name="Bijouterie Durand", naf="47.77Z", commune=argentan,
                           created_at=T0, updated_at=T0, consent_date="2026-01-15")
    Contact.create(member=member, phone="+33611111111", name="Mme Durand")
    Contact.create(member=member, phone="+33622222222", position=1)
    OptOut.create(phone="+33699999999", created_at=T0)
    alert = Alert.create(text="Vol à l'étalage signalé", targeting='{"all": true}', author="admin",
                         recipient_count=3, created_at=T0)
    # Messages through the outbox of the time: delivered (TP-MR 0 and 255, two parts), failed by a
    # report, retry, unsent.
    now = time.time()
    a = outbox.enqueue("+33611111111", "deux parties " * 20, alert=alert, member=member, parts=2)
    b = outbox.enqueue("+33622222222", "refusé", alert=alert, member=member)
    c = outbox.enqueue("+33633333333", "réessai", alert=alert)
    outbox.enqueue("+33644444444", "en attente", alert=alert)
    m = outbox.claim("hat")
    outbox.record_part(m, 1, 2, "hat", 255, sent_at=now)
    outbox.record_part(m, 2, 2, "hat", 0, sent_at=now)
    outbox.mark_sent(m)
    outbox.match_report("hat", 255, "+33611111111", 0x00, received_at=now + 1)
    outbox.match_report("hat", 0, "33611111111", 0x00, received_at=now + 2, time_sent=now, time_finalized=now + 1)
    m = outbox.claim("hat")
    outbox.record_part(m, 1, 1, "hat", 17, sent_at=now)
    outbox.mark_sent(m)
    outbox.match_report("hat", 17, "+33622222222", 0x43, received_at=now + 3)
    outbox.match_report("hat", 200, "+33600000000", 0x00, received_at=now + 4)      # unmatched
    m = outbox.claim("cle-usb")
    outbox.mark_retry(m, "réseau hors service", code=38, base=3600)
    assert {a.id, b.id, c.id}
    link.store_incoming("hat", Incoming(number="+33611111111", text="STOP", time=T0))
    link.store_incoming("hat", Incoming(number="+33655555555", text="première partie ", time=T0,
                                        concat=(7, 2, 1)))                          # half an SMS
    ModemStatus.create(name="hat", state="ready", signal=18, operator="Orange F", registered=True,
                       model="SIMCOM_SIM800", imei="861234567890123", last_contact=T0, sent_count=2,
                       updated_at=T0)
    ModemStatus.create(name="cle-usb", state="degraded", last_error="pas d'enregistrement sur le réseau",
                       updated_at=T0)
    Heartbeat.create(component="daemon", pid=1234, info='{"queue": 2}', updated_at=T0)
    user = User.create(username="admin", password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                       role="admin", created_at=T0)
    Session.create(token_hash="ab" * 32, user=user, csrf="cd" * 16, created_at=T0, last_seen=T0)
    ApiToken.create(user=user, name="supervision", token_hash="ef" * 32, created_at=T0)
    LoginFailure.create(username="admin", address="192.0.2.7", at=T0)
    Preset.create(name="panique", text="Alerte : besoin d'aide", targeting='{"all": true}', priority=100,
                  created_at=T0, updated_at=T0)
    AuditLog.create(at=T0, actor="admin", action="alert.send", target="1", count=3)
    db.close_database()


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "old.db")
        build(path)
        con = sqlite3.connect(path)
        version = con.execute("PRAGMA user_version").fetchone()[0]
        lines = [f"PRAGMA user_version = {version};"] + list(con.iterdump())
        con.close()
    with open(out, "w", encoding="utf-8") as f:
        f.write("-- Written by tests/data/build_schema_v2.py with the code of commit 279c053.\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
