"""Opening the shared SQLite file: pragmas for concurrency and durability, and schema migrations.

The daemon and the console are separate processes on one file: WAL lets readers run beside the
writer, ``busy_timeout`` turns a momentary lock into a wait instead of an error, and
``synchronous=FULL`` makes every commit survive a power cut (the outbox must).
"""

import logging
import os

import peewee as pw

from vigie.daemon.core import models

log = logging.getLogger(__name__)

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "full",
    "cache_size": -8000,        # 8 MB page cache per connection
    "temp_store": "memory",
}


def _migration_1(db: pw.Database) -> None:
    db.create_tables(models.ALL_MODELS)


def _migration_2(db: pw.Database) -> None:
    """The member list is ordered by name: an index makes its page a lookup, not a sort of every member."""
    db.execute_sql('CREATE INDEX IF NOT EXISTS "member_name" ON "member" ("name")')


def _columns(db: pw.Database, table: str) -> set[str]:
    return {row[1] for row in db.execute_sql(f'PRAGMA table_info("{table}")')}


def _migration_3(db: pw.Database) -> None:
    """The transport seam: a part's and a report's provider reference is text (``mr``, the GSM TP-MR,
    becomes ``reference``), and the modem status table becomes the transport status table, with each
    transport's kind and priority. A table already in the new shape (created by migration 1 from the
    current models) is left alone."""
    for table in ("part", "status_report"):
        if "mr" not in _columns(db, table):
            continue
        if table == "part":
            db.execute_sql('DROP INDEX IF EXISTS "part_modem_mr_sent_at"')
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "reference" TEXT NOT NULL DEFAULT \'\'')
        db.execute_sql(f'UPDATE "{table}" SET "reference" = CAST("mr" AS TEXT)')
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "mr"')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "part_modem_reference_sent_at" ON "part" ("modem", "reference", "sent_at")')
    if "modem_status" in db.get_tables():
        db.execute_sql('ALTER TABLE "modem_status" RENAME TO "transport_status"')
        db.execute_sql('ALTER TABLE "transport_status" ADD COLUMN "kind" VARCHAR(255) NOT NULL DEFAULT \'gsm\'')
        db.execute_sql('ALTER TABLE "transport_status" ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 0')


def _migration_4(db: pw.Database) -> None:
    """Alerts with a life: scheduled start, quiet hours, acknowledgements, exercises, test group."""
    for table, column, sql_type in [
        ("alert", "start_at", "REAL"), ("alert", "urgent", "INTEGER NOT NULL DEFAULT 1"),
        ("alert", "ack", "INTEGER NOT NULL DEFAULT 0"), ("alert", "exercise", "INTEGER NOT NULL DEFAULT 0"),
        ("message", "acknowledged_at", "REAL"), ("member", "test_group", "INTEGER NOT NULL DEFAULT 0"),
        ("preset", "exercise", "INTEGER NOT NULL DEFAULT 0"), ("preset", "ack", "INTEGER NOT NULL DEFAULT 0"),
    ]:
        if column not in _columns(db, table):          # a fresh database got it from create_tables already
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {sql_type}')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "message_phone_ack" ON "message" ("phone", "acknowledged_at")')


# --- migration 5: NAF 2025 (issue 17) ------------------------------------------------------

def _migration_5_naf_2025(db: pw.Database) -> None:
    """Members may carry a NAF 2025 code beside their rév. 2 one (``member.naf_2025``, "" when unknown;
    ``member.sirene_naf_2025``: the one SIRENE gave at the last check).

    Selectors stored before NAF 2025 meant rév. 2: a bare code that is now ambiguous ("47", "F") in a
    sector group or a preset's targeting is spelt "rev2:47"; a shipped sector group still holding its
    rév. 2-only definition gets its definition in both nomenclatures. Idempotent: migration 1 creates a
    new database from the current models, the column included.
    """
    import json

    from vigie.daemon.core import defaults
    from vigie.daemon.core.reference import naf

    columns = _columns(db, "member")
    if "naf_2025" not in columns:
        db.execute_sql("""ALTER TABLE "member" ADD COLUMN "naf_2025" VARCHAR(6) NOT NULL DEFAULT ''""")
    if "sirene_naf_2025" not in columns:        # what the last SIRENE check read, for the to-do list
        db.execute_sql("""ALTER TABLE "member" ADD COLUMN "sirene_naf_2025" VARCHAR(6) NOT NULL DEFAULT ''""")
    db.execute_sql('CREATE INDEX IF NOT EXISTS "member_naf_2025" ON "member" ("naf_2025")')

    def spelt(code: str) -> str:
        return f"rev2:{naf.normalize(code)}" if naf.is_ambiguous(code) else code

    shipped = {name: codes for name, codes, _ in defaults.SECTOR_GROUPS}
    for group_id, name, codes in db.execute_sql('SELECT id, name, codes FROM "sector_group"').fetchall():
        if defaults.FORMER_SECTOR_GROUPS.get(name) == " ".join(codes.split()):
            new = shipped[name]
        else:
            new = " ".join(spelt(c) for c in codes.split())
        if new != codes:
            db.execute_sql('UPDATE "sector_group" SET codes = ? WHERE id = ?', (new, group_id))
    for preset_id, text in db.execute_sql('SELECT id, targeting FROM "preset"').fetchall():
        try:
            data = json.loads(text or "{}")
        except ValueError:
            continue
        if not isinstance(data, dict) or not data.get("sectors"):
            continue
        group_names = {row[0].lower() for row in db.execute_sql('SELECT name FROM "sector_group"').fetchall()}
        sectors = [s if str(s).strip().lower() in group_names else spelt(str(s)) for s in data["sectors"]]
        if sectors != data["sectors"]:
            data["sectors"] = sectors
            db.execute_sql('UPDATE "preset" SET targeting = ? WHERE id = ?',
                           (json.dumps(data, ensure_ascii=False, sort_keys=True), preset_id))


