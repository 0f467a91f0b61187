"""Settings: one TOML file, read against a typed schema, refused in French when wrong.

Where the file is: ``--config PATH``, else ``$VIGIE_CONFIG``, else /etc/vigientreprise/vigie.toml.

Each table of the file (``[daemon]``, ``[[modem]]``...) is declared once below as a :class:`Table` of
:class:`Key` s: name, type with its bounds (:class:`Integer`, :class:`Number`, :class:`Text`...),
default and French help. From that single declaration come the frozen settings classes
(``settings.daemon.send_timeout_seconds``, ``settings.modems[0].port``), the checks with their
French messages, the commented file that ``vigie init`` writes (:func:`default_file`) and the README's
table (:func:`markdown_table`). A transport brings its own table with :func:`register_table` (or
adds keys to an existing one with :func:`extend_table`) at import time; core never imports it.
"""

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field

from vigie.daemon.core.errors import ConfigError, VigieError

DEFAULT_PATH = "/etc/vigientreprise/vigie.toml"
MODELS = ("sim800", "sim7600", "generic")
REQUIRED = object()                     # default of a key the file must give


# --- value types, each with its bounds and its French words -------------------------------------

class Invalid(ValueError):
    """A value refused by its type; the message says why, in French, without the key's name."""


def french_number(value) -> str:
    """0.05 → « 0,05 », 3.0 → « 3 », 65535 → « 65535 »."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def french_list(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " ou " + items[-1]


def toml_value(value) -> str:
    """A value as it is written in the TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Type:
    """Base of the value types: ``convert`` returns the Python value or raises :class:`Invalid`."""
    nullable: bool = False              # the key may be left out and then is None
    hint: str = ""                      # the accepted values in French words, when describe() says too little

    kind = "une valeur"

    def convert(self, value):
        raise NotImplementedError

    def python_type(self):
        return object

    def describe(self) -> str:
        """The accepted values, in French, for the README."""
        return ""


def _bounded(value, minimum, maximum, fmt=french_number):
    if minimum is not None and value < minimum:
        raise Invalid(f"doit être au moins {fmt(minimum)}")
    if maximum is not None and value > maximum:
        raise Invalid(f"doit être au plus {fmt(maximum)}")
    return value


