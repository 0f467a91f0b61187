"""Alert texts with fields: « {commune} », « {enseigne} », « {date} », « {heure} », « {secteur} »,
filled per recipient; a missing value has a fixed French fallback, so no SMS shows a hole."""

import re
import string
from dataclasses import dataclass

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.reference import smstext
from vigie.daemon.core.schedule import paris

FIELDS = {
    "commune": "la commune de l'adhérent",
    "enseigne": "l'enseigne (à défaut le nom) de l'adhérent",
    "date": "la date de l'envoi (JJ/MM/AAAA)",
    "heure": "l'heure de l'envoi (HH:MM)",
    "secteur": "le secteur ciblé, en mots",
}
FALLBACKS = {"commune": "votre commune", "enseigne": "votre établissement", "secteur": "votre secteur"}


@dataclass
class Context:
    """What the alert itself knows: its start time and its targeting in words."""
    at: float
    area: str = ""


def names(text: str) -> list[str]:
    """The fields a text uses; an unknown one is refused in French."""
    try:
        found = [name for _, name, _, _ in string.Formatter().parse(text or "") if name is not None]
    except ValueError:
        raise InvalidInput("Accolade non fermée dans le texte : écrivez les champs comme {commune}.",
                           "text") from None
    unknown = sorted({n for n in found if n not in FIELDS})
    if unknown:
        raise InvalidInput(f"Champ inconnu dans le texte : « {{{unknown[0]}}} » (champs possibles : "
                           + ", ".join("{" + f + "}" for f in FIELDS) + ").", "text")
    return found


def has_fields(text: str) -> bool:
    return bool(names(text))


def fill(text: str, *, commune: str = "", sign: str = "", name: str = "", context: Context) -> str:
    """The text for one recipient."""
    if not names(text):
        return text
    local = paris(context.at)
    values = {
        "commune": commune or FALLBACKS["commune"],
        "enseigne": sign or name or FALLBACKS["enseigne"],
        "date": local.strftime("%d/%m/%Y"),
        "heure": local.strftime("%H:%M"),
        "secteur": context.area or FALLBACKS["secteur"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], text)


def longest(texts) -> str:
    """The text that costs the most parts (then the most characters): the one to count and check."""
    return max(texts, key=lambda s: (smstext.analyze(s).parts, smstext.analyze(s).units), default="")
