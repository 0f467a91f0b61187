"""Transports the box must not open again by itself until a person acts (a SIM that refused the
configured PIN): one row per transport, kept across restarts, lifted when the configuration
changes what was refused (another key) or when the transport opens again."""

import time

from vigie.daemon.core.models import TransportBlock


def blocked(name: str, key: str | None) -> str | None:
    """The French reason ``name`` stays closed, when a block with this ``key`` is kept; else None."""
    if not key:
        return None
    row = TransportBlock.get_or_none(TransportBlock.name == name)
    return row.reason if row is not None and row.key == key else None


def block(name: str, key: str, reason: str) -> None:
    row = dict(key=key, reason=reason, created_at=time.time())
    (TransportBlock.insert(name=name, **row)
     .on_conflict(conflict_target=[TransportBlock.name], update=row).execute())


def lift(name: str) -> int:
    """The transport opened: whatever was kept against it is forgotten."""
    return TransportBlock.delete().where(TransportBlock.name == name).execute()
