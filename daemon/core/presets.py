"""Ready alerts: a text, a targeting and a priority, sent in one gesture (the panic button)."""

import time

from vigie.daemon.core.models import Preset, database
from vigie.daemon.core.namedsets import NamedSet, Noun
from vigie.daemon.core.reference import smstext

PRESETS = NamedSet(Preset, kind="preset", noun=Noun("Modèle d'alerte", "le modèle d'alerte",
                                                    "du modèle d'alerte", "Modèle d'alerte inconnu"))
find, get, get_by_id, list_all, delete = (PRESETS.find, PRESETS.get, PRESETS.get_by_id, PRESETS.list_all,
                                         PRESETS.delete)


def _targeting_cls():
    from vigie.daemon.core.targeting import Targeting  # targeting imports sectors/zones; keep this module light
    return Targeting


def _clean_text(text: str, max_parts: int) -> str:
    from vigie.daemon.core import fields
    text = (text or "").strip()
    fields.names(text)
    smstext.check(text, max_parts)
    return text


def targeting_of(preset: Preset):
    return _targeting_cls().from_json(preset.targeting)


def create(name: str, text: str, targeting, priority: int = 0, *, actor: str, max_parts: int = 4,
           exercise: bool = False, ack: bool = False) -> Preset:
    name = PRESETS.clean_name(name)
    text = _clean_text(text, max_parts)
    targeting.validate()
    return PRESETS.create(name, actor=actor, detail={"text": text, "targeting": targeting.describe(),
                                                     "exercise": bool(exercise), "ack": bool(ack)},
                          text=text, targeting=targeting.to_json(), priority=int(priority),
                          exercise=bool(exercise), ack=bool(ack))


def update(name: str, *, actor: str, text: str | None = None, targeting=None, priority: int | None = None,
           new_name: str | None = None, max_parts: int = 4, exercise: bool | None = None,
           ack: bool | None = None) -> Preset:
    preset = get(name)
    with database.atomic("IMMEDIATE"):
        PRESETS.rename(preset, new_name)
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
        PRESETS.record_update(actor, preset, {"text": preset.text})
    return preset
