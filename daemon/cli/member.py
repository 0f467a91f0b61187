"""`vigie member`: the member file from the command line (add, import, export, list, show, erase...)."""

import sys

from vigie.daemon.cli._common import fmt_time, open_db, print_json
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core import memberfile, members, naf2025
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.reference.french import plural


def register(sub):
    p = sub.add_parser("member", help="gérer les adhérents")
    s = p.add_subparsers(dest="member_command", metavar="ACTION")
    s.required = True

    a = s.add_parser("add", help="inscrire un adhérent")
    a.add_argument("--siret", required=True, help="SIRET (14 chiffres)")
    a.add_argument("--name", required=True, metavar="NOM", help="raison sociale")
    a.add_argument("--phone", action="append", required=True, metavar="TÉLÉPHONE",
                   help="numéro de mobile ; répétable")
    a.add_argument("--naf", default="", metavar="CODE",
                   help="code APE dans l'une ou l'autre nomenclature, reconnu (ex. 47.77Z ou 47.77Y)")
    a.add_argument("--naf-rev2", default="", metavar="CODE", help="code APE NAF rév. 2 (ex. 47.77Z)")
    a.add_argument("--naf-2025", default="", metavar="CODE", help="code APE NAF 2025 (ex. 47.77Y)")
    a.add_argument("--commune", required=True, metavar="INSEE", help="code INSEE de la commune")
    a.add_argument("--chamber", default="", metavar="cci|cma|ca", help="chambre consulaire")
    a.add_argument("--contact", default="", metavar="NOM", help="nom du contact")
    a.add_argument("--email", default="")
    a.add_argument("--sign", default="", metavar="ENSEIGNE", help="enseigne")
    a.add_argument("--address", default="", metavar="ADRESSE")
    a.add_argument("--notes", default="")
    a.add_argument("--consent-date", default="", metavar="DATE", help="date du consentement (JJ/MM/AAAA)")
    a.add_argument("--consent-channel", default="", metavar="CANAL", help="canal du consentement (papier, courriel...)")
    a.add_argument("--consent-version", default="", metavar="VERSION", help="version de la notice présentée")
    a.add_argument("--json", action="store_true", help="sortie JSON")
    a.set_defaults(func=run_add)

    u = s.add_parser("update", help="modifier un adhérent")
    u.add_argument("siret", metavar="SIRET")
    u.add_argument("--name", metavar="NOM")
    u.add_argument("--phone", action="append", metavar="TÉLÉPHONE", help="remplace tous les numéros ; répétable")
    u.add_argument("--naf", metavar="CODE", help="code APE, nomenclature reconnue (NAF rév. 2 ou NAF 2025)")
    u.add_argument("--naf-rev2", metavar="CODE", help="code APE NAF rév. 2 (« » pour l'effacer)")
    u.add_argument("--naf-2025", metavar="CODE", help="code APE NAF 2025 (« » pour l'effacer)")
    u.add_argument("--commune", metavar="INSEE")
    u.add_argument("--chamber", metavar="cci|cma|ca")
    u.add_argument("--contact", metavar="NOM")
    u.add_argument("--email")
    u.add_argument("--sign", metavar="ENSEIGNE")
    u.add_argument("--address", metavar="ADRESSE")
    u.add_argument("--notes")
    u.add_argument("--test-group", metavar="oui|non",
                   help="membre du groupe de test qui reçoit les exercices ciblés « --test-group »")
    u.set_defaults(func=run_update)

    i = s.add_parser("import", help="importer un fichier CSV d'adhérents (tout ou rien)")
    i.add_argument("file", metavar="FICHIER")
    i.add_argument("--dry-run", action="store_true", help="vérifier seulement, ne rien enregistrer")
    i.add_argument("--partial", action="store_true", help="enregistrer les lignes valides malgré les erreurs")
    i.add_argument("--column", action="append", default=[], metavar="EN-TÊTE=CHAMP",
                   help="lire une colonne autrement que deviné, par ex. « Tél. mobile=telephone » ou "
                        "« Fixe=ignorer » (répétable)")
    i.add_argument("--rejects", metavar="FICHIER",
                   help="écrire les lignes refusées (avec leur motif) dans ce fichier, au format du fichier lu")
    i.add_argument("--json", action="store_true", help="sortie JSON")
    i.set_defaults(func=run_import)

    e = s.add_parser("export", help="exporter les adhérents en CSV (; UTF-8, pour Excel)")
    e.add_argument("file", nargs="?", metavar="FICHIER", help="fichier de sortie (défaut : sortie standard)")
    e.add_argument("--naf", metavar="CODE_OU_GROUPE",
                   help="seulement un secteur (code NAF rév. 2 ou 2025, groupe), quelle que soit la nomenclature "
                        "du code de l'adhérent")
    e.set_defaults(func=run_export)

    ls = s.add_parser("list", help="lister les adhérents")
    ls.add_argument("--search", default="", metavar="TEXTE", help="nom, enseigne, SIRET, commune ou téléphone")
    ls.add_argument("--naf", metavar="CODE_OU_GROUPE",
                    help="secteur : code NAF (rév. 2 ou 2025, ex. 47.77Y, 2025:47) ou groupe de secteurs")
    ls.add_argument("--commune", metavar="INSEE")
    ls.add_argument("--zone", metavar="NOM")
    ls.add_argument("--chamber", metavar="cci|cma|ca")
    ls.add_argument("--status", metavar="STATUT", help="actif, suspendu, parti (défaut : tous sauf effacés)")
    ls.add_argument("--limit", type=int, default=None, metavar="N")
    ls.add_argument("--json", action="store_true", help="sortie JSON")
    ls.set_defaults(func=run_list)

    sh = s.add_parser("show", help="afficher un adhérent (--json : toutes ses données, droit d'accès RGPD)")
    sh.add_argument("siret", metavar="SIRET")
    sh.add_argument("--json", action="store_true", help="export RGPD complet en JSON")
    sh.set_defaults(func=run_show)

    n = s.add_parser("naf2025", help="aide au passage à la NAF 2025 : code proposé par la correspondance de "
                                     "l'INSEE pour chaque adhérent sans code NAF 2025")
    n.add_argument("--apply", action="store_true",
                   help="enregistrer les codes proposés quand la correspondance n'en donne qu'un")
    n.add_argument("--json", action="store_true", help="sortie JSON")
    n.set_defaults(func=run_naf2025)

    er = s.add_parser("erase", help="effacer les données personnelles d'un adhérent (RGPD)")
    er.add_argument("siret", metavar="SIRET")
    er.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    er.set_defaults(func=run_erase)

    for name, status, text in (("suspend", "suspended", "suspendre les alertes d'un adhérent"),
                               ("activate", "active", "réactiver un adhérent"),
                               ("leave", "left", "enregistrer le départ d'un adhérent")):
        st = s.add_parser(name, help=text)
        st.add_argument("siret", metavar="SIRET")
        st.set_defaults(func=run_status, status=status)


