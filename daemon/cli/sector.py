"""`vigie sector`: named groups of NAF codes, and searching the NAF nomenclature."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core import sectors
from vigie.daemon.core.reference import naf


def register(sub):
    p = sub.add_parser("sector", help="gérer les groupes de secteurs (codes NAF)")
    s = p.add_subparsers(dest="sector_command", metavar="ACTION")
    s.required = True
    ls = s.add_parser("list", help="lister les groupes de secteurs")
    ls.add_argument("--json", action="store_true", help="sortie JSON")
    ls.set_defaults(func=run_list)
    sh = s.add_parser("show", help="afficher les codes d'un groupe")
    sh.add_argument("name", metavar="NOM")
    sh.add_argument("--json", action="store_true", help="sortie JSON")
    sh.set_defaults(func=run_show)
    a = s.add_parser("add", help="créer un groupe de secteurs, ou remplacer ses codes s'il existe")
    a.add_argument("name", metavar="NOM")
    a.add_argument("--code", action="append", required=True, metavar="SÉLECTEUR",
                   help="code NAF à tout niveau (A, 47, 47.7, 47.77, 47.77Z) ; répétable")
    a.add_argument("--description", default=None)
    a.set_defaults(func=run_add)
    d = s.add_parser("delete", help="supprimer un groupe de secteurs")
    d.add_argument("name", metavar="NOM")
    d.set_defaults(func=run_delete)
    f = s.add_parser("search", help="chercher un code NAF par mot-clé")
    f.add_argument("text", metavar="TEXTE")
    f.add_argument("--json", action="store_true", help="sortie JSON")
    f.set_defaults(func=run_search)


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


def run_list(args) -> int:
    open_db(args)
    items = [_payload(g) for g in sectors.list_all()]
    if args.json:
        print_json(items)
        return 0
    for g in items:
        print(f"{g['name']:<28}  {' '.join(c['code'] for c in g['codes']):<30}  {g['description']}")
    print(f"{len(items)} groupe(s).")
    return 0


def run_show(args) -> int:
    open_db(args)
    g = _payload(sectors.get(args.name))
    if args.json:
        print_json(g)
        return 0
    print(f"{g['name']} — {g['subclasses']} sous-classe(s) NAF" + (f" : {g['description']}" if g["description"] else ""))
    for c in g["codes"]:
        print(f"  {c['code']:<7} {c['label']}")
    return 0


def run_add(args) -> int:
    open_db(args)
    if sectors.find(args.name) is None:
        group = sectors.create(args.name, args.code, args.description or "", actor=actor())
        print(f"Groupe « {group.name} » créé : {' '.join(sectors.codes_of(group))}.")
    else:
        group = sectors.update(args.name, codes=args.code, description=args.description, actor=actor())
        print(f"Groupe « {group.name} » modifié : {' '.join(sectors.codes_of(group))}.")
    return 0


def run_delete(args) -> int:
    open_db(args)
    sectors.delete(args.name, actor())
    print(f"Groupe « {args.name} » supprimé.")
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
