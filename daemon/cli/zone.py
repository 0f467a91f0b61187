"""`vigie zone`: named sets of communes for targeting."""

from vigie.daemon.cli._common import open_db
from vigie.daemon.cli._namedset import action, delete_command, list_command, show_command
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core import zones
from vigie.daemon.core.models import Commune
from vigie.daemon.core.reference.french import collation_key, plural

COMMUNE_HELP = "code INSEE ; répétable"


def register(sub):
    p = sub.add_parser("zone", help="gérer les zones (ensembles de communes)")
    s = p.add_subparsers(dest="zone_command", metavar="ACTION")
    s.required = True
    action(s, "list", "lister les zones", list_command(zones, _payload, _line, ("zone", "zones")),
           named=False, json=True)
    action(s, "show", "afficher les communes d'une zone", show_command(zones, _payload, _lines), json=True)
    a = action(s, "add", "créer une zone, ou y ajouter des communes si elle existe", run_add)
    a.add_argument("--commune", action="append", required=True, metavar="INSEE", help=COMMUNE_HELP)
    a.add_argument("--description", default=None)
    r = action(s, "remove-commune", "retirer des communes d'une zone", run_remove)
    r.add_argument("--commune", action="append", required=True, metavar="INSEE", help=COMMUNE_HELP)
    action(s, "delete", "supprimer une zone", delete_command(zones, "Zone « {name} » supprimée."))


def _payload(zone) -> dict:
    codes = zones.communes_of(zone)
    names = {c.insee: c.name for c in Commune.select().where(Commune.insee.in_(codes))}
    return {"name": zone.name, "description": zone.description,
            "communes": [{"insee": c, "name": names.get(c, "")} for c in codes]}


def _line(z: dict) -> str:
    return f"{z['name']:<40}  {plural(len(z['communes']), 'commune'):>13}  {z['description']}"


def _lines(z: dict) -> list[str]:
    about = f" : {z['description']}" if z["description"] else ""
    communes = sorted(z["communes"], key=lambda c: collation_key(c["name"]))
    return [f"{z['name']} — {plural(len(z['communes']), 'commune')}{about}"] + [
        f"  {c['insee']}  {c['name']}" for c in communes]


def run_add(args) -> int:
    open_db(args)
    if zones.find(args.name) is None:
        zone = zones.create(args.name, args.commune, args.description or "", actor=actor())
        print(f"Zone « {zone.name} » créée ({plural(len(zones.communes_of(zone)), 'commune')}).")
    else:
        zone = zones.update(args.name, add=args.commune, description=args.description, actor=actor())
        print(f"Zone « {zone.name} » : {plural(len(zones.communes_of(zone)), 'commune')}.")
    return 0


def run_remove(args) -> int:
    open_db(args)
    zone = zones.update(args.name, remove=args.commune, actor=actor())
    print(f"Zone « {zone.name} » : {plural(len(zones.communes_of(zone)), 'commune')}.")
    return 0

