"""Callbacks of an SMS gateway (Kannel's delivery reports and incoming SMS), kept durably.

The listener stores a callback, committed, before answering it; the same callback twice (the gateway
retries until answered) is one row. Applying a row and marking it processed happen in one transaction,
claimed by compare-and-set on ``processed_at``, so two callers never apply the same row twice.
"""

import json
import time

from vigie.daemon.core.models import Callback, database

RETRY_SECONDS = 2.0          # a report whose part is not recorded yet is looked at again after this


def store(kind: str, key: str, params: dict) -> bool:
    """Keep one callback; False when it was already kept (a repeat). Committed on return."""
    with database.atomic():
        inserted = (Callback.insert(kind=kind, key=key, params=json.dumps(params, ensure_ascii=False),
                                    received_at=time.time())
                    .on_conflict_ignore().as_rowcount().execute())
    return inserted == 1


def due(limit: int = 200, now: float | None = None) -> list[Callback]:
    """Rows not applied yet whose turn has come, oldest first."""
    now = now or time.time()
    return list(Callback.select()
                .where(Callback.processed_at.is_null() & (Callback.next_try_at <= now))
                .order_by(Callback.id).limit(limit))


def claim(row: Callback, outcome: str) -> bool:
    """Inside the caller's transaction: mark ``row`` processed; False if another caller did first."""
    return bool(Callback.update(processed_at=time.time(), outcome=outcome)
                .where((Callback.id == row.id) & Callback.processed_at.is_null()).execute())


def later(row: Callback, seconds: float = RETRY_SECONDS) -> None:
    """Not applicable yet (its part is not recorded): look again after ``seconds``."""
    (Callback.update(next_try_at=time.time() + seconds, tries=Callback.tries + 1)
     .where(Callback.id == row.id).execute())


def params(row: Callback) -> dict:
    return json.loads(row.params)


def pending_count() -> int:
    return Callback.select().where(Callback.processed_at.is_null()).count()
