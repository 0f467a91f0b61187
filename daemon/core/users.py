"""Console accounts: argon2 password hashes, roles, sign-in throttling and API tokens.

Used by both ``vigie user`` and the web console. There is no default account and no default
password: the first administrator is created on the box with ``vigie user add NAME --role admin``.
Only hashes are stored: argon2 for passwords, SHA-256 for API tokens (random, so a fast hash is
enough).
"""

import hashlib
import secrets
import time

import argon2
import peewee as pw

from vigie.daemon.core import audit
from vigie.daemon.core.errors import InvalidInput, NotFound, VigieError
from vigie.daemon.core.models import ApiToken, LoginFailure, Session, User, database

ROLES = {
    "admin": "administrateur",
    "operator": "opérateur",
    "manager": "gestionnaire (chambre consulaire)",
}
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# Sign-in throttling: failures within the window, after a few free ones, make the next try wait
# THROTTLE_BASE_SECONDS, then twice as long at each failure, up to a cap. The account's own delay
# (whatever the address) stays short, so that an attacker cannot lock its owner out.
THROTTLE_WINDOW_SECONDS = 15 * 60
THROTTLE_BASE_SECONDS = 1.0
PAIR_FREE_FAILURES, PAIR_MAX_DELAY = 3, 15 * 60          # one account from one address
ADDRESS_FREE_FAILURES, ADDRESS_MAX_DELAY = 10, 15 * 60   # one address, any account
ACCOUNT_FREE_FAILURES, ACCOUNT_MAX_DELAY = 10, 30.0      # one account, any address
TOKEN_PREFIX = "vg_"

# argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): strong, yet quick on a Raspberry Pi
# whose RAM the daemon shares. Hashes made with other parameters are upgraded at the next sign-in.
_hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the account does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(VigieError):
    """Sign-in refused; the message is safe to show (it never tells whether the account exists)."""


def role_label(role: str) -> str:
    return ROLES.get(role, role)


