"""Read models of the box's health, written once for the CLI, the console and the daemon: transport
states and their French labels, daemon liveness."""

# Link states of a transport (GSM modem, operator route); the labels are what people read.
DISCONNECTED, CONNECTING, READY, DEGRADED = "disconnected", "connecting", "ready", "degraded"
STATE_LABELS = {DISCONNECTED: "déconnecté", CONNECTING: "connexion en cours", READY: "prêt",
                DEGRADED: "sans réseau"}

# The daemon is alive when its heartbeat is at most this old.
ALIVE_SECONDS = 60.0
