"""`vigie sector`: named groups of NAF codes, and searching the NAF nomenclature."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.cli._namedset import action, delete_command, list_command, show_command
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core import members, sectors
from vigie.daemon.core.reference import naf
from vigie.daemon.core.reference.french import plural


def register(sub):
    p = sub.add_parser("sector", help="gérer les groupes de secteurs (codes NAF)")
    s = p.add_subparsers(dest="sector_command", metavar="ACTION")
    s.required = True
    action(s, "list", "lister les groupes de secteurs",
           list_command(sectors, _payload, _line, ("groupe", "groupes")), named=False, json=True)
    action(s, "show", "afficher les codes d'un groupe", show_command(sectors, _payload, _lines), json=True)
    a = action(s, "add", "créer un groupe de secteurs, ou remplacer ses codes s'il existe", run_add)
    a.add_argument("--code", action="append", required=True, metavar="SÉLECTEUR",
                   help="code NAF rév. 2 ou NAF 2025 à tout niveau (47.77Z, 47.77Y ; un code ambigu se "
                        "précise : rev2:47, 2025:47) ; répétable")
    a.add_argument("--description", default=None)
    action(s, "delete", "supprimer un groupe de secteurs",
           delete_command(sectors, "Groupe « {name} » supprimé."))
    f = action(s, "search", "chercher un code NAF par mot-clé (NAF 2025 et NAF rév. 2)", run_search, named=False,
               json=True)
    f.add_argument("text", metavar="TEXTE")
    f.add_argument("--nomenclature", metavar="rev2|2025", help="une seule nomenclature")


def _payload(group) -> dict:
    codes = sectors.codes_of(group)
    [counts] = members.count_by_sector([group.name])      # active members, whatever their nomenclature
    return {"name": group.name, "description": group.description,
            "codes": [_code(c) for c in codes],
            "subclasses": len(sectors.expand_one(group.name)),
            "members": counts["members"], "members_rev2": counts["rev2"], "members_naf_2025": counts["naf_2025"],
            "members_multiple": counts["multiple"]}


def _code(stored: str) -> dict:
    """A stored code with its nomenclature and label (the code as stored stays in ``code``)."""
    try:
        nomenclature, code = sectors._stored(stored)
        text = naf.label(code, nomenclature)
    except Exception:
        return {"code": stored, "label": "", "nomenclature": None}
    return {"code": stored, "label": text, "nomenclature": nomenclature,
            "display": naf.display(code, nomenclature)}


def _line(g: dict) -> str:
    codes = " ".join(c["code"] for c in g["codes"])
    multiple = f", {g['members_multiple']} par lien multiple" if g["members_multiple"] else ""
    return (f"{g['name']:<28}  {codes:<30}  {plural(g['members'], 'adhérent actif', 'adhérents actifs')} (NAF rév. 2 : {g['members_rev2']}, "
            f"NAF 2025 : {g['members_naf_2025']}{multiple})  {g['description']}")


def _lines(g: dict) -> list[str]:
    about = f" : {g['description']}" if g["description"] else ""
    return [f"{g['name']} — {plural(g['subclasses'], 'sous-classe')} NAF{about}"] + [
        f"  {c.get('display') or c['code']:<20} {c['label']}" for c in g["codes"]]


def run_add(args) -> int:
    open_db(args)
    if sectors.find(args.name) is None:
        group = sectors.create(args.name, args.code, args.description or "", actor=actor())
        print(f"Groupe « {group.name} » créé : {' '.join(sectors.codes_of(group))}.")
    else:
        group = sectors.update(args.name, codes=args.code, description=args.description, actor=actor())
        print(f"Groupe « {group.name} » modifié : {' '.join(sectors.codes_of(group))}.")
    return 0


def run_search(args) -> int:
    wanted = [naf.clean_nomenclature(args.nomenclature)] if args.nomenclature else [naf.NAF2025, naf.REV2]
    items = [{"code": code, "label": text, "nomenclature": n, "selector": naf.qualified(n, code)}
             for n in wanted for code, text in naf.search(args.text, nomenclature=n)]
    if args.json:
        print_json(items)
        return 0
    for item in items:
        print(f"{item['selector']:<12} {naf.nomenclature_name(item['nomenclature']):<11} {item['label']}")
    if not items:
        print(f"Aucun code NAF ne correspond à « {args.text} ».")
    return 0
