"""Zones (sets of communes) and sector groups (sets of NAF codes): list, create, edit, delete."""

import bottle

from vigie.daemon.core import members, sectors, zones

from .. import auth, forms
from ..render import form, form_list, json_answer, page, query
from ._namedset import actor, delete, save
from .carte import zone_map

# --- zones ------------------------------------------------------------------------------

def _zones_page(error="", errors=None, values=None, status=200):
    bottle.response.status = status
    rows = [(z, zones.commune_names(z)) for z in zones.list_all()]
    values = values or {"name": "", "description": "", "commune": []}
    return page("zones", title="Zones", rows=rows, communes=forms.communes(), error=error,
                errors=errors or {}, values=values, zone_svg=zone_map(values["commune"]))


@auth.requires("settings")
def zones_list():
    return _zones_page()


def _zone_form() -> dict:
    return dict(name=form("name"), description=form("description"), commune=form_list("commune"))


@auth.requires("settings")
def zone_create():
    values = _zone_form()
    return save(lambda: zones.create(values["name"], values["commune"], values["description"], actor=actor()),
                lambda e: _zones_page(e.message, {e.field: e.message}, values, status=400),
                "Zone « {name} » créée.", "/zones")


def _zone_page(zone, error="", errors=None, values=None, status=200):
    bottle.response.status = status
    values = values or dict(name=zone.name, description=zone.description, commune=zones.communes_of(zone))
    return page("zone", title=f"Zone {zone.name}", zone=zone, communes=forms.communes(), error=error,
                errors=errors or {}, values=values, zone_svg=zone_map(values["commune"]))


@auth.requires("settings")
def zone_edit(zone_id: int):
    return _zone_page(zones.get_by_id(zone_id))


@auth.requires("settings")
def zone_update(zone_id: int):
    zone = zones.get_by_id(zone_id)
    values = _zone_form()
    return save(lambda: zones.update(zone.name, actor=actor(), communes=values["commune"],
                                     description=values["description"], new_name=values["name"]),
                lambda e: _zone_page(zone, e.message, {e.field: e.message}, values, status=400),
                "Zone « {name} » enregistrée.", "/zones")


@auth.requires("settings")
def zone_delete(zone_id: int):
    zone = zones.get_by_id(zone_id)
    return delete(zone, zones, lambda message: _zone_page(zone, message, status=400), "/zones",
                  what="la zone", done="Zone « {name} » supprimée.")


# --- sector groups -------------------------------------------------------------------------

def _groups_page(error="", errors=None, values=None, status=200):
    bottle.response.status = status
    rows = sectors.list_all()
    counts = {c["sector"]: c for c in members.count_by_sector([g.name for g in rows])}
    return page("sectors", title="Groupes de secteurs", rows=rows, label=sectors.label, counts=counts,
                error=error, errors=errors or {}, values=values or {"name": "", "codes": "", "description": ""})


@auth.requires("settings")
def groups_list():
    return _groups_page()


def _group_form() -> dict:
    return dict(name=form("name"), codes=form("codes"), description=form("description"))


@auth.requires("settings")
def group_create():
    values = _group_form()
    return save(lambda: sectors.create(values["name"], values["codes"], values["description"],
                                       actor=actor()),
                lambda e: _groups_page(e.message, {e.field: e.message}, values, status=400),
                "Groupe « {name} » créé.", "/secteurs")


def _group_page(group, error="", errors=None, values=None, status=200):
    bottle.response.status = status
    values = values or dict(name=group.name, codes=group.codes, description=group.description)
    return page("sector", title=f"Groupe {group.name}", group=group, label=sectors.label, error=error,
                errors=errors or {}, values=values)


@auth.requires("settings")
def group_edit(group_id: int):
    return _group_page(sectors.get_by_id(group_id))


@auth.requires("settings")
def group_update(group_id: int):
    group = sectors.get_by_id(group_id)
    values = _group_form()
    return save(lambda: sectors.update(group.name, actor=actor(), codes=values["codes"],
                                       description=values["description"], new_name=values["name"]),
                lambda e: _group_page(group, e.message, {e.field: e.message}, values, status=400),
                "Groupe « {name} » enregistré.", "/secteurs")


@auth.requires("settings")
def group_delete(group_id: int):
    group = sectors.get_by_id(group_id)
    return delete(group, sectors, lambda message: _group_page(group, message, status=400), "/secteurs",
                  what="le groupe", done="Groupe « {name} » supprimé.")


@auth.requires("alerts", json=True)
def sector_suggestions():
    """The composer's sector field: groups and NAF codes matching what is typed."""
    return json_answer({"suggestions": sectors.suggest(query("q"))})


def register(app: bottle.Bottle) -> None:
    app.route("/secteurs/suggestions.json", "GET", sector_suggestions)
    app.route("/zones", "GET", zones_list)
    app.route("/zones", "POST", zone_create)
    app.route("/zones/<zone_id:int>", "GET", zone_edit)
    app.route("/zones/<zone_id:int>", "POST", zone_update)
    app.route("/zones/<zone_id:int>/supprimer", "POST", zone_delete)
    app.route("/secteurs", "GET", groups_list)
    app.route("/secteurs", "POST", group_create)
    app.route("/secteurs/<group_id:int>", "GET", group_edit)
    app.route("/secteurs/<group_id:int>", "POST", group_update)
    app.route("/secteurs/<group_id:int>/supprimer", "POST", group_delete)
