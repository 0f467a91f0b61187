"""The store: every table of the box, in one SQLite file shared by the daemon and the console.

Times are UNIX epoch seconds (float, UTC). Phones are E.164 strings. The daemon owns the outbox
transitions after ``queued``; the console only inserts alerts and reads states.
"""

import time

import peewee as pw

# Initialised by vigie.daemon.core.db.open_database(); every model uses it.
database = pw.DatabaseProxy()


def now() -> float:
    return time.time()


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


# --- geography and sectors ---------------------------------------------------

class Commune(BaseModel):
    """A current commune (COG), loaded from the shipped reference file."""

    insee = pw.CharField(primary_key=True, max_length=5)
    name = pw.CharField()
    postal_code = pw.CharField(max_length=5)
    postal_codes = pw.CharField(default="")        # space separated
    latitude = pw.FloatField()
    longitude = pw.FloatField()
    arrondissement = pw.CharField(default="")
    arrondissement_name = pw.CharField(default="")
    canton = pw.CharField(default="")
    departement = pw.CharField(max_length=3, index=True)


class FormerCommune(BaseModel):
    """A former (delegated or associated) commune, mapped to the current one."""

    insee = pw.CharField(primary_key=True, max_length=5)
    name = pw.CharField()
    kind = pw.CharField(default="COMD")
    parent = pw.ForeignKeyField(Commune, backref="former", on_delete="CASCADE")


class Zone(BaseModel):
    """A named set of communes ("compagnie d'Argentan", "secteur de Flers")."""

    name = pw.CharField(unique=True)
    description = pw.TextField(default="")
    created_at = pw.FloatField(default=now)


class ZoneCommune(BaseModel):
    zone = pw.ForeignKeyField(Zone, backref="members", on_delete="CASCADE")
    commune = pw.ForeignKeyField(Commune, on_delete="CASCADE")

    class Meta:
        indexes = ((("zone", "commune"), True),)


class SectorGroup(BaseModel):
    """A named set of NAF selectors ("bijouteries" = "47.77Z"); ``codes`` is space separated."""

    name = pw.CharField(unique=True)
    description = pw.TextField(default="")
    codes = pw.TextField()
    created_at = pw.FloatField(default=now)


# --- members -----------------------------------------------------------------

class Member(BaseModel):
    """A member business establishment, identified by its SIRET."""

    siret = pw.CharField(max_length=14, unique=True, null=True)   # null once erased
    name = pw.CharField()
    sign = pw.CharField(default="")                                 # enseigne
    naf = pw.CharField(max_length=6, index=True)                    # NAF rév. 2 "47.77Z", or ""
    naf_2025 = pw.CharField(max_length=6, default="", index=True)   # NAF 2025 "47.77Y", or "" (migration 5)
    sirene_naf_2025 = pw.CharField(max_length=6, default="")        # NAF 2025 code SIRENE gave at the last check
    chamber = pw.CharField(default="")                              # cci | cma | ca
    commune = pw.ForeignKeyField(Commune, null=True, index=True, on_delete="SET NULL")
    address = pw.TextField(default="")
    email = pw.CharField(default="")
    status = pw.CharField(default="active", index=True)             # active|suspended|left|erased
    notes = pw.TextField(default="")
    consent_date = pw.CharField(default="")                         # ISO date
    consent_channel = pw.CharField(default="")
    consent_version = pw.CharField(default="")
    test_group = pw.BooleanField(default=False)                     # receives exercises sent to the test group
    created_at = pw.FloatField(default=now)
    updated_at = pw.FloatField(default=now)


class Contact(BaseModel):
    """A mobile phone of a member; two members may share a phone."""

    member = pw.ForeignKeyField(Member, backref="contacts", on_delete="CASCADE")
    phone = pw.CharField(index=True)                                # E.164
    name = pw.CharField(default="")
    position = pw.IntegerField(default=0)


class OptOut(BaseModel):
    """The suppression list: a phone that answered STOP receives no alert."""

    phone = pw.CharField(primary_key=True)
    created_at = pw.FloatField(default=now)
    source = pw.CharField(default="sms")


# --- alerts and the outbox ---------------------------------------------------

class Alert(BaseModel):
    """One broadcast: a text and a targeting, turned into outbox messages when sent."""

    text = pw.TextField()
    encoding = pw.CharField(default="gsm7")                         # gsm7 | ucs2
    parts = pw.IntegerField(default=1)
    targeting = pw.TextField(default="{}")                          # JSON, see targeting.py
    author = pw.CharField(default="")
    source = pw.CharField(default="cli")                            # console|cli|button|api
    priority = pw.IntegerField(default=0)
    preset = pw.CharField(default="")
    state = pw.CharField(default="sending", index=True)             # scheduled|sending|done|cancelled|expired
    recipient_count = pw.IntegerField(default=0)
    expires_at = pw.FloatField(null=True)
    start_at = pw.FloatField(null=True)                             # scheduled start (None: at once)
    urgent = pw.BooleanField(default=True)                          # non-urgent alerts wait out quiet hours
    ack = pw.BooleanField(default=False)                            # recipients asked to answer OK
    exercise = pw.BooleanField(default=False)
    created_at = pw.FloatField(default=now)
    completed_at = pw.FloatField(null=True)


