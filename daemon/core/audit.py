"""The audit trail: one function, called wherever a person or the button changes something."""

import json

from vigie.daemon.core.models import AuditLog


def record(actor: str, action: str, target: str = "", detail=None, count: int | None = None) -> AuditLog:
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    return AuditLog.create(actor=actor or "inconnu", action=action, target=str(target),
                           detail=detail or "", count=count)
