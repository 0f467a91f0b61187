"""Zones (sets of communes) and sector groups (sets of NAF codes): list, create, edit, delete."""

import bottle

from vigie.daemon.core import sectors, zones
from vigie.daemon.core.errors import InvalidInput

from .. import auth, forms
from ..render import flash, form, form_list, page, see_other


def _actor() -> str:
    return auth.current_user().username


# --- zones ------------------------------------------------------------------------------

def _zones_page(error="", errors=None, values=None, status=200):
    bottle.response.status = status
    rows = [(z, zones.commune_names(z)) for z in zones.list_all()]
    return page("zones", title="Zones", rows=rows, communes=forms.communes(), error=error,
                errors=errors or {}, values=values or {"name": "", "description": "", "commune": []})


@auth.requires("settings")
def zones_list():
    return _zones_page()


@auth.requires("settings")
def zone_create():
    values = dict(name=form("name"), description=form("description"), commune=form_list("commune"))
    try:
        zone = zones.create(values["name"], values["commune"], values["description"], actor=_actor())
    except InvalidInput as e:
        return _zones_page(e.message, {e.field: e.message}, values, status=400)
    flash(f"Zone « {zone.name} » créée.")
    see_other("/zones")


def _zone_page(zone, error="", errors=None, values=None, status=200):
    bottle.response.status = status
    values = values or dict(name=zone.name, description=zone.description, commune=zones.communes_of(zone))
    return page("zone", title=f"Zone {zone.name}", zone=zone, communes=forms.communes(), error=error,
                errors=errors or {}, values=values)


@auth.requires("settings")
def zone_edit(zone_id: int):
    return _zone_page(zones.get_by_id(zone_id))


@auth.requires("settings")
def zone_update(zone_id: int):
    zone = zones.get_by_id(zone_id)
    values = dict(name=form("name"), description=form("description"), commune=form_list("commune"))
    try:
        zone = zones.update(zone.name, actor=_actor(), communes=values["commune"],
                            description=values["description"], new_name=values["name"])
    except InvalidInput as e:
        return _zone_page(zone, e.message, {e.field: e.message}, values, status=400)
    flash(f"Zone « {zone.name} » enregistrée.")
    see_other("/zones")


@auth.requires("settings")
def zone_delete(zone_id: int):
    zone = zones.get_by_id(zone_id)
    if form("confirm") != "oui":
        return _zone_page(zone, "Cochez la case de confirmation pour supprimer la zone.", status=400)
    zones.delete(zone.name, _actor())
    flash(f"Zone « {zone.name} » supprimée.")
    see_other("/zones")


# --- sector groups -------------------------------------------------------------------------

def _groups_page(error="", errors=None, values=None, status=200):
    bottle.response.status = status
    return page("sectors", title="Groupes de secteurs", rows=sectors.list_all(), label=sectors.label,
                error=error, errors=errors or {}, values=values or {"name": "", "codes": "", "description": ""})


@auth.requires("settings")
def groups_list():
    return _groups_page()


@auth.requires("settings")
def group_create():
    values = dict(name=form("name"), codes=form("codes"), description=form("description"))
    try:
        group = sectors.create(values["name"], values["codes"], values["description"], actor=_actor())
    except InvalidInput as e:
        return _groups_page(e.message, {e.field: e.message}, values, status=400)
    flash(f"Groupe « {group.name} » créé.")
    see_other("/secteurs")


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
    values = dict(name=form("name"), codes=form("codes"), description=form("description"))
    try:
        group = sectors.update(group.name, actor=_actor(), codes=values["codes"],
                               description=values["description"], new_name=values["name"])
    except InvalidInput as e:
        return _group_page(group, e.message, {e.field: e.message}, values, status=400)
    flash(f"Groupe « {group.name} » enregistré.")
    see_other("/secteurs")


@auth.requires("settings")
def group_delete(group_id: int):
    group = sectors.get_by_id(group_id)
    if form("confirm") != "oui":
        return _group_page(group, "Cochez la case de confirmation pour supprimer le groupe.", status=400)
    sectors.delete(group.name, _actor())
    flash(f"Groupe « {group.name} » supprimé.")
    see_other("/secteurs")


def register(app: bottle.Bottle) -> None:
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
