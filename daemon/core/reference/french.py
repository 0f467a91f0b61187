"""French wording rules the box writes by: counted nouns agree, « de » elides before a vowel."""

import unicodedata


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """« 0 destinataire », « 1 destinataire », « 2 destinataires » (French: 0 and 1 are singular)."""
    return f"{n} {singular if abs(n) <= 1 else (plural_form or singular + 's')}"


def of(name: str) -> str:
    """« de » before a place name: « d'Argentan », « du Mêle-sur-Sarthe », « des Aspres », « de Sées »."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    first = unicodedata.normalize("NFKD", name[:1]).lower()[:1]
    return ("d'" if first and first in "aeiouyh" else "de ") + name
