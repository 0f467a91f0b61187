"""Counting an SMS text as the network will, and keeping French text inside GSM-7.

A text written only with GSM 03.38 characters goes out as 7-bit septets: 160 in a single SMS,
153 per part once concatenated (the user data header takes 7 septets). Extension characters
(``^{}\\[~]|€`` and form feed) are sent as ESC + character and cost 2 septets. One character
outside both tables switches the whole text to UCS-2: 70 UTF-16 code units in a single SMS, 67 per
part, and a character outside the BMP (an emoji) costs 2 units.

Splitting: like the phones and python-gsmmodem's own splitter, an escape pair (GSM-7) or a surrogate
pair (UCS-2) is never cut across two parts, so a part may hold one unit less than ``per_part``;
``parts`` and ``remaining`` are counted that way.

What actually goes on air is encoded by python-gsmmodem-new 0.13.0, whose tables differ from
GSM 03.38 (checked against gsmmodem.pdu by tests/test_smstext.py):
- its basic table has "`" at 0x5F where GSM 03.38 has "§": it sends "`" in GSM-7 and phones show
  "§"; it cannot encode "§" in GSM-7 and sends a text holding one in UCS-2;
- its extension table maps "ÿ" to the form feed's code (ESC 0x0A): phones show a page break; it has
  no entry for the form feed itself, sent in UCS-2.
So every text goes through ``for_air`` before it is counted or queued: the characters the library
would put on air as another one (ON_AIR) are replaced by what the reader expects ("`" → "'",
"ÿ" → "y"), and the preview lists them in ``replaced``; "§" and the form feed are counted among
``non_gsm`` (UCS-2) although GSM 03.38 holds them. ``transliterate`` replaces all of them. The library
also cannot encode a character outside the Unicode BMP (an emoji raises ValueError): ``analyze``
lists them in ``unsendable`` so that the preview says beforehand that ``check`` will refuse the text.
"""

import unicodedata
from dataclasses import dataclass

from vigie.daemon.core.errors import InvalidInput

# GSM 03.38 default alphabet, positions 0x00-0x7F; 0x1B is the escape to the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# GSM 03.38 default extension table (each sent as ESC + code, 2 septets).
GSM7_EXTENSION = "\f^{}\\[~]|€"

# In GSM 03.38, but the sending library cannot encode them in GSM-7 (see above): sent in UCS-2.
NOT_SENT_AS_GSM7 = frozenset("§\f")
# What the library would put on air as another character ("`" shown as "§", "ÿ" as a page break),
# replaced before counting and queuing by what the reader expects.
ON_AIR = {"`": "'", "ÿ": "y"}
_ON_AIR_TABLE = str.maketrans(ON_AIR)
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"} - NOT_SENT_AS_GSM7
_EXTENSION = frozenset(GSM7_EXTENSION) - NOT_SENT_AS_GSM7

SINGLE_GSM7, PART_GSM7 = 160, 153
SINGLE_UCS2, PART_UCS2 = 70, 67

# French typography and common look-alikes that GSM-7 lacks, mapped to what it has.
_TRANSLITERATION = {
    "ç": "c", "œ": "oe", "Œ": "OE",
    "ê": "e", "ë": "e", "î": "i", "ï": "i", "ô": "o", "û": "u", "â": "a", "ÿ": "y",
    "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I", "Ô": "O", "Û": "U", "Â": "A", "À": "A", "È": "E",
    "Ù": "U", "Ÿ": "Y",
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "‟": '"', "‹": "'", "›": "'",
    "’": "'", "‘": "'", "‚": "'", "‛": "'", "`": "'", "´": "'", "′": "'", "″": '"',
    "…": "...", "–": "-", "—": "-", "‐": "-", "‑": "-", "‒": "-", "―": "-", "−": "-",
    "•": "-", "·": ".",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2008": " ", "\u200a": " ",
    "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ", "\t": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "",
    "°": "o", "№": "No", "§": "par.", "\f": "\n",
    "→": "->", "←": "<-", "⇒": "=>", "↔": "<->", "✓": "v", "✔": "v", "×": "x",
}