def hash_token(token: str) -> str:
    """What the store keeps of a secret token (API token, session cookie): its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- validation ----------------------------------------------------------------------

def check_username(username: str) -> str:
    username = (username or "").strip()
    if not 2 <= len(username) <= 64:
        raise InvalidInput("Le nom d'utilisateur doit compter de 2 à 64 caractères.", "username")
    if any(ord(c) < 32 or ord(c) == 127 for c in username) or any(c.isspace() for c in username):
        raise InvalidInput("Le nom d'utilisateur ne doit contenir ni espace ni caractère de contrôle.",
                           "username")
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"Rôle « {role} » inconnu (attendu : {', '.join(ROLES)}).", "role")
    return role


def check_password(password: str, username: str = "") -> str:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
                           "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("Le mot de passe est trop long.", "password")
    if username and password.strip().lower() == username.strip().lower():
        raise InvalidInput("Le mot de passe ne doit pas être le nom d'utilisateur.", "password")
    return password


# --- accounts ------------------------------------------------------------------------

def get(user) -> User:
    """A user by id (int), name (str) or instance."""
    if isinstance(user, User):
        return user
    try:
        if isinstance(user, int):
            return User.get_by_id(user)
        return User.get(User.username == user)
    except User.DoesNotExist:
        raise NotFound(f"Utilisateur « {user} » introuvable.") from None


def list_users() -> list[User]:
    return list(User.select().order_by(User.username))


def create(username: str, password: str, role: str, *, actor: str) -> User:
    username = check_username(username)
    check_role(role)
    check_password(password, username)
    with database.atomic():
        if User.select().where(pw.fn.LOWER(User.username) == username.lower()).exists():
            raise InvalidInput(f"L'utilisateur « {username} » existe déjà.", "username")
        user = User.create(username=username, password_hash=_hasher.hash(password), role=role)
        audit.record(actor, "user.add", username, {"role": role})
    return user


def _active_admins_besides(user: User) -> int:
    return User.select().where((User.role == "admin") & (User.disabled == False)  # noqa: E712
                               & (User.id != user.id)).count()


def set_role(user, role: str, *, actor: str) -> User:
    user = get(user)
    check_role(role)
    if user.role == role:
        return user
    with database.atomic():
        if user.role == "admin" and not user.disabled and _active_admins_besides(user) == 0:
            raise InvalidInput("Impossible : c'est le dernier administrateur actif.", "role")
        User.update(role=role).where(User.id == user.id).execute()
        audit.record(actor, "user.role", user.username, {"from": user.role, "to": role})
    return get(user.id)


def set_disabled(user, disabled: bool, *, actor: str) -> User:
    user = get(user)
    with database.atomic():
        if disabled and user.role == "admin" and _active_admins_besides(user) == 0:
            raise InvalidInput("Impossible : c'est le dernier administrateur actif.", "disabled")
        User.update(disabled=bool(disabled), failed_logins=0, locked_until=None).where(
            User.id == user.id).execute()
        if disabled:
            Session.delete().where(Session.user == user.id).execute()
        audit.record(actor, "user.disable" if disabled else "user.enable", user.username)
    return get(user.id)


def delete(user, *, actor: str) -> None:
    user = get(user)
    with database.atomic():
        if user.role == "admin" and not user.disabled and _active_admins_besides(user) == 0:
            raise InvalidInput("Impossible : c'est le dernier administrateur actif.", "username")
        user.delete_instance()
        audit.record(actor, "user.delete", user.username)


def _revoke_all(user: User) -> int:
    """A new password ends everything the old one opened: sessions and API tokens."""
    Session.delete().where(Session.user == user.id).execute()
    return ApiToken.delete().where(ApiToken.user == user.id).execute()


def set_password(user, password: str, *, actor: str) -> int:
    """Set a new password (administrator reset or `vigie user passwd`); ends the user's sessions and
    revokes their API tokens (returns how many)."""
    user = get(user)
    check_password(password, user.username)
    with database.atomic():
        User.update(password_hash=_hasher.hash(password), failed_logins=0, locked_until=None).where(
            User.id == user.id).execute()
        revoked = _revoke_all(user)
        audit.record(actor, "user.password", user.username, {"tokens_revoked": revoked}, count=revoked)
    return revoked


def change_own_password(user, current: str, new: str, confirm: str) -> int:
    """A signed-in user changes their password: the current one is required; sessions end and API
    tokens are revoked (returns how many)."""
    user = get(user)
    if not _verify(user.password_hash, current or ""):
        raise InvalidInput("Le mot de passe actuel est incorrect.", "current")
    if new != confirm:
        raise InvalidInput("Les deux saisies du nouveau mot de passe diffèrent.", "confirm")
    if new == current:
        raise InvalidInput("Le nouveau mot de passe doit différer de l'actuel.", "password")
    check_password(new, user.username)
    with database.atomic():
        User.update(password_hash=_hasher.hash(new)).where(User.id == user.id).execute()
        revoked = _revoke_all(user)
        audit.record(user.username, "user.password", user.username,
                     {"by": "l'intéressé", "tokens_revoked": revoked}, count=revoked)
    return revoked


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


# --- sign-in -----------------------------------------------------------------------------

def _wait_label(seconds: float) -> str:
    seconds = max(1, int(seconds + 0.999))
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _delay(failures: int, free: int, cap: float) -> float:
    """Seconds to wait after the last failure: none for the first ``free`` failures, then doubling."""
    if failures < free:
        return 0.0
    return min(cap, THROTTLE_BASE_SECONDS * 2 ** (failures - free))


def throttle_wait(username: str, address: str, now: float | None = None) -> tuple[float, str]:
    """How long a sign-in for ``username`` from ``address`` must still wait, and who is slowed.

    Counted on the name as typed, so an unknown name is treated exactly like an existing one. The
    address and the (account, address) pair get growing delays; the account from everywhere gets a
    short, capped one: an attacker is slowed down, the owner never locked out for more than
    ACCOUNT_MAX_DELAY seconds."""
    now = now or time.time()
    since = now - THROTTLE_WINDOW_SECONDS
    name = (username or "").strip()[:64].lower()
    recent = LoginFailure.select(pw.fn.COUNT(LoginFailure.id), pw.fn.MAX(LoginFailure.at))
    waits = []
    for who, condition, free, cap in (
        ("address", LoginFailure.address == address, ADDRESS_FREE_FAILURES, ADDRESS_MAX_DELAY),
        ("pair", (LoginFailure.address == address) & (pw.fn.LOWER(LoginFailure.username) == name),
         PAIR_FREE_FAILURES, PAIR_MAX_DELAY),
        ("account", pw.fn.LOWER(LoginFailure.username) == name, ACCOUNT_FREE_FAILURES, ACCOUNT_MAX_DELAY),
    ):
        if who != "account" and not address:
            continue
        n, last = recent.where(condition & (LoginFailure.at > since)).tuples().get()
        if n and last is not None:
            wait = last + _delay(n, free, cap) - now
            if wait > 0:
                waits.append((wait, who))
    return max(waits) if waits else (0.0, "")


def authenticate(username: str, password: str, address: str = "", now: float | None = None) -> User:
    """Check a sign-in; record and throttle failures. Raises SignInRefused with a French reason.

    The answer never tells whether the account exists: an unknown name, a wrong password and a
    disabled account get the same message, after the same argon2 work. Repeated failures are not
    punished by locking the account (anyone could lock the administrator out during an incident)
    but by growing delays, per address and per account."""
    now = now or time.time()
    username = (username or "").strip()
    wait, who = throttle_wait(username, address, now)
    if wait > 0:
        audit.record(username[:64] or "inconnu", "login.throttled", address, {"wait": round(wait), "by": who})
        where = " depuis ce poste" if who in ("address", "pair") else ""
        raise SignInRefused(f"Trop de tentatives de connexion{where} : patientez {_wait_label(wait)} "
                            "avant de réessayer.")
    user = User.get_or_none(User.username == username)
    ok = _verify(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not ok or user.disabled:
        with database.atomic():
            LoginFailure.delete().where(LoginFailure.at < now - 86400).execute()   # keep a day
            LoginFailure.create(username=username[:64], address=address, at=now)
            if user is not None:
                User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
            audit.record(username[:64] or "inconnu", "login.fail", address)
        raise SignInRefused("Nom d'utilisateur ou mot de passe incorrect.")
    with database.atomic():
        fields = dict(failed_logins=0, locked_until=None, last_login=now)
        if _hasher.check_needs_rehash(user.password_hash):
            fields["password_hash"] = _hasher.hash(password)
        User.update(**fields).where(User.id == user.id).execute()
        # The owner is in: the failures of this address on this account no longer slow anyone.
        LoginFailure.delete().where((pw.fn.LOWER(LoginFailure.username) == username.lower())
                                    & (LoginFailure.address == address)).execute()
        audit.record(username, "login", address)
    return get(user.id)


def unlock(user, *, actor: str) -> User:
    """An administrator lifts any delay on the account's sign-ins."""
    user = get(user)
    User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
    LoginFailure.delete().where(pw.fn.LOWER(LoginFailure.username) == user.username.lower()).execute()
    audit.record(actor, "user.unlock", user.username)
    return get(user.id)


