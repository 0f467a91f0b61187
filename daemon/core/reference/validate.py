"""Validation of what people type or import: each function returns the normalised value or raises
InvalidInput with a French message naming the field, so a bad cell never gets stored as is."""

import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from vigie.daemon.core.errors import InvalidInput

_SEPARATORS = re.compile(r"[\s.\-_/\u00a0\u202f]+")


def _digits_only(value: str) -> str:
    return _SEPARATORS.sub("", str(value or "")).strip()


def _fold(value: str) -> str:
    """Lower case without accents: 'Chambre de Métiers' -> 'chambre de metiers'."""
    decomposed = unicodedata.normalize("NFKD", str(value or ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


# --- company numbers -------------------------------------------------------------------

def _company_number(value: str, length: int, name: str, field: str, module) -> str:
    raw = str(value or "").strip()
    number = _digits_only(raw)
    if not number:
        raise InvalidInput(f"Le {name} est obligatoire.", field)
    if re.fullmatch(r"\d[.,]\d+E\+?\d+", raw.replace(" ", ""), re.IGNORECASE):
        raise InvalidInput(
            f"Le {name} « {raw} » a été converti en nombre par le tableur et ses derniers chiffres "
            f"sont perdus : mettez la colonne au format texte et ressaisissez-le.", field)
    if not number.isdigit():
        raise InvalidInput(f"Le {name} « {raw} » ne doit contenir que des chiffres.", field)
    if len(number) != length:
        hint = ""
        if len(number) == length - 1 and module.is_valid("0" + number):
            hint = " Le tableur a peut-être supprimé un zéro initial."
        raise InvalidInput(
            f"Le {name} « {raw} » doit faire {length} chiffres (il en a {len(number)}).{hint}", field)
    if not module.is_valid(number):
        raise InvalidInput(
            f"Le {name} « {raw} » est invalide : la clé de contrôle ne correspond pas "
            f"(erreur de frappe ?).", field)
    if number[:9] == "000000000":          # Luhn-valid, but INSEE never assigns a SIREN of zeros
        raise InvalidInput(
            f"Le {name} « {raw} » n'existe pas : l'INSEE n'attribue aucun numéro fait de zéros "
            f"(numéro de remplissage ?).", field)
    return number


def siret(value: str) -> str:
    """14 digits with a valid Luhn key (La Poste's establishments included): '73282932000074'."""
    return _company_number(value, 14, "SIRET", "siret", stdnum_siret)


def siren(value: str) -> str:
    """9 digits with a valid Luhn key: '732829320'."""
    return _company_number(value, 9, "SIREN", "siren", stdnum_siren)


# --- phones ----------------------------------------------------------------------------

# Overseas départements dial like the mainland (0692..., 0690...) but are separate regions
# for phonenumbers: a number invalid in France is tried there before being refused.
_OVERSEAS = ("RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF")
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# Regions dialled through the French numbering plan: metropolitan France and overseas.
_FRENCH_REGIONS = frozenset(("FR", *_OVERSEAS))
# A number a spreadsheet turned into a float: "6,12346E+08" (the leading zero and digits are lost).
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?E[+-]?\d+", re.IGNORECASE)

# [daemon] allow_foreign_mobiles, set once per process from the settings (allow_foreign_mobiles()).
_policy = {"allow_foreign": False}


def allow_foreign_mobiles(allowed: bool) -> None:
    """Accept (True) or refuse (False, the default) mobiles outside France for this process."""
    _policy["allow_foreign"] = bool(allowed)


def _parse(raw: str, region: str):
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return number
    if region == "FR" and not raw.lstrip().startswith(("+", "00")):
        for overseas in _OVERSEAS:
            try:
                candidate = phonenumbers.parse(raw, overseas)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(candidate):
                return candidate
    return None


_PHONE_LABEL = re.compile(r"^(t[ée]l[ée]?(phone)?|port(able)?|mob(ile)?|gsm|portable)\s*[.:]?\s*",
                          re.IGNORECASE)


def mobile_phone(value: str, region: str = "FR", *, allow_foreign: bool | None = None) -> str:
    """A mobile number in E.164 ('+33612345678'); landlines and special numbers are refused, and so
    are foreign mobiles unless ``allow_foreign`` (default: [daemon] allow_foreign_mobiles)."""
    raw = _PHONE_LABEL.sub("", str(value or "").strip())
    if not raw:
        raise InvalidInput("Le numéro de téléphone est vide.", "phone")
    if _SCIENTIFIC.fullmatch(raw.replace(" ", "")):
        raise InvalidInput(
            f"Le numéro « {raw} » a été converti en nombre par le tableur : le zéro initial et les "
            f"derniers chiffres sont perdus. Mettez la colonne au format texte et ressaisissez-le.", "phone")
    if re.search(r"[A-Za-z]", raw.replace("ext", "")) or not re.search(r"\d", raw):
        raise InvalidInput(f"« {raw} » n'est pas un numéro de téléphone.", "phone")
    number = _parse(raw, region)
    if number is None:
        digits = re.sub(r"\D", "", raw)
        if len(digits) < 8:
            raise InvalidInput(
                f"Le numéro « {raw} » est trop court : indiquez un mobile à 10 chiffres "
                f"(06 ou 07).", "phone")
        raise InvalidInput(f"Le numéro « {raw} » n'est pas un numéro de téléphone valide.", "phone")
    kind = phonenumbers.number_type(number)
    if kind not in _MOBILE_TYPES:
        shown = (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                 if number.country_code == 33 else
                 phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
        if kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.VOIP):
            why = "est un fixe"
        elif kind in (PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE,
                      PhoneNumberType.SHARED_COST):
            why = "est un numéro spécial"
        else:
            why = "n'est pas un mobile"
        raise InvalidInput(f"Le numéro {shown} {why} : il ne peut pas recevoir de SMS.", "phone")
    allowed = _policy["allow_foreign"] if allow_foreign is None else allow_foreign
    country = phonenumbers.region_code_for_number(number)
    if country not in _FRENCH_REGIONS and not allowed:
        from phonenumbers import geocoder
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        name = geocoder.country_name_for_number(number, "fr") or country or "?"
        raise InvalidInput(
            f"Le numéro {shown} est un mobile étranger ({name}) : la carte SIM de la box peut ne pas "
            f"l'atteindre, ou le facturer cher. Seuls les mobiles français (métropole et outre-mer) sont "
            f"acceptés ; pour en accepter d'autres : [daemon] allow_foreign_mobiles = true.", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PHONE_SPLIT = re.compile(r"[/;,|\n]+|\s+(?:et|ou)\s+", re.IGNORECASE)


# A French number as people write it, to find two numbers separated only by spaces.
_FRENCH_NUMBER = re.compile(r"(?:(?:\+|00)33[\s.\-]*(?:\(0\))?[\s.\-]*|0)[1-9](?:[\s.\-]?\d{2}){4}")


def _pieces(cell: str) -> list[str]:
    pieces = []
    for piece in _PHONE_SPLIT.split(cell):
        piece = piece.strip()
        if not piece:
            continue
        found = _FRENCH_NUMBER.findall(piece)
        digits = re.sub(r"\D", "", piece)
        if len(found) > 1 and "".join(re.sub(r"\D", "", f) for f in found) == digits:
            pieces.extend(found)
        else:
            pieces.append(piece)
    return pieces


def phones(value: str, *, allow_foreign: bool | None = None) -> list[str]:
    """Every mobile of a cell holding several ('06 12 34 56 78 / 07 98 76 54 32'), duplicates dropped."""
    result = []
    cell = str(value or "").strip()
    if _SCIENTIFIC.fullmatch(cell.replace(" ", "")):
        return [mobile_phone(cell)]             # refused whole (a "," would split it): the spreadsheet hint
    for piece in _pieces(cell):
        phone = mobile_phone(piece, allow_foreign=allow_foreign)
        if phone not in result:
            result.append(phone)
    return result


# --- sector, chamber, e-mail ---------------------------------------------------------------

def naf_code(value: str) -> str:
    """A NAF rév. 2 sub-class of the shipped nomenclature: '4777Z' -> '47.77Z'."""
    return naf_activity(value, "rev2")[1]


def naf_activity(value: str, nomenclature: str | None = None) -> tuple[str, str]:
    """(nomenclature, sub-class) of an APE code, in the nomenclature given or said ('2025:47.77'), or
    recognised: '4777Y' -> ('2025', '47.77Y'), '47.77Z' -> ('rev2', '47.77Z'); an ambiguous one is refused."""
    from vigie.daemon.core.reference import naf
    raw = str(value or "").strip()
    if not raw:
        raise InvalidInput("Le code NAF (APE) est obligatoire.", "naf")
    try:
        nomenclature, code = naf.resolve(raw, nomenclature)
    except InvalidInput as e:
        raise InvalidInput(e.message, "naf") from None
    kind = naf.level(code, nomenclature)
    below = naf.children(code, nomenclature)
    if kind == "class" and len(below) == 1:
        return nomenclature, below[0]          # "47.77" in NAF rév. 2 can only mean 47.77Z
    if kind != "subclass":
        example = "47.77Y" if nomenclature == naf.NAF2025 else "47.77Z"
        raise InvalidInput(
            f"Le code NAF « {raw} » désigne {naf.LEVEL_WITH_ARTICLE[kind]} de la "
            f"{naf.nomenclature_name(nomenclature)}, pas une activité précise : indiquez le code APE complet "
            f"(par ex. {example}).", "naf")
    return nomenclature, code


_CHAMBERS = (
    ("cci", ("cci", "commerce", "industrie")),
    ("cma", ("cma", "metier", "artisan")),
    ("ca", ("agri",)),
)


def chamber(value: str) -> str:
    """The consular chamber: 'cci', 'cma' or 'ca' ('' when none is given)."""
    folded = _fold(value)
    if not folded:
        return ""
    words = re.sub(r"[^a-z]+", " ", folded).split()
    for code, stems in _CHAMBERS:
        if any(word.startswith(stem) for word in words for stem in stems):
            return code
    if "ca" in words:
        return "ca"
    raise InvalidInput(
        f"Chambre consulaire « {value} » inconnue : indiquez CCI (commerce et industrie), "
        f"CMA (métiers et artisanat) ou CA (agriculture).", "chamber")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def email(value: str) -> str:
    """A plausible e-mail address, domain lower-cased; '' when none is given."""
    raw = str(value or "").strip()
    if not raw:
        return ""
    if not _EMAIL.match(raw) or ".." in raw:
        raise InvalidInput(f"Adresse e-mail « {raw} » invalide.", "email")
    local, domain = raw.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


# --- communes ----------------------------------------------------------------------------

_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def insee_code(value: str) -> str:
    """A current commune's INSEE code; a former commune's code gives its current commune."""
    from vigie.daemon.core.models import Commune, FormerCommune
    raw = str(value or "").strip()
    code = raw.upper().replace(" ", "")
    if not code:
        raise InvalidInput("Le code INSEE de la commune est vide.", "commune")
    if not _INSEE.match(code):
        raise InvalidInput(
            f"« {raw} » n'est pas un code INSEE de commune (5 caractères, par ex. 61006).", "commune")
    if Commune.select().where(Commune.insee == code).exists():
        return code
    former = FormerCommune.get_or_none(FormerCommune.insee == code)
    if former is not None:
        return former.parent_id
    raise InvalidInput(f"Code INSEE « {raw} » inconnu : aucune commune chargée ne porte ce code.",
                       "commune")
