"""Read models of the box's health, written once for the CLI, the console and the daemon: transport
states and their French labels, daemon liveness, the status rows of the transports."""

import dataclasses
import time

from vigie.daemon.core.models import Heartbeat, TransportBlock, TransportStatus

# Link states of a transport (GSM modem, operator route); the labels are what people read.
DISCONNECTED, CONNECTING, READY, DEGRADED = "disconnected", "connecting", "ready", "degraded"
SUSPENDED = "suspended"         # up, but paused by its circuit breaker (it refused every send)
STATE_LABELS = {DISCONNECTED: "déconnecté", CONNECTING: "connexion en cours", READY: "prêt",
                DEGRADED: "sans réseau", SUSPENDED: "en pause"}

# Kinds of transport, as people name them.
KIND_LABELS = {"gsm": "modem", "kannel": "route opérateur", "fake": "transport d'essai"}

# The daemon is alive when its heartbeat is at most this old.
ALIVE_SECONDS = 60.0


def state_label(state: str | None) -> str:
    """A transport state in French (an unknown state is shown as it is)."""
    return STATE_LABELS.get(state, state or "")


def daemon_alive(age: float | None) -> bool:
    """Whether a heartbeat ``age`` seconds old (None: never seen) says the daemon is running."""
    return age is not None and age <= ALIVE_SECONDS


@dataclasses.dataclass(frozen=True)
class Liveness:
    """The daemon's last sign of life: ``age`` in seconds, None when it never started."""
    alive: bool
    age: float | None
    updated_at: float | None
    pid: int | None


def daemon_liveness(now: float | None = None) -> Liveness:
    beat = Heartbeat.get_or_none(Heartbeat.component == "daemon")
    if beat is None:
        return Liveness(alive=False, age=None, updated_at=None, pid=None)
    age = max(0.0, (time.time() if now is None else now) - beat.updated_at)
    return Liveness(alive=daemon_alive(age), age=age, updated_at=beat.updated_at, pid=beat.pid)


def _status_rows(kind: str | None = None):
    query = TransportStatus.select().order_by(TransportStatus.name)
    if kind is not None:
        query = query.where(TransportStatus.kind == kind)
    return query


def _blocks() -> dict[str, str]:
    """Reasons transports stay closed until a person acts (a refused PIN), by name."""
    return {b.name: b.reason for b in TransportBlock.select()}


def modem_rows() -> list[dict]:
    """One row per GSM modem as its worker last published it (the `modems` of `vigie status --json`);
    a kept block (a refused PIN) is its ``last_error``, daemon running or not."""
    blocked = _blocks()
    return [dict(name=m.name, state=m.state, state_label=state_label(m.state),
                 signal=m.signal, operator=m.operator, registered=m.registered, model=m.model,
                 imei=m.imei, last_contact=m.last_contact, last_error=blocked.get(m.name) or m.last_error,
                 sent_count=m.sent_count, updated_at=m.updated_at)
            for m in _status_rows("gsm")]


def transport_rows(settings=None, now: float | None = None) -> list[dict]:
    """Every transport (GSM modems, operator routes), as its worker last wrote it, with its ``quota``:
    used and limit per window, counted from the outbox (limits from ``settings``, None without)."""
    from vigie.daemon.core import quotas
    limits = quotas.configured(settings) if settings is not None else {}
    blocked = _blocks()
    return [dict(name=t.name, kind=t.kind, kind_label=KIND_LABELS.get(t.kind, t.kind), state=t.state,
                 state_label=state_label(t.state), priority=t.priority,
                 last_error=blocked.get(t.name) or t.last_error, sent_count=t.sent_count, updated_at=t.updated_at,
                 quota=quotas.table(limits.get(t.name, (t.kind, quotas.Limits()))[1], quotas.usage(t.name, now, phones=False)))
            for t in _status_rows()]


def storage_problem() -> str:
    """What the daemon says while it cannot write the store (a full disk), read from its state file."""
    from vigie.daemon.core import storage
    from vigie.daemon.core.models import database
    return storage.problem(getattr(database.obj, "database", None))
