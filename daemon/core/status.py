"""Read models of the box's health, written once for the CLI, the console and the daemon: transport
states and their French labels, daemon liveness."""

# Link states of a transport (GSM modem, operator route); the labels are what people read.
DISCONNECTED, CONNECTING, READY, DEGRADED = "disconnected", "connecting", "ready", "degraded"
STATE_LABELS = {DISCONNECTED: "déconnecté", CONNECTING: "connexion en cours", READY: "prêt",
                DEGRADED: "sans réseau"}

# Kinds of transport, as people name them.
KIND_LABELS = {"gsm": "modem", "kannel": "route opérateur", "fake": "transport d'essai"}

# The daemon is alive when its heartbeat is at most this old.
ALIVE_SECONDS = 60.0


def modem_rows() -> list[dict]:
    """The status row of each transport, as the daemon last wrote it (``vigie status``, the console)."""
    from vigie.daemon.core.models import ModemStatus
    return [dict(name=m.name, state=m.state, state_label=STATE_LABELS.get(m.state, m.state),
                 signal=m.signal, operator=m.operator, registered=m.registered, model=m.model,
                 imei=m.imei, last_contact=m.last_contact, last_error=m.last_error,
                 sent_count=m.sent_count, updated_at=m.updated_at)
            for m in ModemStatus.select().order_by(ModemStatus.name)]