class Message(BaseModel):
    """One SMS to one phone: the outbox row. States and transitions live in outbox.py."""

    alert = pw.ForeignKeyField(Alert, backref="messages", null=True, on_delete="CASCADE")
    member = pw.ForeignKeyField(Member, null=True, on_delete="SET NULL")
    phone = pw.CharField(index=True)
    text = pw.TextField()
    priority = pw.IntegerField(default=0)
    state = pw.CharField(default="queued")
    attempts = pw.IntegerField(default=0)
    max_attempts = pw.IntegerField(default=5)
    next_attempt_at = pw.FloatField(default=0.0)
    expires_at = pw.FloatField(null=True)
    modem = pw.CharField(null=True)                                 # the transport's name (GSM modem or route)
    possible_duplicate = pw.BooleanField(default=False)
    error = pw.TextField(null=True)                                 # French reason
    error_code = pw.IntegerField(null=True)
    parts = pw.IntegerField(default=1)
    created_at = pw.FloatField(default=now)
    claimed_at = pw.FloatField(null=True)
    sent_at = pw.FloatField(null=True)
    delivered_at = pw.FloatField(null=True)
    finished_at = pw.FloatField(null=True)
    acknowledged_at = pw.FloatField(null=True)                      # the recipient answered OK
    changed_at = pw.FloatField(default=now)          # last state change (the alert page's incremental refresh)

    class Meta:
        indexes = (
            (("state", "priority", "next_attempt_at"), False),
            (("alert", "state"), False),
            (("alert", "changed_at"), False),
        )


class Attempt(BaseModel):
    """One try at sending a message on one transport, with its outcome."""

    message = pw.ForeignKeyField(Message, backref="attempt_rows", on_delete="CASCADE")
    number = pw.IntegerField()
    modem = pw.CharField()                       # the transport's name
    started_at = pw.FloatField(default=now)
    ended_at = pw.FloatField(null=True)
    outcome = pw.CharField(default="pending")   # pending|sent|temporary|permanent|unknown|modem_gone
    error_code = pw.IntegerField(null=True)
    error = pw.TextField(null=True)


class Part(BaseModel):
    """One SMS part put on its way by a transport, with the provider's reference and delivery status."""

    message = pw.ForeignKeyField(Message, backref="part_rows", on_delete="CASCADE")
    attempt = pw.IntegerField()
    number = pw.IntegerField()                   # 1-based part number
    count = pw.IntegerField()
    modem = pw.CharField()                       # the transport's name
    reference = pw.TextField()                   # the provider's reference (GSM: the TP-MR, "0".."255")
    phone = pw.CharField()
    sent_at = pw.FloatField(default=now)
    status = pw.CharField(default="sent")        # sent|delivered|pending|failed
    report_status = pw.IntegerField(null=True)   # the provider's raw status (GSM: TP-ST)
    report_at = pw.FloatField(null=True)

    class Meta:
        indexes = ((("modem", "reference", "sent_at"), False),)


class StatusReport(BaseModel):
    """Every delivery report received, matched to a part or kept unmatched."""

    modem = pw.CharField()                       # the transport's name
    reference = pw.TextField()
    phone = pw.CharField(default="")
    status = pw.IntegerField()                   # the provider's raw status (GSM: TP-ST)
    received_at = pw.FloatField(default=now)
    time_sent = pw.FloatField(null=True)
    time_finalized = pw.FloatField(null=True)
    part = pw.ForeignKeyField(Part, null=True, on_delete="SET NULL")


# --- incoming SMS --------------------------------------------------------------

class InboundPart(BaseModel):
    """A fragment of a concatenated incoming SMS, kept until all fragments are in."""

    modem = pw.CharField()
    phone = pw.CharField()
    ref = pw.IntegerField()
    number = pw.IntegerField()
    count = pw.IntegerField()
    text = pw.TextField()
    received_at = pw.FloatField(default=now)

    class Meta:
        indexes = ((("phone", "ref", "number"), True),)


class InboundSms(BaseModel):
    """A complete incoming SMS; ``kind`` is stop|start|incident|unknown once handled."""

    modem = pw.CharField()
    phone = pw.CharField(index=True)
    text = pw.TextField()
    sms_time = pw.FloatField(null=True)
    received_at = pw.FloatField(default=now)
    kind = pw.CharField(default="", index=True)          # '' until handled
    member = pw.ForeignKeyField(Member, null=True, on_delete="SET NULL")
    handled_at = pw.FloatField(null=True)
    treated_at = pw.FloatField(null=True)          # an operator marked the report « traité »
    treated_by = pw.CharField(default="")


# --- callbacks of an SMS gateway ------------------------------------------------

