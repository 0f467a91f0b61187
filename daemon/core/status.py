"""Read models of the box's health, written once for the CLI, the console and the daemon: transport
states and their French labels, daemon liveness, the status rows of the transports."""

# Link states of a transport (GSM modem, operator route); the labels are what people read.
DISCONNECTED, CONNECTING, READY, DEGRADED = "disconnected", "connecting", "ready", "degraded"
STATE_LABELS = {DISCONNECTED: "déconnecté", CONNECTING: "connexion en cours", READY: "prêt",
                DEGRADED: "sans réseau"}

# Kinds of transport, as people name them.
KIND_LABELS = {"gsm": "modem", "kannel": "route opérateur", "fake": "transport d'essai"}

# The daemon is alive when its heartbeat is at most this old.
ALIVE_SECONDS = 60.0



def _status_rows(kind: str | None = None):
    from vigie.daemon.core.models import TransportStatus
    query = TransportStatus.select().order_by(TransportStatus.name)
    if kind is not None:
        query = query.where(TransportStatus.kind == kind)
    return query


def modem_rows() -> list[dict]:
    """The status row of each GSM modem, as its worker last wrote it (``vigie status``, the console)."""
    return [dict(name=m.name, state=m.state, state_label=STATE_LABELS.get(m.state, m.state),
                 signal=m.signal, operator=m.operator, registered=m.registered, model=m.model,
                 imei=m.imei, last_contact=m.last_contact, last_error=m.last_error,
                 sent_count=m.sent_count, updated_at=m.updated_at)
            for m in _status_rows("gsm")]


def transport_rows() -> list[dict]:
    """Every transport (GSM modems, operator routes), as its worker last wrote it."""
    return [dict(name=t.name, kind=t.kind, kind_label=KIND_LABELS.get(t.kind, t.kind), state=t.state,
                 state_label=STATE_LABELS.get(t.state, t.state), priority=t.priority,
                 last_error=t.last_error, sent_count=t.sent_count, updated_at=t.updated_at)
            for t in _status_rows()]