def run_add(args) -> int:
    open_db(args)
    member = members.add(siret=args.siret, name=args.name, naf=args.naf, naf_rev2=args.naf_rev2,
                         naf_2025=args.naf_2025, commune=args.commune,
                         phones=args.phone, sign=args.sign, chamber=args.chamber, contact=args.contact,
                         email=args.email, address=args.address, notes=args.notes,
                         consent_date=args.consent_date, consent_channel=args.consent_channel,
                         consent_version=args.consent_version, actor=actor())
    if args.json:
        print_json(members.as_dict(member))
    else:
        print(f"Adhérent inscrit : {member.name} (SIRET {member.siret}, n° {member.id}).")
    return 0


def run_update(args) -> int:
    open_db(args)
    member = members.get(args.siret)
    fields = {k: getattr(args, k) for k in ("name", "naf", "naf_rev2", "naf_2025", "commune", "chamber", "contact",
                                            "email", "sign", "address", "notes", "test_group")
              if getattr(args, k) is not None}
    if not fields and args.phone is None:
        raise InvalidInput("Rien à modifier : indiquez au moins une option.", None)
    member = members.update(member.id, actor=actor(), phones=args.phone, **fields)
    print(f"Adhérent modifié : {member.name} (SIRET {member.siret}).")
    return 0


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise InvalidInput(f"Lecture impossible de {path} : {e.strerror}.", "file") from None