def _migration_6(db: pw.Database) -> None:
    """Idempotency keys: a confirmation submitted twice creates one alert."""
    db.create_tables([models.IdempotencyKey], safe=True)


def _migration_7(db: pw.Database) -> None:
    """Kannel's callbacks (delivery reports, incoming SMS) are stored before they are answered."""
    db.create_tables([models.Callback], safe=True)


def _migration_8_operations(db: pw.Database) -> None:
    """The console as an operations screen (issue 15): a received SMS can be marked « traité »
    (``inbound_sms.treated_at``, ``treated_by``), and a message carries the time of its last state
    change (``message.changed_at``) so the alert page fetches only what changed. Idempotent."""
    inbound = _columns(db, "inbound_sms")
    if "treated_at" not in inbound:
        db.execute_sql('ALTER TABLE "inbound_sms" ADD COLUMN "treated_at" REAL')
    if "treated_by" not in inbound:
        db.execute_sql("""ALTER TABLE "inbound_sms" ADD COLUMN "treated_by" VARCHAR(255) NOT NULL DEFAULT ''""")
    if "changed_at" not in _columns(db, "message"):
        db.execute_sql('ALTER TABLE "message" ADD COLUMN "changed_at" REAL NOT NULL DEFAULT 0')
        db.execute_sql('UPDATE "message" SET "changed_at" = MAX(COALESCE("created_at", 0), COALESCE("claimed_at", 0), '
                       'COALESCE("sent_at", 0), COALESCE("delivered_at", 0), COALESCE("finished_at", 0), '
                       'COALESCE("acknowledged_at", 0))')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "message_alert_id_changed_at" ON "message" ("alert_id", "changed_at")')


def _migration_9(db: pw.Database) -> None:
    """Transports the box must not open by itself again (a SIM that refused its PIN), kept across restarts."""
    db.create_tables([models.TransportBlock], safe=True)


def _migration_10_network_time(db: pw.Database) -> None:
    """The network time a modem reports (``AT+CCLK?``), kept as its offset from the box's clock."""
    if "network_time_offset" not in _columns(db, "transport_status"):
        db.execute_sql('ALTER TABLE "transport_status" ADD COLUMN "network_time_offset" REAL')


# Each entry upgrades the schema from version i to i + 1; append, never edit a released one.
MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4, _migration_5_naf_2025, _migration_6,
              _migration_7, _migration_8_operations, _migration_9, _migration_10_network_time]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: pw.Database) -> int:
    return db.execute_sql("PRAGMA user_version").fetchone()[0]


def migrate(db: pw.Database) -> None:
    """Bring the schema to SCHEMA_VERSION, one migration per transaction."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"La base est en version {current}, plus récente que ce logiciel ({SCHEMA_VERSION})."
        )
    for version in range(current, SCHEMA_VERSION):
        with db.atomic("IMMEDIATE"):
            MIGRATIONS[version](db)
            db.execute_sql(f"PRAGMA user_version = {version + 1}")
        log.info("schéma migré de la version %d à %d", version, version + 1)


def open_database(path: str, seed: bool = True) -> pw.SqliteDatabase:
    """Open (creating if needed) the database at ``path``, migrate it and bind the models."""
    if path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # IMMEDIATE: a transaction that reads then writes takes the write lock first, so it waits
    # (busy_timeout) instead of failing with "database is locked" when another process wrote meanwhile.
    db = pw.SqliteDatabase(path, pragmas=PRAGMAS, timeout=15, check_same_thread=False,
                           lock_type="IMMEDIATE")
    models.database.initialize(db)
    db.connect(reuse_if_open=True)
    migrate(db)
    if seed:
        from vigie.daemon.core.reference import geo
        geo.ensure_reference_data()
    return db


def close_database() -> None:
    db = models.database.obj
    if db is not None and not db.is_closed():
        db.close()


def integrity_check(db: pw.Database) -> str:
    """``ok`` when SQLite finds the file sound."""
    return db.execute_sql("PRAGMA integrity_check").fetchone()[0]
