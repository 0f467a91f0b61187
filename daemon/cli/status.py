"""`vigie status`: the modems, the daemon's heartbeat and the queue, as the daemon last wrote them."""

from vigie.daemon.cli._common import fmt_time, iso_time, open_db, print_json
from vigie.daemon.core import outbox
from vigie.daemon.core.quotas import WINDOW_LABELS
from vigie.daemon.core.status import daemon_liveness, modem_rows, storage_problem, transport_rows


def register(sub):
    p = sub.add_parser("status", help="état des modems et de la file d'envoi")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=run)


def daemon_state() -> dict:
    live = daemon_liveness()
    return {"alive": live.alive, "last_heartbeat": iso_time(live.updated_at),
            "age_seconds": round(live.age, 1) if live.age is not None else None, "pid": live.pid}


def quota_words(quota: dict) -> str:
    """« aujourd'hui 12/300, destinataires ce mois-ci 45/200 (plafond atteint) »: the limited windows."""
    words = []
    for window, q in quota.items():
        if q["limit"] is not None:
            full = " (plafond atteint)" if q["used"] >= q["limit"] else ""
            words.append(f"{WINDOW_LABELS[window]} {q['used']}/{q['limit']}{full}")
    return ", ".join(words)


def run(args) -> int:
    settings = open_db(args)
    modems = modem_rows()
    transports = transport_rows(settings)
    quotas_by_name = {t["name"]: t["quota"] for t in transports}
    queue = outbox.counts()
    daemon = daemon_state()
    if args.json:
        print_json({"daemon": daemon,
                    "modems": [dict(m, last_contact=iso_time(m["last_contact"]),
                                    updated_at=iso_time(m["updated_at"])) for m in modems],
                    "transports": [dict(t, updated_at=iso_time(t["updated_at"])) for t in transports],
                    "queue": queue, "storage": storage_problem()})
        return 0
    disk = storage_problem()
    if disk:
        print(disk)
    if daemon["alive"]:
        print(f"Démon : en marche (pid {daemon['pid']}, dernier signe de vie il y a {daemon['age_seconds']:.0f} s)")
    elif daemon["last_heartbeat"]:
        print(f"Démon : NE RÉPOND PLUS depuis {daemon['age_seconds']:.0f} s")
    else:
        print("Démon : jamais démarré")
    if not modems:
        print("Modems : aucun état enregistré")
    for m in modems:
        signal = "—" if m["signal"] in (None, 99) else f"{m['signal']}/31"
        line = (f"Modem {m['name']} : {m['state_label']}, signal {signal}, opérateur {m['operator'] or '—'}, "
                f"dernier contact {fmt_time(m['last_contact'])}, {m['sent_count']} SMS envoyés")
        if m["last_error"]:
            line += f" — {m['last_error']}"
        print(line)
        limited = quota_words(quotas_by_name.get(m["name"], {}))
        if limited:
            print(f"  quotas : {limited}")
    labels = {s.value: s.label for s in outbox.State}
    print("File : " + ", ".join(f"{labels[k]} {v}" for k, v in queue.items()))
    return 0