def run_import(args) -> int:
    open_db(args)
    data = _read(args.file)
    columns = None
    if args.column:
        header = memberfile.parse(data).header
        columns = memberfile.parse_column_options(args.column, header)
    report = memberfile.import_members(data, actor=actor(), dry_run=args.dry_run, partial=args.partial,
                                       columns=columns)
    if args.rejects and report.rejected:
        with open(args.rejects, "wb") as f:
            f.write(memberfile.rejected_file(report))
    if args.json:
        print_json({"rows": len(report.rows), "created": report.created, "updated": report.updated,
                    "unchanged": len(report.rows) - report.created - report.updated,
                    "errors": [{"line": n, "name": report.names.get(n, ""), "reason": r} for n, r in report.errors],
                    "warnings": [{"line": n, "reason": r} for n, r in report.warnings],
                    "written": report.written, "dry_run": args.dry_run})
    else:
        for line, reason in report.errors:
            print(f"{report.label(line, 'Ligne')} : {reason}", file=sys.stderr)
        for line, reason in report.warnings:
            print(f"{report.label(line, 'Ligne')} (avertissement) : {reason}")
        if args.rejects and report.rejected:
            print(f"Lignes refusées écrites dans {args.rejects}.", file=sys.stderr)
        if report.errors and not args.partial:
            print(f"{plural(len(report.errors), 'ligne')} en erreur : aucun adhérent n'a été enregistré "
                  f"(corrigez le fichier, ou --partial pour enregistrer les lignes valides).", file=sys.stderr)
        elif args.dry_run:
            print(f"Vérification : {plural(len(report.rows), 'ligne valide', 'lignes valides')}, "
                  f"{plural(report.created, 'adhérent')} à créer, "
                  f"{report.updated} à mettre à jour. Rien n'a été enregistré.")
        else:
            unchanged = len(report.rows) - report.created - report.updated
            print(f"Import terminé : {plural(report.created, 'adhérent créé', 'adhérents créés')}, "
                  f"{report.updated} mis à jour, {plural(unchanged, 'inchangé')}"
                  + (f", {plural(len(report.errors), 'ligne ignorée', 'lignes ignorées')}." if report.errors else "."))
    if report.errors and not args.partial:
        return 1
    return 0


