"""`vigie report`: the convention's figures for a date range (the console's statistics page, as text or JSON)."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.core import report
from vigie.daemon.core.reference.french import duration, percent, plural


def register(sub):
    p = sub.add_parser("report", help="bilan chiffré pour le comité de pilotage (alertes, remise, adhérents)")
    p.add_argument("--from", dest="start", metavar="DATE", help="premier jour (AAAA-MM-JJ ; défaut : il y a 30 jours)")
    p.add_argument("--to", dest="end", metavar="DATE", help="dernier jour inclus (AAAA-MM-JJ ; défaut : aujourd'hui)")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=run)


def _delay(seconds) -> str:
    return "—" if seconds is None else duration(seconds)


def run(args) -> int:
    open_db(args)
    start, end = report.period(args.start, args.end)
    data = report.figures(start, end)
    if args.json:
        print_json(data)
        return 0
    print(f"Bilan Vigientreprise du {start:%d/%m/%Y} au {end:%d/%m/%Y}")
    for key, title in (("real", "Alertes"), ("exercises", "Exercices")):
        b = data[key]
        print(f"\n{title} : {b['alerts']} (dont {b['from_button']} par le bouton d'alerte), "
              f"{plural(b['messages'], 'message')}, {b['delivered']} délivrés ({percent(b['delivery_rate'])})")
        print(f"  délai jusqu'à la remise : médiane {_delay(b['time_to_delivered_median_s'])}, "
              f"95 % en moins de {_delay(b['time_to_delivered_p95_s'])} ; tout le monde atteint en "
              f"{_delay(b['time_to_reach_everyone_median_s'])} (médiane par alerte)")
        if b["acknowledgements_asked"]:
            print(f"  accusés de lecture : {b['acknowledged']} sur {b['acknowledgements_asked']}, délai médian "
                  f"{_delay(b['ack_median_s'])}, 95 % en moins de {_delay(b['ack_p95_s'])}")
        for month in b["per_month"]:
            print(f"  {month['label']} : {plural(month['alerts'], 'alerte')}, "
                  f"{plural(month['recipients'], 'destinataire')}")
        for failure in b["failures_by_reason"]:
            print(f"  échecs — {failure['reason']} : {failure['count']}")
    m = data["members"]
    print(f"\nAdhérents actifs : {m['active']}")
    for c in m["by_chamber"]:
        print(f"  {c['label']} : {c['members']}")
    print("Par groupe de secteurs : " + ", ".join(f"{s['sector']} {s['members']}" for s in m["by_sector_group"]))
    print("Par arrondissement : " + ", ".join(f"{a['area']} {a['members']}" for a in m["by_area"]))
    print(f"Désinscriptions (STOP) : {data['opt_outs']['in_period']} dans la période, "
          f"{data['opt_outs']['total']} au total")
    return 0