def _range_words(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f"de {french_number(minimum)} à {french_number(maximum)}"
    if minimum is not None:
        return f"au moins {french_number(minimum)}"
    if maximum is not None:
        return f"au plus {french_number(maximum)}"
    return ""


@dataclass(frozen=True)
class Boolean(Type):
    kind = "vrai ou faux (true/false)"

    def convert(self, value):
        if not isinstance(value, bool):
            raise Invalid(f"il faut {self.kind}")
        return value

    def python_type(self):
        return bool

    def describe(self):
        return "`true` ou `false`"


@dataclass(frozen=True)
class Integer(Type):
    minimum: int | None = None
    maximum: int | None = None
    kind = "un nombre entier"

    def convert(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"il faut {self.kind}")
        return _bounded(value, self.minimum, self.maximum)

    def python_type(self):
        return int | None if self.nullable else int

    def describe(self):
        return "entier " + _range_words(self.minimum, self.maximum)


@dataclass(frozen=True)
class Port(Integer):
    minimum: int | None = 1
    maximum: int | None = 65535

    def convert(self, value):
        value = Integer(minimum=None, maximum=None).convert(value)
        if not self.minimum <= value <= self.maximum:
            raise Invalid(f"n'est pas un port valide ({self.minimum} à {self.maximum})")
        return value

    def describe(self):
        return f"port TCP de {self.minimum} à {self.maximum}"


@dataclass(frozen=True)
class Number(Type):
    minimum: float | None = None
    maximum: float | None = None
    kind = "un nombre"

    def convert(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(f"il faut {self.kind}")
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid("il faut un nombre fini")
        return float(_bounded(value, self.minimum, self.maximum))

    def python_type(self):
        return float | None if self.nullable else float

    def describe(self):
        return "nombre " + _range_words(self.minimum, self.maximum)


@dataclass(frozen=True)
class Text(Type):
    """A string; ``pattern`` (full match) comes with ``pattern_words``, what to write, in French."""
    nonempty: bool = False
    pattern: str | None = None
    pattern_words: str = ""
    max_length: int | None = None
    kind = "un texte"

    def convert(self, value):
        if not isinstance(value, str):
            raise Invalid(f"il faut {self.kind} (entre guillemets)")
        if self.nonempty and not value.strip():
            raise Invalid("ne doit pas être vide")
        if self.max_length is not None and len(value) > self.max_length:
            raise Invalid(f"doit compter au plus {self.max_length} caractères")
        if self.pattern and value and not re.fullmatch(self.pattern, value):
            raise Invalid(self.pattern_words or "forme invalide")
        return value

    def python_type(self):
        return str | None if self.nullable else str

    def describe(self):
        if self.hint:
            return self.hint
        words = []
        if self.nonempty:
            words.append("texte non vide")
        if self.pattern_words:
            words.append(self.pattern_words.removeprefix("doit être ").removeprefix("doit "))
        return ", ".join(words) or "texte"


@dataclass(frozen=True)
class Networks(Type):
    """A list of IP addresses or networks (« 192.168.1.10 », « 10.0.0.0/24 »), kept as a tuple of texts."""
    kind = "une liste d'adresses IP ou de réseaux"

    def convert(self, value):
        import ipaddress
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid(f"il faut {self.kind} entre crochets, par exemple [\"192.168.1.10\"]")
        for v in value:
            try:
                ipaddress.ip_network(v.strip(), strict=False)
            except ValueError:
                raise Invalid(f"« {v} » n'est ni une adresse IP ni un réseau") from None
        return tuple(v.strip() for v in value)

    def python_type(self):
        return tuple

    def describe(self):
        return "liste d'adresses IP ou de réseaux"


@dataclass(frozen=True)
class Choice(Text):
    choices: tuple = ()
    label: str = "valeur"               # « modèle « sim900 » inconnu »

    def convert(self, value):
        value = Text.convert(self, value)
        if value not in self.choices:
            raise Invalid(f"{self.label} « {value} » inconnu (attendu : {french_list(self.choices)})")
        return value

    def describe(self):
        return french_list(f"`{c}`" for c in self.choices)


@dataclass(frozen=True)
class Address(Text):
    """``host:port`` for a listener."""

    def convert(self, value):
        value = Text.convert(self, value)
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise Invalid("il faut une adresse de la forme hôte:port (par exemple 127.0.0.1:13080)")
        return value

    def describe(self):
        return "`hôte:port`"


@dataclass(frozen=True)
class Url(Text):
    def convert(self, value):
        value = Text.convert(self, value)
        if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise Invalid("il faut une adresse http:// ou https://")
        return value

    def describe(self):
        return "adresse `http://` ou `https://`"


# --- keys and tables -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """One key of a table: declared once, with its type, its default and its French help."""
    name: str
    type: Type
    default: object = REQUIRED
    help: str = ""
    example: object = None              # written commented out by `vigie init` when the default is None
    init: object = None                 # value written by `vigie init` when it differs from the default

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def convert(self, value):
        if value is None and self.type.nullable:
            return None
        return self.type.convert(value)


@dataclass
class Table:
    """A table of the file: ``[name]`` (one) or ``[[name]]`` (``repeated``, a list of them).

    ``attr`` is the attribute of Settings (``modems`` for ``[[modem]]``); ``check(section, where)``
    refuses inconsistent keys of one table (raise ConfigError); ``init``: "yes" (written by
    `vigie init`), "commented" (written commented out, an example to uncomment) or "no".
    """
    name: str
    keys: list[Key]
    help: str = ""
    repeated: bool = False
    attr: str = ""
    check: object = None
    init: str = "yes"
    each: str = ""                      # README: « (un par modem) »
    class_name: str = ""
    settings_class: type = field(init=False, repr=False, default=None)

    def __post_init__(self):
        self.attr = self.attr or (self.name + "s" if self.repeated else self.name)
        self.class_name = self.class_name or self.name.capitalize() + "Settings"
        self.build()

    @property
    def header(self) -> str:
        return f"[[{self.name}]]" if self.repeated else f"[{self.name}]"

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    def build(self):
        """(Re)make the frozen settings class from the keys; required keys come first."""
        fields = []
        for k in sorted(self.keys, key=lambda k: not k.required):
            if k.required:
                fields.append((k.name, k.type.python_type()))
            else:
                fields.append((k.name, k.type.python_type(), field(default=k.default)))
        self.settings_class = dataclasses.make_dataclass(self.class_name, fields, frozen=True)
        self.settings_class.__module__ = __name__
        self.settings_class.__doc__ = f"Settings of {self.header}, made from its schema."
        return self.settings_class

    def default(self):
        return () if self.repeated else self.settings_class()

    def parse_one(self, data, label: str = ""):
        where = self.header + (f" « {label} »" if label else "")
        if not isinstance(data, dict):
            raise ConfigError(f"{where} doit être une table.")
        known = {k.name: k for k in self.keys}
        values = {}
        for name, value in data.items():
            if name not in known:
                raise ConfigError(f"{where} : clé inconnue « {name} ».")
            try:
                values[name] = known[name].convert(value)
            except Invalid as e:
                raise ConfigError(f"{self.header} {name} = {toml_value(value)}"
                                  f"{f' (« {label} »)' if label else ''} : {e}.") from None
        for k in self.keys:
            if k.required and (k.name not in values or values[k.name] in ("", None)):
                raise ConfigError(f"{where} : la clé « {k.name} » est obligatoire.")
        section = self.settings_class(**values)
        if self.check:
            self.check(section, where)
        return section

    def parse(self, data):
        if not self.repeated:
            return self.parse_one(data if data is not None else {})
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise ConfigError(f"{self.header} doit être une liste de tables.")
        sections = tuple(self.parse_one(t, label=_label(t, i)) for i, t in enumerate(data, 1))
        names = [getattr(s, "name", None) for s in sections]
        if None not in names and len(set(names)) != len(names):
            raise ConfigError(f"{self.header} : deux {self.name}s portent le même nom.")
        return sections


def _label(table, number: int) -> str:
    name = table.get("name") if isinstance(table, dict) else None
    return name if isinstance(name, str) and name else f"n° {number}"


TABLES: dict[str, Table] = {}


def register_table(table: Table) -> Table:
    """Declare a table of the file (a transport's ``[[kannel]]``...); call it at import time."""
    if table.name in TABLES:
        raise ValueError(f"table {table.header} already declared")
    TABLES[table.name] = table
    return table


def extend_table(name: str, *keys: Key) -> type:
    """Add keys to a declared table (per-``[[modem]]`` quotas...); returns its rebuilt class."""
    table = TABLES[name]
    taken = {k.name for k in table.keys}
    for k in keys:
        if k.name in taken:
            raise ValueError(f"{table.header} {k.name} already declared")
    table.keys.extend(keys)
    cls = table.build()
    if globals().get(table.class_name) is not None:
        globals()[table.class_name] = cls
    return cls


# --- the tables of the box ----------------------------------------------------------------------

def _check_daemon(d, where):
    if d.retry_max_seconds < d.retry_base_seconds:
        raise ConfigError(f"{where} retry_max_seconds = {toml_value(d.retry_max_seconds)} : doit être au "
                          f"moins retry_base_seconds ({french_number(d.retry_base_seconds)}).")


def _check_web(w, where):
    if bool(w.certificate) != bool(w.key):
        raise ConfigError(f"{where} : il faut à la fois « certificate » et « key » pour HTTPS.")


def _check_button(b, where):
    pins = [("pin", b.pin), ("led_pin", b.led_pin), ("buzzer_pin", b.buzzer_pin)]
    seen = {}
    for name, pin in pins:
        if pin is not None and pin in seen:
            raise ConfigError(f"{where} {name} = {pin} : broche déjà prise par « {seen[pin]} ».")
        seen[pin] = name


GPIO = dict(minimum=0, maximum=27)      # BCM numbers of the Raspberry Pi's header

# Quotas of a transport (issue 13), counted from the outbox: SMS (parts) put on air in a rolling minute
# and hour, a calendar day and month (Europe/Paris), and distinct recipients in the calendar month.
# No limit by default; `vigie init` writes a consumer plan's figures commented out (CONSUMER_PLAN: Orange
# caps « illimité » plans at 250 distinct recipients a month, other operators at 99 to 200).
QUOTA_WINDOWS = ("minute", "hour", "day", "month", "recipients_month")
QUOTA_KEYS = {"minute": "quota_per_minute", "hour": "quota_per_hour", "day": "quota_per_day",
              "month": "quota_per_month", "recipients_month": "quota_recipients_per_month"}
CONSUMER_PLAN = {"minute": 10, "hour": 100, "day": 300, "month": 3000, "recipients_month": 200}
_QUOTA_HELP = {
    "minute": "SMS envoyés au plus par minute glissante",
    "hour": "SMS envoyés au plus par heure glissante",
    "day": "SMS envoyés au plus par jour (heure de Paris)",
    "month": "SMS envoyés au plus par mois civil (heure de Paris)",
    "recipients_month": "destinataires distincts au plus par mois civil (heure de Paris) ; un forfait "
                        "« SMS illimités » en compte 99 à 250 (Orange : 250)",
}


def _quota_keys(examples: dict | None = None) -> list:
    """The quota keys of a transport's table; ``examples``: what `vigie init` writes commented out."""
    suffix = " ; absent : aucune limite ; au plafond, ce moyen d'envoi est sauté"
    return [Key(QUOTA_KEYS[w], Integer(nullable=True, minimum=0, maximum=10_000_000), None,
                _QUOTA_HELP[w] + suffix, example=(examples or {}).get(w))
            for w in QUOTA_WINDOWS]

register_table(Table("database", help="Base de données.", keys=[
    Key("path", Text(nonempty=True), "/var/lib/vigientreprise/vigie.db",
        "fichier SQLite partagé par le démon et la console"),
    Key("retention_days", Integer(minimum=1, maximum=36500), 365,
        "conservation de l'historique des messages, en jours (`vigie purge`)"),
]))

register_table(Table("modem", repeated=True, each="un par modem",
                     help="Une table [[modem]] par modem ; plusieurs modems se partagent la file d'envoi.",
                     keys=[
    Key("name", Text(nonempty=True, max_length=32), help="nom du modem (unique)", init="hat"),
    Key("port", Text(nonempty=True), init="/dev/gsm-modem",
        help="tout chemin de périphérique série : `/dev/ttyS0`, `/dev/serial/by-id/...`, "
             "`/dev/gsm-modem`, lien créé par `vigie emulator --link`"),
    Key("model", Choice(choices=MODELS, label="modèle"), "generic",
        "modèle du modem (choisit `AT+CNMI` : le SIM800 refuse `2,1,0,2`)", init="sim800"),
    Key("baudrate", Integer(minimum=1200, maximum=4000000), 115200, "débit de la liaison série"),
    Key("pin", Text(pattern=r"[0-9]{4,8}", pattern_words="le code PIN doit compter 4 à 8 chiffres",
                    hint="vide ou 4 à 8 chiffres"), "",
        "code PIN de la carte SIM, vide si aucun"),
    Key("flow_control", Boolean(), False,
        "contrôle de flux matériel RTS/CTS ; `false` pour un HAT câblé sur TX/RX seulement"),
    Key("power_pin", Integer(nullable=True, **GPIO), None,
        "broche GPIO (BCM) reliée à PWRKEY pour redémarrer le module", example=4),
    Key("smsc", Text(pattern=r"\+?[0-9]{3,20}", pattern_words="doit être un numéro (chiffres, + en tête)",
                     hint="vide ou un numéro"),
        "", "réservé (le centre SMS de la carte SIM est utilisé)"),
    # Per-modem quota keys (messages per minute/hour/day/month, distinct recipients a month) go here,
    # or come from the worker with extend_table("modem", Key(...)); a cross-key check goes in
    # Table(check=...), like _check_daemon.
]))

register_table(Table("daemon", check=_check_daemon, help="Démon d'envoi (`vigie run`).", keys=[
    Key("control_socket", Text(nonempty=True), "/run/vigientreprise/control.sock",
        "socket de commande locale (`vigie button press`)"),
    Key("max_attempts", Integer(minimum=1, maximum=50), 5, "essais par message avant l'échec"),
    Key("retry_base_seconds", Number(minimum=0.1, maximum=3600), 30.0,
        "premier délai de réessai, doublé à chaque essai"),
    Key("retry_max_seconds", Number(minimum=0.1, maximum=86400), 900.0,
        "plafond du délai de réessai (au moins `retry_base_seconds`)"),
    Key("send_timeout_seconds", Number(minimum=1, maximum=600), 40.0,
        "attente de la réponse du réseau après l'envoi (au-delà : issue inconnue)"),
    Key("poll_interval_seconds", Number(minimum=0.01, maximum=60), 0.2,
        "scrutation de la file quand elle est vide"),
    Key("health_interval_seconds", Number(minimum=0.1, maximum=3600), 30.0,
        "vérification du signal et de l'enregistrement"),
    Key("reconnect_max_seconds", Number(minimum=0.1, maximum=3600), 60.0,
        "plafond du recul de reconnexion d'un modem"),
    Key("report_window_hours", Number(minimum=1, maximum=720), 72.0,
        "fenêtre de rapprochement des accusés de réception"),
    Key("log_at", Boolean(), False, "journaliser les échanges AT (logger `vigie.at`)"),
    Key("callback_listen", Address(nonempty=True), "127.0.0.1:13080",
        "écoute locale des rappels de Kannel (accusés et SMS reçus)"),
    Key("callback_secret", Text(pattern=r"([A-Za-z0-9._~-]{16,})?", pattern_words="doit compter 16 caractères au moins, "
                                "lettres sans accent, chiffres, « . _ ~ - »", hint="vide ou 16 caractères au moins"),
        "", "secret des rappels de Kannel, repris par `vigie kannel config` ; obligatoire avec une route [[kannel]]"),
    Key("allow_foreign_mobiles", Boolean(), False,
        "accepter les mobiles étrangers (Monaco, Belgique, Suisse, Royaume-Uni...) ; "
        "`false` : seuls la métropole et l'outre-mer sont acceptés"),
]))

def _check_alerts(a, where):
    from vigie.daemon.core import schedule  # schedule needs no configuration: no cycle
    try:
        schedule.QuietHours.parse(a.quiet_hours)
    except VigieError as e:
        raise ConfigError(f"{where} quiet_hours = {a.quiet_hours!r} : {e}") from None


register_table(Table("alerts", check=_check_alerts, help="Alertes.", class_name="AlertSettings", keys=[
    Key("max_parts", Integer(minimum=1, maximum=10), 4, "nombre maximal de parties SMS par alerte"),
    Key("default_expiry_hours", Number(minimum=0.1, maximum=72), 12.0,
        "une alerte non envoyée après ce délai expire au lieu de partir périmée"),
    Key("seconds_per_sms", Number(minimum=0.1, maximum=60), 3.0,
        "durée estimée d'un envoi par modem, pour l'estimation du temps d'envoi"),
    Key("quiet_hours", Text(pattern=r"\d{1,2}[:h]\d{2}\s*-\s*\d{1,2}[:h]\d{2}",
                            pattern_words="doit être une plage HH:MM-HH:MM, par exemple 21:00-07:30"), "",
        "heures calmes (heure de Paris) : les alertes « non urgentes » attendent la fin de la plage ; "
        "les alertes urgentes et le bouton n'attendent jamais ; vide : aucune", example="21:00-07:30"),
]))

register_table(Table("web", check=_check_web, help="Console web (`vigie web`).", keys=[
    Key("host", Text(nonempty=True), "127.0.0.1",
        "adresse d'écoute de la console (`0.0.0.0` dans le fichier écrit par `vigie init`)", init="0.0.0.0"),
    Key("port", Port(), 8080, "port d'écoute de la console"),
    Key("certificate", Text(), "", "HTTPS : chemin du certificat (`vigie init --self-signed` crée une paire)"),
    Key("key", Text(), "", "HTTPS : chemin de la clé privée du certificat"),
    Key("session_idle_minutes", Integer(minimum=1, maximum=1440), 30, "déconnexion après inactivité, en minutes"),
    Key("trusted_proxies", Networks(), (),
        "mandataires inverses (adresses ou réseaux) dont l'en-tête X-Forwarded-For est cru ; aucun par défaut"),
]))

register_table(Table("button", check=_check_button, help="Bouton d'alerte (numéros GPIO BCM).", keys=[
    Key("enabled", Boolean(), True, "bouton d'alerte branché"),
    Key("pin", Integer(**GPIO), 17, "broche GPIO (BCM) du bouton"),
    Key("led_pin", Integer(**GPIO), 27, "broche GPIO (BCM) du voyant"),
    Key("buzzer_pin", Integer(nullable=True, **GPIO), None, "broche GPIO (BCM) du buzzer, si câblé", example=22),
    Key("hold_seconds", Number(minimum=0.1, maximum=30), 3.0, "durée de maintien qui déclenche l'alerte"),
    Key("cooldown_seconds", Number(minimum=0, maximum=3600), 60.0, "délai de garde après un envoi"),
    Key("bounce_seconds", Number(minimum=0, maximum=1), 0.05, "anti-rebond (0 : aucun)"),
    Key("preset", Text(nonempty=True), "panique", "nom du modèle d'alerte envoyé par le bouton"),
    Key("simulate", Boolean(), False, "broches simulées (gpiozero MockFactory), hors Raspberry Pi"),
]))

# The operator route (issue 13): its table is a contract, declared here with its schema so that a file
# naming it loads before the Kannel transport is imported.
register_table(Table("kannel", repeated=True, init="commented", each="une par route",
                     help="Route d'opérateur par Kannel (smsbox) : une table [[kannel]] par route.",
                     keys=[
    Key("name", Text(nonempty=True, max_length=32), help="nom de la route (unique)", example="operateur"),
    Key("sendsms_url", Url(nonempty=True), help="interface `sendsms` de smsbox",
        example="http://127.0.0.1:13013/cgi-bin/sendsms"),
    Key("username", Text(nonempty=True), help="utilisateur `sendsms` de smsbox", example="vigie"),
    Key("password", Text(nonempty=True), help="mot de passe `sendsms` de smsbox", example="changez-moi"),
    Key("sender", Text(pattern=r"[A-Za-z0-9 ]{1,11}|\+?[0-9]{3,15}",
                       pattern_words="doit être un nom de 11 caractères au plus (lettres, chiffres) ou un numéro",
                       hint="vide, nom de 11 caractères au plus (lettres, chiffres) ou numéro"),
        "", "émetteur affiché : nom alphanumérique (`GEND61`) ou numéro ; vide : celui de Kannel",
        init="GEND61"),
    Key("smsc", Text(), "", "`smsc-id` de Kannel à utiliser ; vide : au choix de Kannel"),
    Key("max_per_second", Number(minimum=0.1, maximum=1000), 10.0, "débit maximal de soumission, en SMS par seconde"),
    Key("priority", Integer(minimum=0, maximum=100), 10, "priorité de la route parmi les moyens d'envoi"),
    Key("admin_url", Url(nonempty=True), "http://127.0.0.1:13000",
        "page d'administration de bearerbox, d'où la box lit l'état de la liaison SMSC"),
    Key("admin_password", Text(), "", "mot de passe d'administration (ou d'état) de bearerbox"),
]))


# Routing and quotas (issue 13): a modem's priority among the transports (a route has its own), and
# the quotas of every transport, a SIM's with a consumer plan's figures as commented examples.
extend_table("modem", Key("priority", Integer(minimum=0, maximum=100), 0,
                          "priorité du modem parmi les moyens d'envoi : le plus prioritaire prêt et sous quota "
                          "envoie, les autres prennent le relais ; à égalité, ils se partagent la file"),
             *_quota_keys(CONSUMER_PLAN))
extend_table("kannel", *_quota_keys())


def _settings_class():
    fields = [(t.attr, t.settings_class if not t.repeated else tuple,
               field(default_factory=t.default)) for t in TABLES.values()]
    fields += [("path", str, field(default="")),
               ("extra", dict, field(default_factory=dict))]  # tables registered after this module

    def __getattr__(self, name):
        if name.startswith("__") or name == "extra":
            raise AttributeError(name)
        for t in TABLES.values():
            if t.attr == name:
                return self.extra.get(name, t.default())
        raise AttributeError(name)

    cls = dataclasses.make_dataclass("Settings", fields, frozen=True,
                                     namespace={"__getattr__": __getattr__,
                                                "__doc__": "The whole file, one attribute per table."})
    cls.__module__ = __name__
    return cls


Settings = _settings_class()
DatabaseSettings = TABLES["database"].settings_class
ModemSettings = TABLES["modem"].settings_class
DaemonSettings = TABLES["daemon"].settings_class
AlertSettings = TABLES["alerts"].settings_class
WebSettings = TABLES["web"].settings_class
ButtonSettings = TABLES["button"].settings_class
KannelSettings = TABLES["kannel"].settings_class
_BUILTIN = {f.name for f in dataclasses.fields(Settings)}


def parse(data: dict, path: str = "") -> Settings:
    """Validate a decoded TOML document into Settings."""
    for key in data:
        if key not in TABLES:
            raise ConfigError(f"Section inconnue « {key} » dans la configuration.")
    values, extra = {}, {}
    for table in TABLES.values():
        section = table.parse(data.get(table.name)) if table.name in data else table.default()
        (values if table.attr in _BUILTIN else extra)[table.attr] = section
    transports = [m.name for m in values["modems"]] + [k.name for k in values["kannels"]]
    for name in transports:
        if transports.count(name) > 1:
            raise ConfigError(f"Deux moyens d'envoi ([[modem]], [[kannel]]) portent le même nom « {name} ».")
    return Settings(**values, path=path, extra=extra)


def resolve_path(path: str | None = None) -> str:
    return path or os.environ.get("VIGIE_CONFIG") or DEFAULT_PATH


def load(path: str | None = None) -> Settings:
    """Read and validate the configuration file."""
    path = resolve_path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"Fichier de configuration introuvable : {path} (créez-le avec « vigie init »)."
        ) from None
    except PermissionError:
        raise ConfigError(f"Lecture interdite du fichier de configuration : {path}.") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"Configuration illisible ({path}) : {e}.") from None
    base = os.path.dirname(os.path.abspath(path))
    settings = parse(data, path)
    db_path = settings.database.path
    if db_path != ":memory:" and not os.path.isabs(db_path):
        settings = dataclasses.replace(
            settings, database=dataclasses.replace(settings.database, path=os.path.join(base, db_path))
        )
    return settings


