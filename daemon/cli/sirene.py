"""`vigie sirene check FILE`: members unknown to or closed in INSEE's SIRENE stock."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core import sirene
from vigie.daemon.core.reference.french import plural


def register(sub):
    p = sub.add_parser("sirene", help="vérifier les adhérents dans le fichier SIRENE de l'INSEE")
    s = p.add_subparsers(dest="sirene_command", metavar="ACTION")
    s.required = True
    c = s.add_parser("check", help="SIRET inconnus ou établissements fermés (StockEtablissement, .csv ou .zip)")
    c.add_argument("file", metavar="FICHIER")
    c.add_argument("--fill", action="store_true", help="compléter les codes NAF (rév. 2, et NAF 2025 si le fichier a "
                   "activitePrincipaleNAF25Etablissement) et les communes manquants")
    c.add_argument("--json", action="store_true", help="sortie JSON")
    c.set_defaults(func=run_check)


def run_check(args) -> int:
    open_db(args)
    report = sirene.check(args.file, fill=args.fill, actor=actor())
    if args.json:
        print_json(dict(report.as_dict(), filled_written=bool(args.fill)))
        return 0
    print(f"{plural(report.rows_read, 'établissement lu', 'établissements lus')}, "
          f"{plural(report.members_checked, 'adhérent vérifié', 'adhérents vérifiés')}"
          + (" ; le fichier donne aussi le code NAF 2025." if report.naf_2025_column else "."))
    if report.unknown:
        print(f"SIRET inconnus de SIRENE ({len(report.unknown)}) :")
        for m in report.unknown:
            print(f"  {m['siret']}  {m['name']}")
    if report.closed:
        print(f"Établissements fermés ({len(report.closed)}) :")
        for m in report.closed:
            print(f"  {m['siret']}  {m['name']}")
    if report.filled:
        verb = "complétés" if args.fill else "à compléter (--fill)"
        print(f"Adhérents {verb} ({len(report.filled)}) :")
        for m in report.filled:
            what = ", ".join(f"{label} {m[k]}" for k, label in (("naf", "NAF rév. 2"), ("naf_2025", "NAF 2025"),
                                                                  ("commune", "commune")) if k in m)
            print(f"  {m['siret']}  {m['name']} : {what}")
    if not (report.unknown or report.closed or report.filled):
        print("Tous les adhérents sont connus de SIRENE et ouverts.")
    return 0
