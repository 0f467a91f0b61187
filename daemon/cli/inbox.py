"""`vigie inbox`: SMS received from members (reports, STOP, START)."""

from vigie.daemon.cli._common import fmt_time, iso_time, open_db, print_json
from vigie.daemon.core import inbox


def register(sub):
    p = sub.add_parser("inbox", help="SMS reçus (signalements, désinscriptions)")
    p.add_argument("--kind", choices=inbox.KINDS, help="seulement ce type : stop, start, incident, unknown")
    p.add_argument("--limit", type=int, default=50, metavar="N")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    open_db(args)
    rows = [inbox.as_dict(s) for s in inbox.messages(args.kind, limit=args.limit)]
    if args.json:
        print_json([dict(r, received_at=iso_time(r["received_at"]), sms_time=iso_time(r["sms_time"]))
                    for r in rows])
        return 0
    for r in rows:
        who = f"{r['member']} " if r["member"] else ""
        print(f"{fmt_time(r['received_at'])}  {r['phone']:<14} {who}[{r['kind_label']}] {r['text']}")
    if not rows:
        print("Aucun SMS reçu.")
    return 0