@dataclass(frozen=True)
class SmsInfo:
    """What a text costs: encoding, size in characters and in units, and SMS parts."""

    encoding: str           # "gsm7" | "ucs2"
    chars: int              # characters (code points) of the text
    units: int              # septets (extension chars count 2) or UTF-16 code units
    parts: int              # SMS the network will carry (1 for an empty text)
    per_part: int           # 160/153 (gsm7) or 70/67 (ucs2)
    remaining: int          # units still free in the last part
    non_gsm: tuple[str, ...]  # characters forcing UCS-2, in order of first appearance
    replaced: tuple[str, ...] = ()     # characters replaced on air (ON_AIR), in order of first appearance
    unsendable: tuple[str, ...] = ()   # characters the modem cannot send (emojis): check() refuses the text


def _is_gsm(char: str) -> bool:
    return char in _BASIC or char in _EXTENSION


def _costs(text: str, encoding: str) -> list[int]:
    if encoding == "gsm7":
        return [2 if c in _EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _pack(costs: list[int], per_part: int) -> tuple[int, int]:
    """Parts and units used in the last part, never splitting a 2-unit character."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts, used


def for_air(text: str) -> str:
    """``text`` as it goes on air: the characters of ON_AIR replaced. Applied when a message is queued
    and again by the GSM transport, so the preview, the outbox and the phone agree."""
    return text.translate(_ON_AIR_TABLE)


def unsendable(text: str) -> tuple[str, ...]:
    """Characters outside the Unicode BMP (emojis...), which the modem cannot encode."""
    return tuple(dict.fromkeys(c for c in text if ord(c) > 0xFFFF))


def analyze(text: str) -> SmsInfo:
    """Count ``text`` as the network will carry it (after ``for_air``)."""
    replaced = tuple(dict.fromkeys(c for c in text if c in ON_AIR))
    text = for_air(text)
    non_gsm = tuple(dict.fromkeys(c for c in text if not _is_gsm(c)))
    encoding = "ucs2" if non_gsm else "gsm7"
    single, multi = (SINGLE_UCS2, PART_UCS2) if non_gsm else (SINGLE_GSM7, PART_GSM7)
    costs = _costs(text, encoding)
    units = sum(costs)
    if units <= single:
        parts, per_part, used = 1, single, units
    else:
        per_part = multi
        parts, used = _pack(costs, multi)
    return SmsInfo(encoding=encoding, chars=len(text), units=units, parts=parts,
                   per_part=per_part, remaining=per_part - used, non_gsm=non_gsm,
                   replaced=replaced, unsendable=unsendable(text))


def _fallback(char: str) -> str:
    """A GSM-7 stand-in through Unicode compatibility decomposition; a pictogram (emoji, symbol)
    is dropped rather than shown as a '?' that would read as a question; anything else is '?'."""
    if ord(char) > 0xFFFF or unicodedata.category(char) in ("So", "Sk", "Cs", "Co"):
        return ""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = "".join(_TRANSLITERATION.get(c, c) for c in kept)
    if kept and all(_is_gsm(c) for c in kept):
        return kept
    return "?"


def transliterate(text: str) -> str:
    """Rewrite ``text`` with GSM-7 characters only, keeping French readable (ê→e, «»→", œ→oe)."""
    out = []
    for char in text:
        if char in _TRANSLITERATION:
            out.append(_TRANSLITERATION[char])
        elif _is_gsm(char):
            out.append(char)
        else:
            out.append(_fallback(char))
    return "".join(out)


def check(text: str, max_parts: int) -> SmsInfo:
    """``analyze`` for a text about to be sent: refuses an empty text or one of too many parts."""
    if not text or not text.strip():
        raise InvalidInput("Le texte est vide.", "text")
    refused = unsendable(text)
    if refused:
        raise InvalidInput(unsendable_message(refused), "text")
    info = analyze(text)
    if info.parts > max_parts:
        if info.encoding == "ucs2":
            shown = " ".join(info.non_gsm[:5])
            why = (f" Le texte contient des caractères hors alphabet GSM ({shown}) : "
                   f"chaque SMS ne porte alors que {SINGLE_UCS2} caractères ({PART_UCS2} en message long).")
        else:
            why = ""
        raise InvalidInput(
            f"Le texte fait {info.parts} SMS ({info.units} caractères comptés), "
            f"le maximum autorisé est {max_parts} SMS.{why}", "text")
    return info


def unsendable_message(chars) -> str:
    """Why a text with emojis is refused, and the way out (French)."""
    return (f"Le texte contient des caractères que le modem ne peut pas envoyer ({' '.join(chars[:5])}, "
            f"émojis par exemple) : retirez-les ou remplacez-les par des caractères simples.")
