"""`vigie send`: queue one SMS to one phone."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.core import outbox


def register(sub):
    p = sub.add_parser("send", help="mettre un SMS en file d'attente pour un numéro")
    p.add_argument("--to", required=True, metavar="TÉLÉPHONE", help="numéro de mobile du destinataire")
    p.add_argument("--text", required=True, metavar="TEXTE", help="texte du SMS")
    p.add_argument("--priority", type=int, default=outbox.PRIORITY_NORMAL, help="priorité (100 = urgence)")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from vigie.daemon.core.reference import smstext, validate
    settings = open_db(args)
    phone = validate.mobile_phone(args.to)
    info = smstext.check(args.text, settings.alerts.max_parts)
    message = outbox.enqueue(phone, args.text, priority=args.priority, parts=info.parts,
                             max_attempts=settings.daemon.max_attempts)
    if args.json:
        print_json({"id": message.id, "phone": phone, "parts": info.parts, "encoding": info.encoding,
                    "state": message.state})
    else:
        print(message.id)
    return 0
