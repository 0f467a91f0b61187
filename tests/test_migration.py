"""A database written before the transport seam (schema version 2, the code of commit 279c053, dumped
by tests/data/build_schema_v2.py) upgrades in place and keeps every row, every value: the TP-MR
becomes the text reference, the modem status rows become transport status rows of kind gsm."""

import pathlib
import sqlite3

import pytest

from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Message, Part, StatusReport, TransportStatus
from vigie.daemon.core.status import modem_rows, transport_rows
from vigie.daemon.transport import reports
from vigie.daemon.transport.base import DeliveryReport

DUMP = pathlib.Path(__file__).parent / "data" / "schema-v2.sql"
RENAMED_TABLES = {"modem_status": "transport_status"}
NEW_TABLES = {"idempotency_key", "callback", "transport_block"}   # created by later migrations (6, 7, 9)
RENAMED_COLUMNS = {"mr": "reference"}
# Migration 5 (NAF 2025) rewrites on purpose a shipped sector group still holding its rév. 2-only definition.
UPGRADED = {("sector_group", "codes"): {"47.77Z": "47.77Z 47.77Y"}}


def rows(path) -> dict[str, dict]:
    """Every row of every table, by table and rowid, as plain dicts."""
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%'")]
    found = {}
    for t in tables:
        found[t] = {}
        for r in con.execute(f'SELECT rowid AS "_rowid", * FROM "{t}"'):
            row = dict(r)
            found[t][row.pop("_rowid")] = row
    con.close()
    return found


@pytest.fixture
def old_database(tmp_path):
    path = str(tmp_path / "old.db")
    con = sqlite3.connect(path)
    con.executescript(DUMP.read_text(encoding="utf-8"))
    con.close()
    yield path
    db_mod.close_database()


def test_a_version_2_database_upgrades_in_place_and_keeps_every_row(old_database):
    before = rows(old_database)
    assert sqlite3.connect(old_database).execute("PRAGMA user_version").fetchone()[0] == 2
    empty = sorted(t for t, r in before.items() if not r)
    assert empty == [], f"the dump should fill every table: {empty}"

    db = db_mod.open_database(old_database, seed=False)
    assert db_mod.schema_version(db) == db_mod.SCHEMA_VERSION >= 3
    after = rows(old_database)
    assert sorted([RENAMED_TABLES.get(t, t) for t in before] + list(NEW_TABLES)) == sorted(after)
    for table, old_rows in before.items():
        new_rows = after[RENAMED_TABLES.get(table, table)]
        assert sorted(new_rows) == sorted(old_rows), table
        for rowid, old in old_rows.items():
            new = new_rows[rowid]
            for column, value in old.items():
                if column in RENAMED_COLUMNS:
                    assert new[RENAMED_COLUMNS[column]] == str(value), (table, rowid, column)
                    assert column not in new
                elif (table, column) in UPGRADED:
                    assert new[column] == UPGRADED[table, column].get(value, value), (table, rowid, column)
                else:
                    assert new[column] == value, (table, rowid, column)
    assert {r["kind"] for r in after["transport_status"].values()} == {"gsm"}
    assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    assert db_mod.integrity_check(db) == "ok"


def test_the_upgraded_database_works_with_the_new_code(old_database):
    db_mod.open_database(old_database, seed=False)
    assert sorted(Part.select(Part.reference).tuples()) == [("0",), ("17",), ("255",)]
    assert {r.reference for r in StatusReport.select()} == {"0", "17", "200", "255"}
    # The old part's reference is found by the new matching, on the new index.
    plan = " ".join(str(r) for r in Part._meta.database.execute_sql(
        'EXPLAIN QUERY PLAN SELECT * FROM "part" WHERE "modem" = ? AND "reference" = ? AND "sent_at" >= ?',
        ("hat", "17", 0)))
    assert "part_modem_reference_sent_at" in plan
    failed = Message.get(Message.phone == "+33622222222")
    assert failed.state == "failed" and "destinataire inconnu" in failed.error
    # Queued work is claimed and sent, its report matched, on the migrated rows.
    message = outbox.claim("hat")        # the queued one, or the retry once due (the dump's clock)
    assert message is not None and message.phone in ("+33633333333", "+33644444444")
    outbox.record_part(message, 1, 1, "hat", "42")
    outbox.mark_sent(message)
    report = reports.match("hat", DeliveryReport(reference="42", phone=message.phone, status="delivered",
                                                 raw_status=0))
    assert report.part is not None and Message.get_by_id(message.id).state == "delivered"
    assert {m["name"]: m["state_label"] for m in modem_rows()} == {"cle-usb": "sans réseau", "hat": "prêt"}
    assert {(t["name"], t["kind"], t["priority"]) for t in transport_rows()} == {("cle-usb", "gsm", 0),
                                                                                   ("hat", "gsm", 0)}
    assert TransportStatus.get_by_id("hat").imei == "861234567890123"


def test_a_fresh_database_has_the_new_shape_directly(db_path):
    db = db_mod.open_database(db_path, seed=False)
    columns = {r[1] for r in db.execute_sql('PRAGMA table_info("part")')}
    assert "reference" in columns and "mr" not in columns
    assert "modem_status" not in db.get_tables() and "transport_status" in db.get_tables()
    db_mod.close_database()
