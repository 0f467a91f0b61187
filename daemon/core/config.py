"""Settings: one TOML file read with tomllib into frozen dataclasses, refused in French when wrong.

Where the file is: ``--config PATH``, else ``$VIGIE_CONFIG``, else /etc/vigientreprise/vigie.toml.
"""

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field

from vigie.daemon.core.errors import ConfigError

DEFAULT_PATH = "/etc/vigientreprise/vigie.toml"
MODELS = ("sim800", "sim7600", "generic")


@dataclass(frozen=True)
class DatabaseSettings:
    path: str = "/var/lib/vigientreprise/vigie.db"
    retention_days: int = 365


@dataclass(frozen=True)
class ModemSettings:
    name: str
    port: str
    model: str = "generic"
    baudrate: int = 115200
    pin: str = ""
    flow_control: bool = False
    power_pin: int | None = None        # GPIO driving the module's PWRKEY, for a hard power-cycle
    smsc: str = ""


@dataclass(frozen=True)
class DaemonSettings:
    control_socket: str = "/run/vigientreprise/control.sock"
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 900.0
    send_timeout_seconds: float = 40.0
    poll_interval_seconds: float = 0.2
    health_interval_seconds: float = 30.0
    reconnect_max_seconds: float = 60.0
    report_window_hours: float = 72.0
    log_at: bool = False


@dataclass(frozen=True)
class AlertSettings:
    max_parts: int = 4
    default_expiry_hours: float = 12.0
    seconds_per_sms: float = 3.0        # for the sending-time estimate
    quiet_hours: str = ""               # « 21:00-07:30 »: non-urgent alerts wait (Europe/Paris); none by default


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    certificate: str = ""
    key: str = ""
    session_idle_minutes: int = 30


@dataclass(frozen=True)
class ButtonSettings:
    enabled: bool = True
    pin: int = 17
    led_pin: int = 27
    buzzer_pin: int | None = None
    hold_seconds: float = 3.0
    cooldown_seconds: float = 60.0
    bounce_seconds: float = 0.05
    preset: str = "panique"
    simulate: bool = False              # gpiozero mock pins instead of the Pi's header


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    modems: tuple[ModemSettings, ...] = ()
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    web: WebSettings = field(default_factory=WebSettings)
    button: ButtonSettings = field(default_factory=ButtonSettings)
    path: str = ""


def _types(cls) -> dict:
    return {f.name: f.type for f in dataclasses.fields(cls)}


def _check_value(section: str, key: str, value, expected):
    where = f"[{section}] {key}"
    kinds = {int: "un nombre entier", float: "un nombre", str: "un texte", bool: "vrai ou faux (true/false)"}
    options = [t for t in (bool, int, float, str) if t.__name__ in str(expected)]
    if value is None and "None" in str(expected):
        return None
    for kind in options:
        if kind is bool and isinstance(value, bool):
            return value
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if kind is str and isinstance(value, str):
            return value
    wanted = " ou ".join(kinds[k] for k in options) or str(expected)
    raise ConfigError(f"{where} : valeur {value!r} invalide, il faut {wanted}.")


def _build(cls, section: str, table: dict, required=()):
    if not isinstance(table, dict):
        raise ConfigError(f"[{section}] doit être une table.")
    known = _types(cls)
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"[{section}] : clé inconnue « {key} ».")
        values[key] = _check_value(section, key, value, known[key])
    for key in required:
        if key not in values or values[key] in ("", None):
            raise ConfigError(f"[{section}] : la clé « {key} » est obligatoire.")
    return cls(**values)


