"""A complete, commented kannel.conf for the box's operator route (``vigie kannel config``).

One SMPP connection (group = smsc) to the operator, one smsbox with a sendsms user for the box, and one
catch-all sms-service that hands every incoming SMS to the box's callback listener. The box asks for its
delivery reports itself, per part, with the dlr-url of each sendsms request: the file holds no dlr-url.
Durability: bearerbox keeps its queue in a store file and its pending DLRs in a spool directory, so a
restart of Kannel loses neither; smsbox retries a callback the box did not answer 200/202.
"""

import dataclasses
import urllib.parse
from dataclasses import dataclass

from vigie.daemon.core.errors import ConfigError

# dlr-mask asked with each part (Kannel user guide, "Delivery reports"): 1 delivered to the phone,
# 2 not delivered to the phone, 4 queued on the SMSC (intermediate), 8 accepted by the SMSC, 16 refused by
# the SMSC. 31 = all: acceptance and refusal by the SMSC, the final states, and the intermediate one.
DLR_DELIVERED, DLR_FAILED, DLR_BUFFERED, DLR_SMSC_ACK, DLR_SMSC_NACK = 1, 2, 4, 8, 16
DLR_MASK = DLR_DELIVERED | DLR_FAILED | DLR_BUFFERED | DLR_SMSC_ACK | DLR_SMSC_NACK

DLR_PATH = "/kannel/dlr"
MO_PATH = "/kannel/mo"

# Kannel's escape codes (user guide, "Parameters (Escape Codes)") in the callbacks:
#   %d DLR value, %A SMSC answer (ACK/, NACK/err, or the receipt text), %F foreign (SMSC) message id,
#   %T time (epoch), %p sender (MO) or recipient (DLR), %P receiver, %b message as received (binary,
#   URL-encoded), %c coding (0 7-bit, 1 8-bit, 2 UCS-2), %C charset, %u UDH, %I Kannel's own id, %i smsc-id.
DLR_ESCAPES = {"status": "%d", "answer": "%A", "foreign": "%F", "time": "%T", "phone": "%p", "smsc": "%i"}
MO_ESCAPES = {"from": "%p", "to": "%P", "text": "%b", "coding": "%c", "charset": "%C", "time": "%T",
              "udh": "%u", "id": "%I", "smsc": "%i"}


@dataclass(frozen=True)
class KannelConf:
    # the operator's SMPP account
    smpp_host: str = "smpp.operateur.example"
    smpp_port: int = 2775
    system_id: str = "IDENTIFIANT"
    smpp_password: str = "MOTDEPASSE"
    system_type: str = ""
    smsc_id: str = "operateur"
    throughput: float = 10.0                 # submissions per second allowed by the account
    transceiver: bool = True
    source_addr_ton: int | None = None       # None: Kannel autodetects (alphanumeric, international...)
    # Kannel's own ports, on the loopback
    admin_port: int = 13000
    admin_password: str = "changez-moi"
    smsbox_port: int = 13001
    sendsms_port: int = 13013
    # the box's sendsms account
    username: str = "vigie"
    password: str = "changez-moi"
    sender: str = "GEND61"
    # the box's callback listener ([daemon] callback_listen) and its secret
    callback_listen: str = "127.0.0.1:13080"
    callback_secret: str = "changez-moi"
    # where Kannel writes
    log_dir: str = "/var/log/kannel"
    spool_dir: str = "/var/spool/kannel"
    log_level: int = 1                       # 0 debug ... 4 panic
    callback_retries: int = 1000             # smsbox retries of a callback the box did not accept
    callback_retry_seconds: int = 5

    def replace(self, **changes) -> "KannelConf":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _q(value) -> str:
    """A Kannel configuration string: quoted, with quotes and backslashes escaped (a line break cannot be)."""
    if "\n" in str(value) or "\r" in str(value):
        raise ConfigError(f"valeur « {value!r} » impossible dans kannel.conf : elle contient un saut de ligne.")
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def callback_base(conf: KannelConf) -> str:
    return f"http://{conf.callback_listen}"


def mo_url(conf: KannelConf) -> str:
    """The sms-service get-url: every incoming SMS, with the secret and Kannel's escapes."""
    query = "&".join([f"secret={urllib.parse.quote(conf.callback_secret, safe='')}"]
                     + [f"{k}={v}" for k, v in MO_ESCAPES.items()])
    return f"{callback_base(conf)}{MO_PATH}?{query}"


def dlr_url(conf: KannelConf, ids: dict) -> str:
    """The dlr-url of one part: the box's own identifiers (message, part, attempt), the secret, escapes."""
    params = [("secret", conf.callback_secret)] + [(k, str(v)) for k, v in ids.items()]
    query = urllib.parse.urlencode(params) + "&" + "&".join(f"{k}={v}" for k, v in DLR_ESCAPES.items())
    return f"{callback_base(conf)}{DLR_PATH}?{query}"