class Callback(BaseModel):
    """A delivery report or incoming SMS called in by Kannel, stored before it is answered.

    ``key`` makes a repeated call (Kannel retries until it gets a 200) change nothing; the row is
    applied later (report matched to its part, SMS to the inbox) and ``processed_at`` set in the same
    transaction. Not in ALL_MODELS: created by migration 5."""

    kind = pw.CharField()                                # dlr | mo
    key = pw.CharField(unique=True)
    params = pw.TextField()                              # JSON of the query parameters
    received_at = pw.FloatField(default=now)
    next_try_at = pw.FloatField(default=0.0)
    tries = pw.IntegerField(default=0)
    processed_at = pw.FloatField(null=True)
    outcome = pw.CharField(default="")                   # matched | unmatched | inbox | ignored

    class Meta:
        indexes = ((("processed_at", "next_try_at"), False),)


# --- box health ------------------------------------------------------------------

class TransportStatus(BaseModel):
    """What the daemon last knew of each transport (GSM modem, operator route), for the console and
    `vigie status`."""

    name = pw.CharField(primary_key=True)
    kind = pw.CharField(default="gsm")            # gsm | kannel | fake
    priority = pw.IntegerField(default=0)
    state = pw.CharField(default="disconnected")
    signal = pw.IntegerField(null=True)           # CSQ rssi 0..31, 99 unknown
    operator = pw.CharField(default="")
    registered = pw.BooleanField(default=False)
    model = pw.CharField(default="")
    imei = pw.CharField(default="")
    last_contact = pw.FloatField(null=True)
    last_error = pw.TextField(default="")
    sent_count = pw.IntegerField(default=0)
    updated_at = pw.FloatField(default=now)
    # network time minus the box's clock, in seconds, as the modem last reported it (AT+CCLK?)
    network_time_offset = pw.FloatField(null=True)


ModemStatus = TransportStatus       # its name before the transport seam


class TransportBlock(BaseModel):
    """A transport the box must not open again by itself until a person acts (a SIM that refused the
    configured PIN): kept across restarts. ``key`` names what was refused (a hash of the modem's name
    and PIN): a corrected configuration has another key and lifts the block."""

    name = pw.CharField(primary_key=True)
    key = pw.CharField()
    reason = pw.TextField()                       # French, shown as it is
    created_at = pw.FloatField(default=now)


class Heartbeat(BaseModel):
    """A process's liveness row ("daemon"), refreshed while its loop runs."""

    component = pw.CharField(primary_key=True)
    pid = pw.IntegerField(default=0)
    info = pw.TextField(default="")
    updated_at = pw.FloatField(default=now)


# --- people, presets and audit -----------------------------------------------------

class User(BaseModel):
    username = pw.CharField(unique=True)
    password_hash = pw.CharField()
    role = pw.CharField()                          # admin | operator | manager
    disabled = pw.BooleanField(default=False)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.FloatField(null=True)
    last_login = pw.FloatField(null=True)
    created_at = pw.FloatField(default=now)


class Session(BaseModel):
    """A console session; only the SHA-256 of the cookie token is stored."""

    token_hash = pw.CharField(primary_key=True)
    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    csrf = pw.CharField()
    created_at = pw.FloatField(default=now)
    last_seen = pw.FloatField(default=now)
    address = pw.CharField(default="")


class ApiToken(BaseModel):
    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    name = pw.CharField()
    token_hash = pw.CharField(unique=True)
    created_at = pw.FloatField(default=now)
    last_used = pw.FloatField(null=True)


class LoginFailure(BaseModel):
    """Failed sign-ins, for throttling by address and by account."""

    username = pw.CharField(index=True)
    address = pw.CharField(index=True)
    at = pw.FloatField(default=now)


class Preset(BaseModel):
    """A ready alert (text and targeting); the panic button sends one."""

    name = pw.CharField(unique=True)
    text = pw.TextField()
    targeting = pw.TextField(default="{}")
    priority = pw.IntegerField(default=0)
    exercise = pw.BooleanField(default=False)
    ack = pw.BooleanField(default=False)
    created_at = pw.FloatField(default=now)
    updated_at = pw.FloatField(default=now)


class AuditLog(BaseModel):
    """Who did what, when, to how many: kept for the RGPD and the chain of command."""

    at = pw.FloatField(default=now, index=True)
    actor = pw.CharField()                         # user name, "bouton", "cli", "démon"
    action = pw.CharField(index=True)              # e.g. member.add, alert.send, button.hold
    target = pw.CharField(default="")
    detail = pw.TextField(default="")
    count = pw.IntegerField(null=True)


class IdempotencyKey(BaseModel):
    """A confirmation already turned into an alert: the same key again returns that alert.

    ``key`` is scoped by its origin ("api:<user id>:<header>", "console:<user id>:<form key>");
    ``request_hash`` tells a replay from a different request reusing the key."""

    key = pw.CharField(primary_key=True)
    alert = pw.ForeignKeyField(Alert, on_delete="CASCADE")
    request_hash = pw.CharField(default="")
    created_at = pw.FloatField(default=now)


ALL_MODELS = [
    Commune, FormerCommune, Zone, ZoneCommune, SectorGroup,
    Member, Contact, OptOut,
    Alert, Message, Attempt, Part, StatusReport,
    InboundPart, InboundSms,
    TransportStatus, TransportBlock, Heartbeat,
    User, Session, ApiToken, LoginFailure, Preset, AuditLog, IdempotencyKey,
]
