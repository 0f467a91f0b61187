"""`vigie send`: queue one SMS to one phone."""

import sys

from vigie.daemon.cli._common import fmt_time, open_db, print_json
from vigie.daemon.core import outbox


def register(sub):
    p = sub.add_parser("send", help="mettre un SMS en file d'attente pour un numéro")
    p.add_argument("--to", required=True, metavar="TÉLÉPHONE", help="numéro de mobile du destinataire")
    p.add_argument("--text", required=True, metavar="TEXTE", help="texte du SMS")
    p.add_argument("--priority", type=int, default=outbox.PRIORITY_NORMAL, help="priorité (100 = urgence)")
    p.add_argument("--malgre-stop", "--override-stop", dest="override_stop", action="store_true",
                   help="envoyer ce message ponctuel même si le numéro a répondu STOP "
                        "(décision consignée dans le journal d'audit)")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from vigie.daemon.cli._targeting import actor
    from vigie.daemon.core import audit
    from vigie.daemon.core.errors import InvalidInput
    from vigie.daemon.core.memberfile import national
    from vigie.daemon.core.models import OptOut, database
    from vigie.daemon.core.reference import smstext, validate
    settings = open_db(args)
    phone = validate.mobile_phone(args.to)
    info = smstext.check(args.text, settings.alerts.max_parts)
    with database.atomic("IMMEDIATE"):
        stop = OptOut.get_or_none(OptOut.phone == phone)
        if stop is not None and not args.override_stop:
            raise InvalidInput(
                f"Le {national(phone)} a répondu STOP le {fmt_time(stop.created_at)} : il ne reçoit plus rien "
                "de la box. Rien n'a été mis en file. Pour un message ponctuel malgré tout, ajoutez "
                "--malgre-stop (la décision est consignée dans le journal d'audit).", "phone")
        message = outbox.enqueue(phone, args.text, priority=args.priority, parts=info.parts,
                                 max_attempts=settings.daemon.max_attempts)
        if stop is not None:
            audit.record(actor(), "optout.override", phone,
                         {"message": message.id, "text": args.text[:160],
                          "stop_at": stop.created_at}, count=1)
    if stop is not None:
        print(f"Attention : le {national(phone)} a répondu STOP ; message n° {message.id} mis en file malgré tout "
              "(consigné dans le journal d'audit).", file=sys.stderr)
    if args.json:
        print_json({"id": message.id, "phone": phone, "parts": info.parts, "encoding": info.encoding,
                    "state": message.state})
    else:
        print(message.id)
    return 0
