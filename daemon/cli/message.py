"""`vigie message show ID`: one outbox message with its attempts, parts and reports."""

from vigie.daemon.cli._common import iso_time, open_db, print_json
from vigie.daemon.core import outbox
from vigie.daemon.core.errors import NotFound
from vigie.daemon.core.models import Attempt, Message, Part, StatusReport


def register(sub):
    p = sub.add_parser("message", help="consulter un message de la file d'envoi")
    msub = p.add_subparsers(dest="action", metavar="ACTION")
    show = msub.add_parser("show", help="afficher un message, ses tentatives et ses accusés")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="sortie JSON")
    show.set_defaults(func=run_show)


def _mr(reference: str):
    """The ``mr`` of the JSON contract: a GSM TP-MR as a number (None for another provider's reference)."""
    return int(reference) if reference.isdigit() else None


def message_dict(message_id: int) -> dict:
    m = Message.get_or_none(Message.id == message_id)
    if m is None:
        raise NotFound(f"Message n° {message_id} introuvable.")
    parts = list(Part.select().where(Part.message == m.id).order_by(Part.attempt, Part.number))
    return {
        "id": m.id, "alert_id": m.alert_id, "phone": m.phone, "text": m.text,
        "state": m.state, "state_label": outbox.State(m.state).label, "priority": m.priority,
        "attempts": m.attempts, "max_attempts": m.max_attempts, "parts": m.parts,
        "possible_duplicate": m.possible_duplicate, "modem": m.modem, "transport": m.modem,
        "error": m.error, "error_code": m.error_code,
        "created_at": iso_time(m.created_at), "sent_at": iso_time(m.sent_at),
        "delivered_at": iso_time(m.delivered_at), "finished_at": iso_time(m.finished_at),
        "expires_at": iso_time(m.expires_at), "next_attempt_at": iso_time(m.next_attempt_at or None),
        "attempt_log": [{"number": a.number, "modem": a.modem, "transport": a.modem, "outcome": a.outcome,
                         "error": a.error, "error_code": a.error_code,
                         "started_at": iso_time(a.started_at), "ended_at": iso_time(a.ended_at)}
                        for a in Attempt.select().where(Attempt.message == m.id).order_by(Attempt.number)],
        "sms_parts": [{"attempt": p.attempt, "number": p.number, "count": p.count, "modem": p.modem,
                       "transport": p.modem, "mr": _mr(p.reference), "reference": p.reference, "status": p.status, "report_status": p.report_status,
                       "sent_at": iso_time(p.sent_at), "report_at": iso_time(p.report_at)} for p in parts],
        "reports": [{"modem": r.modem, "transport": r.modem, "mr": _mr(r.reference), "reference": r.reference,
                     "status": r.status, "received_at": iso_time(r.received_at)}
                    for r in StatusReport.select().where(StatusReport.part.in_([p.id for p in parts]))
                    .order_by(StatusReport.received_at)],
    }


def run_show(args) -> int:
    open_db(args)
    d = message_dict(args.id)
    if args.json:
        print_json(d)
        return 0
    print(f"Message n° {d['id']} vers {d['phone']} : {d['state_label']}"
          + (" (doublon possible)" if d["possible_duplicate"] else ""))
    print(f"Texte : {d['text']}")
    print(f"Tentatives : {d['attempts']}/{d['max_attempts']}, parties : {d['parts']}, modem : {d['modem'] or '—'}")
    if d["error"]:
        print(f"Motif : {d['error']}")
    for a in d["attempt_log"]:
        print(f"  essai {a['number']} sur {a['modem']} : {a['outcome']}" + (f" — {a['error']}" if a["error"] else ""))
    for p in d["sms_parts"]:
        print(f"  partie {p['number']}/{p['count']} (essai {p['attempt']}) référence {p['reference']} sur {p['modem']} : {p['status']}")
    return 0
