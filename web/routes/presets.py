"""Modèles (presets): ready alerts, one of which the panic button sends."""

import bottle
from bottle import request

from vigie.daemon.core import presets, sectors, zones
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Preset
from vigie.daemon.core.targeting import Targeting

from .. import auth, forms
from ..render import flash, form, int_arg, page, see_other
from . import _namedset as namedset
from ._namedset import actor


def _settings():
    return request.app.config["vigie.settings"]


def _describe(preset: Preset) -> str:
    try:
        return presets.targeting_of(preset).describe()
    except Exception:
        return "ciblage illisible"


@auth.requires("settings")
def list_page():
    rows = [(p, _describe(p)) for p in presets.list_all()]
    return page("presets", title="Modèles d'alerte", rows=rows, panic_preset=_settings().button.preset)


def _form_page(preset: Preset | None, name="", text="", t=None, priority=0, error="", errors=None, status=200):
    bottle.response.status = status
    groups = sectors.list_all()
    return page("preset", title=f"Modèle {preset.name}" if preset else "Nouveau modèle", preset=preset,
                name=name, text=text, priority=priority,
                values=forms.values_of(t or Targeting(), {g.name for g in groups}), groups=groups,
                zones_list=zones.list_all(), communes=forms.communes(), error=error, errors=errors or {},
                panic_preset=_settings().button.preset)


@auth.requires("settings")
def new_page():
    return _form_page(None)


@auth.requires("settings")
def edit_page(preset_id: int):
    p = presets.get_by_id(preset_id)
    return _form_page(p, p.name, p.text, presets.targeting_of(p), p.priority)


def _save(preset, write):
    """The submitted form saved by ``write(name, text, targeting, priority)``, or shown again with
    its refusal."""
    name, text, priority = form("name"), form("text"), int_arg(form("priority"), 0)
    t = None
    try:
        t = forms.form_targeting()
        saved = write(name, text, t, priority)
    except InvalidInput as e:
        errors = {e.field or "targeting": e.message}
        return _form_page(preset, name, text, t, priority, e.message, errors, 400)
    flash(f"Modèle « {saved.name} » enregistré.")
    see_other("/modeles")


@auth.requires("settings")
def create():
    return _save(None, lambda name, text, t, priority: presets.create(
        name, text, t, priority, actor=actor(), max_parts=_settings().alerts.max_parts))


@auth.requires("settings")
def update(preset_id: int):
    p = presets.get_by_id(preset_id)
    return _save(p, lambda name, text, t, priority: presets.update(
        p.name, actor=actor(), text=text, targeting=t, priority=priority, new_name=name,
        max_parts=_settings().alerts.max_parts))


@auth.requires("settings")
def delete(preset_id: int):
    p = presets.get_by_id(preset_id)
    return namedset.delete(p, presets, lambda message: _form_page(p, p.name, p.text, presets.targeting_of(p),
                                                                  p.priority, message, status=400),
                           "/modeles", what="le modèle", done="Modèle « {name} » supprimé.")


def register(app: bottle.Bottle) -> None:
    app.route("/modeles", "GET", list_page)
    app.route("/modeles", "POST", create)
    app.route("/modeles/nouveau", "GET", new_page)
    app.route("/modeles/<preset_id:int>", "GET", edit_page)
    app.route("/modeles/<preset_id:int>", "POST", update)
    app.route("/modeles/<preset_id:int>/supprimer", "POST", delete)
