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


def duration(seconds) -> str:
    """« 45 s », « 2 min 30 s », « 3 h 05 min », « 4 jours »: for estimates, ages and delays."""
    seconds = int(round(seconds or 0))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} jours"


def percent(rate) -> str:
    """0.9731 → « 97,3 % » (a narrow no-break space before %)."""
    return "—" if rate is None else f"{rate * 100:.1f}".replace(".", ",") + "\u202f%"
