"""`vigie zone`: named sets of communes for targeting."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core import zones
from vigie.daemon.core.models import Commune


def register(sub):
    p = sub.add_parser("zone", help="gérer les zones (ensembles de communes)")
    s = p.add_subparsers(dest="zone_command", metavar="ACTION")
    s.required = True
    ls = s.add_parser("list", help="lister les zones")
    ls.add_argument("--json", action="store_true", help="sortie JSON")
    ls.set_defaults(func=run_list)
    sh = s.add_parser("show", help="afficher les communes d'une zone")
    sh.add_argument("name", metavar="NOM")
    sh.add_argument("--json", action="store_true", help="sortie JSON")
    sh.set_defaults(func=run_show)
    a = s.add_parser("add", help="créer une zone, ou y ajouter des communes si elle existe")
    a.add_argument("name", metavar="NOM")
    a.add_argument("--commune", action="append", required=True, metavar="INSEE", help="code INSEE ; répétable")
    a.add_argument("--description", default=None)
    a.set_defaults(func=run_add)
    r = s.add_parser("remove-commune", help="retirer des communes d'une zone")
    r.add_argument("name", metavar="NOM")
    r.add_argument("--commune", action="append", required=True, metavar="INSEE", help="code INSEE ; répétable")
    r.set_defaults(func=run_remove)
    d = s.add_parser("delete", help="supprimer une zone")
    d.add_argument("name", metavar="NOM")
    d.set_defaults(func=run_delete)


def _payload(zone) -> dict:
    codes = zones.communes_of(zone)
    names = {c.insee: c.name for c in Commune.select().where(Commune.insee.in_(codes))}
    return {"name": zone.name, "description": zone.description,
            "communes": [{"insee": c, "name": names.get(c, "")} for c in codes]}


def run_list(args) -> int:
    open_db(args)
    items = [_payload(z) for z in zones.list_all()]
    if args.json:
        print_json(items)
        return 0
    for z in items:
        print(f"{z['name']:<40}  {len(z['communes']):>4} commune(s)  {z['description']}")
    print(f"{len(items)} zone(s).")
    return 0


def run_show(args) -> int:
    open_db(args)
    z = _payload(zones.get(args.name))
    if args.json:
        print_json(z)
        return 0
    print(f"{z['name']} — {len(z['communes'])} commune(s)" + (f" : {z['description']}" if z["description"] else ""))
    for c in sorted(z["communes"], key=lambda c: c["name"]):
        print(f"  {c['insee']}  {c['name']}")
    return 0


def run_add(args) -> int:
    open_db(args)
    if zones.find(args.name) is None:
        zone = zones.create(args.name, args.commune, args.description or "", actor=actor())
        print(f"Zone « {zone.name} » créée ({len(zones.communes_of(zone))} commune(s)).")
    else:
        zone = zones.update(args.name, add=args.commune, description=args.description, actor=actor())
        print(f"Zone « {zone.name} » : {len(zones.communes_of(zone))} commune(s).")
    return 0


def run_remove(args) -> int:
    open_db(args)
    zone = zones.update(args.name, remove=args.commune, actor=actor())
    print(f"Zone « {zone.name} » : {len(zones.communes_of(zone))} commune(s).")
    return 0


def run_delete(args) -> int:
    open_db(args)
    zones.delete(args.name, actor())
    print(f"Zone « {args.name} » supprimée.")
    return 0
