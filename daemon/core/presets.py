"""Ready alerts: a text, a targeting and a priority, sent in one gesture (the panic button)."""

import builtins
import time

from vigie.daemon.core import audit
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import Preset, database
from vigie.daemon.core.reference import smstext


def _targeting_cls():
    from vigie.daemon.core.targeting import Targeting  # targeting imports sectors/zones; keep this module light
    return Targeting


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Le nom du modèle d'alerte est obligatoire.", "name")
    if len(name) > 80:
        raise InvalidInput("Le nom du modèle d'alerte ne doit pas dépasser 80 caractères.", "name")
    return name


def _clean_text(text: str, max_parts: int) -> str:
    from vigie.daemon.core import fields
    text = (text or "").strip()
    fields.names(text)
    smstext.check(text, max_parts)
    return text


def find(name: str) -> Preset | None:
    key = " ".join((name or "").split()).lower()
    for preset in Preset.select():
        if preset.name.lower() == key:
            return preset
    return None


def get(name: str) -> Preset:
    preset = find(name)
    if preset is None:
        raise NotFound(f"Modèle d'alerte inconnu : « {name} ».")
    return preset


def targeting_of(preset: Preset):
    return _targeting_cls().from_json(preset.targeting)


def list_all() -> list[Preset]:
    return builtins.list(Preset.select().order_by(Preset.name))




def create(name: str, text: str, targeting, priority: int = 0, *, actor: str, max_parts: int = 4,
           exercise: bool = False, ack: bool = False) -> Preset:
    name = _clean_name(name)
    text = _clean_text(text, max_parts)
    targeting.validate()
    if find(name) is not None:
        raise InvalidInput(f"Le modèle d'alerte « {name} » existe déjà.", "name")
    with database.atomic("IMMEDIATE"):
        preset = Preset.create(name=name, text=text, targeting=targeting.to_json(), priority=int(priority),
                               exercise=bool(exercise), ack=bool(ack))
        audit.record(actor, "preset.add", name, {"text": text, "targeting": targeting.describe(),
                                                 "exercise": bool(exercise), "ack": bool(ack)})
    return preset


def update(name: str, *, actor: str, text: str | None = None, targeting=None, priority: int | None = None,
           new_name: str | None = None, max_parts: int = 4, exercise: bool | None = None,
           ack: bool | None = None) -> Preset:
    preset = get(name)
    with database.atomic("IMMEDIATE"):
        if new_name is not None:
            new_name = _clean_name(new_name)
            other = find(new_name)
            if other is not None and other.id != preset.id:
                raise InvalidInput(f"Le modèle d'alerte « {new_name} » existe déjà.", "name")
            preset.name = new_name
        if text is not None:
            preset.text = _clean_text(text, max_parts)
        if targeting is not None:
            targeting.validate()
            preset.targeting = targeting.to_json()
        if priority is not None:
            preset.priority = int(priority)
        if exercise is not None:
            preset.exercise = bool(exercise)
        if ack is not None:
            preset.ack = bool(ack)
        preset.updated_at = time.time()
        preset.save()
        audit.record(actor, "preset.update", preset.name, {"text": preset.text})
    return preset


def delete(name: str, actor: str) -> None:
    preset = get(name)
    with database.atomic("IMMEDIATE"):
        preset.delete_instance()
        audit.record(actor, "preset.delete", preset.name)


list = list_all     # the contract's name: presets.list()
