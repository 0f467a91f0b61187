"""`vigie sector`: named groups of NAF codes, and searching the NAF nomenclature."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.cli._namedset import action, delete_command, list_command, show_command
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core import sectors
from vigie.daemon.core.reference import naf


def register(sub):
    p = sub.add_parser("sector", help="gérer les groupes de secteurs (codes NAF)")
    s = p.add_subparsers(dest="sector_command", metavar="ACTION")
    s.required = True
    action(s, "list", "lister les groupes de secteurs",
           list_command(sectors, _payload, _line, "{n} groupe(s)."), named=False, json=True)
    action(s, "show", "afficher les codes d'un groupe", show_command(sectors, _payload, _lines), json=True)
    a = action(s, "add", "créer un groupe de secteurs, ou remplacer ses codes s'il existe", run_add)
    a.add_argument("--code", action="append", required=True, metavar="SÉLECTEUR",
                   help="code NAF à tout niveau (A, 47, 47.7, 47.77, 47.77Z) ; répétable")
    a.add_argument("--description", default=None)
    action(s, "delete", "supprimer un groupe de secteurs",
           delete_command(sectors, "Groupe « {name} » supprimé."))
    f = action(s, "search", "chercher un code NAF par mot-clé", run_search, named=False, json=True)
    f.add_argument("text", metavar="TEXTE")


def _payload(group) -> dict:
    codes = sectors.codes_of(group)
    return {"name": group.name, "description": group.description,
            "codes": [{"code": c, "label": _label(c)} for c in codes],
            "subclasses": len(sectors.expand_one(group.name))}


def _label(code: str) -> str:
    try:
        return naf.label(code) or ""
    except Exception:
        return ""


def _line(g: dict) -> str:
    codes = " ".join(c["code"] for c in g["codes"])
    return f"{g['name']:<28}  {codes:<30}  {g['description']}"


def _lines(g: dict) -> list[str]:
    about = f" : {g['description']}" if g["description"] else ""
    return [f"{g['name']} — {g['subclasses']} sous-classe(s) NAF{about}"] + [
        f"  {c['code']:<7} {c['label']}" for c in g["codes"]]


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
    results = list(naf.search(args.text))
    items = []
    for r in results:
        if isinstance(r, (tuple, list)):
            items.append({"code": r[0], "label": r[1]})
        elif isinstance(r, dict):
            items.append({"code": r.get("code"), "label": r.get("label")})
        else:
            items.append({"code": getattr(r, "code", str(r)), "label": getattr(r, "label", _label(str(r)))})
    if args.json:
        print_json(items)
        return 0
    for item in items:
        print(f"{item['code']:<7} {item['label']}")
    if not items:
        print(f"Aucun code NAF ne correspond à « {args.text} ».")
    return 0
