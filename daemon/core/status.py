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


# The box's clock is implausible when it is this far behind what it already recorded, or this far from
# the network time a modem reports.
CLOCK_BEHIND_SECONDS = 120.0
CLOCK_NETWORK_SECONDS = 300.0


def last_recorded_event() -> float | None:
    """The latest time the box wrote down: the journal, the newest message's steps, the newest SMS
    received (each read from one row: the newest by id, or an indexed maximum)."""
    from vigie.daemon.core.models import AuditLog, InboundSms, Message
    times = [AuditLog.select(AuditLog.at).order_by(AuditLog.at.desc()).limit(1).scalar()]
    newest = Message.select().order_by(Message.id.desc()).first()
    if newest is not None:
        times += [newest.created_at, newest.sent_at, newest.delivered_at, newest.finished_at]
    times.append(InboundSms.select(InboundSms.received_at).order_by(InboundSms.id.desc()).limit(1).scalar())
    times = [t for t in times if t is not None]
    return max(times) if times else None


def clock_warning(now: float | None = None) -> str:
    """Why the box's clock cannot be trusted, in French; "" when nothing says so."""
    from vigie.daemon.core import schedule
    from vigie.daemon.core.reference.french import duration
    now = time.time() if now is None else now
    advice = (" Les heures affichées et enregistrées sont fausses : voir « Garder l'heure sans internet » "
              "dans le guide du matériel.")
    last = last_recorded_event()
    if last is not None and now < last - CLOCK_BEHIND_SECONDS:
        return (f"L'horloge de la box indique le {schedule.paris(now):%d/%m/%Y à %H:%M}, avant le dernier "
                f"événement enregistré (le {schedule.paris(last):%d/%m/%Y à %H:%M}) : elle a reculé de "
                f"{duration(round((last - now) / 60) * 60)} au moins." + advice)
    for row in _status_rows().where(TransportStatus.network_time_offset.is_null(False)):
        offset = row.network_time_offset
        if abs(offset) > CLOCK_NETWORK_SECONDS:
            way = "retarde" if offset > 0 else "avance"
            minutes = round(abs(offset) / 60) * 60         # the module's clock has whole seconds
            return (f"L'horloge de la box {way} de {duration(minutes)} sur l'heure du réseau donnée "
                    f"par le modem {row.name}." + advice)
    return ""