def parse(data: dict, path: str = "") -> Settings:
    """Validate a decoded TOML document into Settings."""
    sections = {"database", "modem", "daemon", "alerts", "web", "button"}
    for key in data:
        if key not in sections:
            raise ConfigError(f"Section inconnue « {key} » dans la configuration.")
    modem_tables = data.get("modem", [])
    if isinstance(modem_tables, dict):
        modem_tables = [modem_tables]
    modems = tuple(_build(ModemSettings, "modem", t, required=("name", "port")) for t in modem_tables)
    names = [m.name for m in modems]
    if len(set(names)) != len(names):
        raise ConfigError("[[modem]] : deux modems portent le même nom.")
    for m in modems:
        if m.model not in MODELS:
            raise ConfigError(f"[[modem]] {m.name} : modèle « {m.model} » inconnu (attendu : {', '.join(MODELS)}).")
        if m.baudrate <= 0:
            raise ConfigError(f"[[modem]] {m.name} : débit {m.baudrate} invalide.")
        if m.pin and not (m.pin.isdigit() and 4 <= len(m.pin) <= 8):
            raise ConfigError(f"[[modem]] {m.name} : le code PIN doit compter 4 à 8 chiffres.")
    settings = Settings(
        database=_build(DatabaseSettings, "database", data.get("database", {})),
        modems=modems,
        daemon=_build(DaemonSettings, "daemon", data.get("daemon", {})),
        alerts=_build(AlertSettings, "alerts", data.get("alerts", {})),
        web=_build(WebSettings, "web", data.get("web", {})),
        button=_build(ButtonSettings, "button", data.get("button", {})),
        path=path,
    )
    if not 1 <= settings.web.port <= 65535:
        raise ConfigError(f"[web] port : {settings.web.port} n'est pas un port valide.")
    if bool(settings.web.certificate) != bool(settings.web.key):
        raise ConfigError("[web] : il faut à la fois « certificate » et « key » pour HTTPS.")
    from vigie.daemon.core import schedule
    try:
        schedule.QuietHours.parse(settings.alerts.quiet_hours)
    except Exception as e:
        raise ConfigError(str(getattr(e, "message", e))) from None
    if settings.alerts.max_parts < 1:
        raise ConfigError("[alerts] max_parts doit valoir au moins 1.")
    if settings.daemon.max_attempts < 1:
        raise ConfigError("[daemon] max_attempts doit valoir au moins 1.")
    return settings


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


DEFAULT_FILE = """\
# Configuration de Vigientreprise (passerelle d'alerte SMS).
# Les chemins relatifs sont relatifs à ce fichier.

[database]
# Fichier SQLite partagé par le démon et la console.
path = "{db_path}"
# Durée de conservation de l'historique des messages, en jours.
retention_days = 365

# Un tableau [[modem]] par modem. Plusieurs modems se partagent la file d'envoi.
[[modem]]
name = "{modem_name}"
# Tout chemin de périphérique série : /dev/ttyS0, /dev/serial/by-id/..., /dev/gsm-modem
# ou le lien créé par « vigie emulator --link ».
port = "{modem_port}"
# sim800, sim7600 ou generic
model = "{modem_model}"
baudrate = 115200
# Code PIN de la carte SIM, vide si aucun.
pin = ""
# Contrôle de flux matériel RTS/CTS : false pour un HAT câblé sur TX/RX seulement.
flow_control = false
# Broche GPIO reliée à PWRKEY pour redémarrer le module (décommenter si câblée).
# power_pin = 4

[daemon]
# Socket de commande locale (« vigie button press »).
control_socket = "{control_socket}"
max_attempts = 5
retry_base_seconds = 30
retry_max_seconds = 900
send_timeout_seconds = 40
health_interval_seconds = 30
# Journaliser les échanges AT (logger vigie.at).
log_at = false

[alerts]
# Nombre maximal de parties SMS par alerte.
max_parts = 4
# Une alerte non envoyée après ce délai expire au lieu de partir périmée.
default_expiry_hours = 12
# Durée estimée d'un envoi par modem, pour l'estimation du temps d'envoi.
seconds_per_sms = 3
# Heures calmes (heure de Paris) : les alertes « non urgentes » attendent la fin de la plage.
# Les alertes urgentes et le bouton n'attendent jamais. Vide : pas d'heures calmes.
# quiet_hours = "21:00-07:30"

[web]
host = "{web_host}"
port = {web_port}
# HTTPS : chemins du certificat et de la clé (« vigie init --self-signed » peut les créer).
certificate = "{certificate}"
key = "{key}"
session_idle_minutes = 30

[button]
enabled = true
# Numéros GPIO (BCM).
pin = 17
led_pin = 27
hold_seconds = 3
cooldown_seconds = 60
# Nom du modèle d'alerte envoyé par le bouton.
preset = "panique"
# true : broches simulées (gpiozero MockFactory), hors Raspberry Pi.
simulate = {simulate}
"""


def default_file(**overrides) -> str:
    values = dict(
        db_path="/var/lib/vigientreprise/vigie.db", modem_name="hat", modem_port="/dev/gsm-modem",
        modem_model="sim800", control_socket="/run/vigientreprise/control.sock",
        web_host="0.0.0.0", web_port=8080, certificate="", key="", simulate="false",
    )
    values.update(overrides)
    return DEFAULT_FILE.format(**values)