def render(conf: KannelConf) -> str:
    """The whole kannel.conf, commented in French for the technician."""
    store = f"{conf.spool_dir.rstrip('/')}/vigie.store"
    dlr_spool = f"{conf.spool_dir.rstrip('/')}/dlr"
    ton = "" if conf.source_addr_ton is None else f"source-addr-ton = {conf.source_addr_ton}\n"
    system_type = f"system-type = {_q(conf.system_type)}\n"
    return f"""\
# kannel.conf de la box Vigientreprise : écrit par « vigie kannel config », ne pas modifier à la main
# (relancer la commande après un changement de compte opérateur, puis « systemctl restart kannel »).
# Kannel relaie les SMS de la box vers le centre SMS (SMSC) de l'opérateur, en SMPP 3.4.
#
#   box (vigie run) --HTTP sendsms--> smsbox --> bearerbox --SMPP--> SMSC de l'opérateur
#   box (écoute {conf.callback_listen}) <--HTTP accusés et SMS reçus-- smsbox

# --- bearerbox : le cœur ------------------------------------------------------------------------------
group = core
# page d'administration et d'état (http://127.0.0.1:{conf.admin_port}/status?password=...), locale seulement
admin-port = {conf.admin_port}
admin-interface = "127.0.0.1"
admin-password = {_q(conf.admin_password)}
admin-deny-ip = "*.*.*.*"
admin-allow-ip = "127.0.0.1"
# connexion des smsbox, locale seulement
smsbox-port = {conf.smsbox_port}
smsbox-interface = "127.0.0.1"
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = {_q(conf.log_dir.rstrip('/') + '/bearerbox.log')}
log-level = {conf.log_level}
access-log = {_q(conf.log_dir.rstrip('/') + '/access.log')}
# file d'attente sur disque : un SMS accepté par Kannel survit à un redémarrage ou à une coupure
# (dossiers à créer une fois : install -d -o kannel {conf.spool_dir.rstrip('/')} {dlr_spool})
store-type = file
store-location = {_q(store)}
# accusés en attente sur disque : un accusé qui arrive après un redémarrage de Kannel retrouve son SMS
dlr-storage = spool
dlr-spool = {_q(dlr_spool)}
# un SMS refusé temporairement par l'opérateur est représenté toutes les 10 s, sans limite
sms-resend-freq = 10
sms-resend-retry = -1
# un SMS long reçu (STOP, signalement) est recomposé avant d'être remis à la box
sms-combine-concatenated-mo = true

# --- la liaison SMPP vers l'opérateur ------------------------------------------------------------------
group = smsc
smsc = smpp
smsc-id = {_q(conf.smsc_id)}
allowed-smsc-id = {_q(conf.smsc_id)}
host = {_q(conf.smpp_host)}
port = {conf.smpp_port}
# une seule connexion émission + réception (bind_transceiver, SMPP 3.4)
transceiver-mode = {"true" if conf.transceiver else "false"}
{"" if conf.transceiver else f"receive-port = {conf.smpp_port}" + chr(10)}\
# identifiants SMPP fournis par l'opérateur (system_id, mot de passe, system_type : Kannel exige la ligne,
# vide si l'opérateur n'en demande pas)
smsc-username = {_q(conf.system_id)}
smsc-password = {_q(conf.smpp_password)}
{system_type}\
# débit du compte (SMS par seconde) : Kannel ne le dépasse pas
throughput = {conf.throughput:g}
{ton}\
source-addr-autodetect = true
enquire-link-interval = 30
reconnect-delay = 5
max-pending-submits = 10
# sans réponse de l'opérateur à un envoi pendant 60 s : reconnexion, le SMS est représenté
wait-ack = 60
wait-ack-expire = 1

# --- smsbox : l'interface HTTP de la box ---------------------------------------------------------------
group = smsbox
bearerbox-host = "127.0.0.1"
bearerbox-port = {conf.smsbox_port}
sendsms-port = {conf.sendsms_port}
sendsms-interface = "127.0.0.1"
log-file = {_q(conf.log_dir.rstrip('/') + '/smsbox.log')}
log-level = {conf.log_level}
# un SMS reçu en UCS-2 est remis en UTF-8
mo-recode = true
# un accusé ou un SMS reçu que la box n'a pas pris (pas de réponse 200) est représenté
http-request-retry = {conf.callback_retries}
http-queue-delay = {conf.callback_retry_seconds}

# --- le compte d'envoi de la box (vigie.toml, [[kannel]] username / password) ---------------------------
group = sendsms-user
username = {_q(conf.username)}
password = {_q(conf.password)}
user-deny-ip = "*.*.*.*"
user-allow-ip = "127.0.0.1"
{f"default-sender = {_q(conf.sender)}" if conf.sender else "# default-sender : aucun, celui du compte de l'opérateur"}
default-smsc = {_q(conf.smsc_id)}
# la box découpe elle-même les SMS longs et suit chaque partie
max-messages = 1
concatenation = false

# --- SMS reçus : tous remis à la box (STOP, START, réponses, signalements) -------------------------------
group = sms-service
keyword = default
catch-all = true
get-url = {_q(mo_url(conf))}
# aucune réponse automatique au téléphone : la box répond elle-même si besoin
max-messages = 0
omit-empty = true
"""