def run_export(args) -> int:
    open_db(args)
    data = memberfile.export_members(sector=args.naf)
    if args.file:
        with open(args.file, "wb") as f:
            f.write(data)
        print(f"Adhérents exportés dans {args.file}.", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def run_list(args) -> int:
    open_db(args)
    found, total = members.search(args.search, naf=args.naf, commune=args.commune, zone=args.zone,
                                  chamber=args.chamber, status=args.status, limit=args.limit)
    if args.json:
        print_json({"total": total, "members": [members.as_dict(m) for m in found]})
        return 0
    for m in found:
        d = members.as_dict(m)
        print(f"{d['siret'] or '—':<14}  {d['name'][:40]:<40}  {_codes(d):<32}  {d['commune_name'][:25]:<25}  "
              f"{', '.join(memberfile.national(p) for p in d['phones'])}  [{d['status_label']}]")
    print(f"{plural(total, 'adhérent')}.")
    return 0


def run_show(args) -> int:
    open_db(args)
    member = members.get(args.siret)
    if args.json:
        print_json(members.personal_data(member.id))
        return 0
    d = members.as_dict(member)
    for label, value in (("SIRET", d["siret"]), ("Raison sociale", d["name"]), ("Enseigne", d["sign"]),
                         ("NAF rév. 2", _code_line(d, "rev2")), ("NAF 2025", _code_line(d, "2025")),
                         ("Commune", f"{d['commune_name']} ({d['commune'] or '—'})"),
                         ("Téléphones", ", ".join(d["phones"])), ("Contact", d["contact"]),
                         ("Courriel", d["email"]), ("Chambre", d["chamber"].upper()), ("Adresse", d["address"]),
                         ("Statut", d["status_label"]), ("Consentement",
                          " / ".join(x for x in (d["consent_date"], d["consent_channel"], d["consent_version"]) if x)),
                         ("Notes", d["notes"]), ("Inscrit le", fmt_time(d["created_at"])),
                         ("Modifié le", fmt_time(d["updated_at"]))):
        print(f"{label + ' :':<17} {value or '—'}")
    return 0


def _codes(d: dict) -> str:
    """'47.77Z (NAF rév. 2), 47.77Y (NAF 2025)': every code says its nomenclature."""
    return ", ".join(c["display"] for c in d["naf_codes"]) or "sans code NAF"


def _code_line(d: dict, nomenclature: str) -> str:
    for c in d["naf_codes"]:
        if c["nomenclature"] == nomenclature:
            return f"{c['code']} — {c['label']}"
    return ""


def run_naf2025(args) -> int:
    open_db(args)
    result = naf2025.apply(actor=actor()) if args.apply else naf2025.plan()
    if args.json:
        print_json(dict(result.as_dict(), dry_run=not args.apply))
        return 0
    if not result.items:
        print("Tous les adhérents qui ont un code NAF rév. 2 ont aussi leur code NAF 2025.")
        return 0
    if result.single:
        verb = "enregistré" if args.apply else "proposé (--apply pour l'enregistrer)"
        print(f"Correspondance unique ({plural(len(result.single), 'adhérent')}) : code NAF 2025 {verb}")
        for i in result.single:
            print(f"  {i.siret or '—':<14}  {i.name[:40]:<40}  {i.naf} (NAF rév. 2) → {i.proposed} (NAF 2025)")
    if result.multiple:
        print(f"Plusieurs codes possibles ({plural(len(result.multiple), 'adhérent')}) : à choisir par une personne "
              f"(vigie member update SIRET --naf-2025 CODE, ou la page « NAF 2025 à faire » de la console)")
        for i in result.multiple:
            sirene = f" ; SIRENE : {i.sirene_naf_2025}" if i.sirene_naf_2025 else ""
            print(f"  {i.siret or '—':<14}  {i.name[:40]:<40}  {i.naf} (NAF rév. 2) → "
                  f"{', '.join(i.candidates)} (NAF 2025){sirene}")
    if args.apply:
        left = len(result.multiple)
        print(f"{plural(len(result.applied), 'code NAF 2025 enregistré', 'codes NAF 2025 enregistrés')} ; "
              f"{plural(left, 'adhérent reste', 'adhérents restent')} à traiter.")
    return 0


def run_erase(args) -> int:
    open_db(args)
    member = members.get(args.siret)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput("Effacement définitif : confirmez avec --yes.", "yes")
        answer = input(f"Effacer définitivement les données de « {member.name} » ? Tapez « oui » : ")
        if answer.strip().lower() != "oui":
            print("Effacement abandonné.")
            return 1
    members.erase(member.id, actor())
    print(f"Données personnelles de l'adhérent n° {member.id} effacées.")
    return 0


def run_status(args) -> int:
    open_db(args)
    member = members.set_status(members.get(args.siret).id, args.status, actor())
    print(f"{member.name} : statut « {members.STATUS_LABELS[member.status]} ».")
    return 0