def is_locked(user: User, now: float | None = None) -> bool:
    return bool(user.locked_until and user.locked_until > (now or time.time()))


# --- API tokens -------------------------------------------------------------------------

def create_token(user, label: str, *, actor: str) -> tuple[ApiToken, str]:
    """A new API token for ``user``; the clear token is returned once and never stored."""
    user = get(user)
    label = (label or "").strip()
    if not 1 <= len(label) <= 80:
        raise InvalidInput("Le libellé du jeton doit compter de 1 à 80 caractères.", "label")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with database.atomic():
        row = ApiToken.create(user=user.id, name=label, token_hash=hash_token(token))
        audit.record(actor, "token.add", user.username, {"label": label})
    return row, token


def list_tokens(user) -> list[ApiToken]:
    user = get(user)
    return list(ApiToken.select().where(ApiToken.user == user.id).order_by(ApiToken.created_at))


def revoke_token(token_id: int, *, user=None, actor: str) -> None:
    """Delete a token; when ``user`` is given it must own it."""
    query = ApiToken.select().where(ApiToken.id == token_id)
    if user is not None:
        query = query.where(ApiToken.user == get(user).id)
    row = query.first()
    if row is None:
        raise NotFound("Jeton introuvable.")
    with database.atomic():
        row.delete_instance()
        audit.record(actor, "token.delete", row.user.username, {"label": row.name})


def token_user(token: str) -> User | None:
    """The enabled owner of an API token, or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = (ApiToken.select(ApiToken, User).join(User)
           .where(ApiToken.token_hash == hash_token(token)).first())
    if row is None or row.user.disabled:
        return None
    ApiToken.update(last_used=time.time()).where(ApiToken.id == row.id).execute()
    return row.user
