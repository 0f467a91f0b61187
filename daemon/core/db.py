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


def _migration_3(db: pw.Database) -> None:
    """Idempotency keys: a confirmation submitted twice creates one alert."""
    db.create_tables([models.IdempotencyKey], safe=True)


# Each entry upgrades the schema from version i to i + 1; append, never edit a released one.
MIGRATIONS = [_migration_1, _migration_2, _migration_3]
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
