"""French wording rules the box writes by: counted nouns agree, « de » elides before a vowel."""

import re
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


def collation_key(name: str) -> tuple:
    """French alphabetical order: accents, case, hyphens and apostrophes set aside first (« Buré » before
    « Bursard », « Écouché » among the E), then the written form to break ties."""
    base = unicodedata.normalize("NFKD", name or "")
    base = "".join(c for c in base if not unicodedata.combining(c)).casefold()
    base = base.replace("œ", "oe").replace("æ", "ae")
    return (re.sub(r"[\s'’-]+", " ", base).strip(), name or "")


def decimal(value: float, digits: int = 1) -> str:
    """1.5 → « 1,5 »: a decimal comma."""
    return f"{value:.{digits}f}".replace(".", ",")


def seconds(value: float, digits: int = 1) -> str:
    """1.0 → « 1,0 s »."""
    return f"{decimal(value, digits)} s"


def decimal_g(value: float) -> str:
    """1.0 → « 1 », 1.5 → « 1,5 »: as few digits as needed, with a decimal comma."""
    return f"{value:g}".replace(".", ",")