# --- what is generated from the schema: `vigie init`'s file and the README's table -------------

# default_file()'s keyword arguments (kept from before the schema) → (table, key)
PLACEHOLDERS = {
    "db_path": ("database", "path"), "modem_name": ("modem", "name"), "modem_port": ("modem", "port"),
    "modem_model": ("modem", "model"), "control_socket": ("daemon", "control_socket"),
    "web_host": ("web", "host"), "web_port": ("web", "port"), "certificate": ("web", "certificate"),
    "key": ("web", "key"), "simulate": ("button", "simulate"),
}


def _sentence(text: str) -> str:
    text = re.sub(r"`([^`]*)`", r"« \1 »", text)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _comment(*texts: str) -> list[str]:
    return ["# " + " ".join(_sentence(t) for t in texts if t)]


def default_file(**overrides) -> str:
    """The commented file `vigie init` writes, generated from the schema.

    ``overrides``: values by placeholder name (``db_path``, ``web_port``...) or as ``"table.key"``.
    """
    values = {}
    for name, value in overrides.items():
        table, key = PLACEHOLDERS.get(name) or name.split(".", 1)
        if isinstance(TABLES[table].key(key).type, Boolean) and isinstance(value, str):
            value = value == "true"
        values[(table, key)] = value
    lines = ["# Configuration de Vigientreprise (passerelle d'alerte SMS).",
             "# Les chemins relatifs sont relatifs à ce fichier ; une valeur hors bornes est refusée.", ""]
    for table in TABLES.values():
        if table.init == "no":
            continue
        commented = table.init == "commented"
        out = "# " if commented else ""
        lines += _comment(table.help)
        if commented:
            lines.append("# (à décommenter)")
        lines.append(out + table.header)
        for k in table.keys:
            value = values.get((table.name, k.name), k.init if k.init is not None else k.default)
            lines += _comment(k.help, _bounds_comment(k))
            if value is None or value is REQUIRED:
                if k.example is None:
                    continue
                lines.append(f"# {k.name} = {toml_value(k.example)}")
            else:
                lines.append(f"{out}{k.name} = {toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _bounds_comment(k: Key) -> str:
    if isinstance(k.type, Choice):
        return "au choix : " + k.type.describe()
    if isinstance(k.type, (Integer, Number)):
        return k.type.describe()
    return ""


def _default_cell(table: Table, k: Key) -> str:
    if k.required:
        return "— (obligatoire)"
    if k.default is None:
        return "—"
    return f"`{toml_value(k.default).strip(chr(34))}`" if k.default != "" else '`""`'


README_MARKER = "<!-- table générée par « python -m vigie.daemon.core.config readme » -->"


def markdown_table() -> str:
    """The README's configuration table (French), one row per key, generated from the schema."""
    rows = [README_MARKER, "| section | clé | défaut | valeurs | sens |", "|---|---|---|---|---|"]
    for table in TABLES.values():
        for i, k in enumerate(table.keys):
            section = f"`{table.header}`" + (f" ({table.each})" if table.each else "")
            rows.append(f"| {section if i == 0 else ''} | `{k.name}` | {_default_cell(table, k)} "
                        f"| {k.type.describe()} | {k.help} |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    """``python -m vigie.daemon.core.config [readme|init]``: print the README table or the init file."""
    import sys
    what = (argv if argv is not None else sys.argv[1:]) or ["readme"]
    print(markdown_table() if what[0] == "readme" else default_file(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
