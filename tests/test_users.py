"""Accounts: hashing, roles, throttling and lock, API tokens, and the `vigie user` command."""

import io
import sys

import pytest

from vigie.daemon import cli
from vigie.daemon.core import users
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import ApiToken, AuditLog, LoginFailure, Session, User

PASSWORD = "une-phrase-de-passe"


def test_create_stores_only_an_argon2_hash(database):
    user = users.create("martin", PASSWORD, "operator", actor="test")
    stored = User.get_by_id(user.id)
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert users.authenticate("martin", PASSWORD).id == user.id
    assert AuditLog.select().where(AuditLog.action == "user.add").count() == 1


@pytest.mark.parametrize("name, password, role, field", [
    ("a", PASSWORD, "admin", "username"),
    ("deux mots", PASSWORD, "admin", "username"),
    ("martin", "court", "admin", "password"),
    ("martin", "martin", "admin", "password"),
    ("martin", PASSWORD, "chef", "role"),
])
def test_bad_accounts_are_refused_in_french(database, name, password, role, field):
    with pytest.raises(InvalidInput) as e:
        users.create(name, password, role, actor="test")
    assert e.value.field == field
    assert User.select().count() == 0


def test_duplicate_name_refused_case_insensitively(database):
    users.create("Martin", PASSWORD, "operator", actor="test")
    with pytest.raises(InvalidInput, match="existe déjà"):
        users.create("martin", PASSWORD, "admin", actor="test")


def test_wrong_password_and_unknown_user_give_the_same_message(database):
    users.create("martin", PASSWORD, "operator", actor="test")
    with pytest.raises(users.SignInRefused) as wrong:
        users.authenticate("martin", "mauvais-mot-de-passe", "10.0.0.1")
    with pytest.raises(users.SignInRefused) as unknown:
        users.authenticate("personne", "mauvais-mot-de-passe", "10.0.0.1")
    assert str(wrong.value) == str(unknown.value) == "Nom d'utilisateur ou mot de passe incorrect."
    assert LoginFailure.select().count() == 2
    assert AuditLog.select().where(AuditLog.action == "login.fail").count() == 2


def test_five_failures_lock_the_account_for_fifteen_minutes(database):
    users.create("martin", PASSWORD, "operator", actor="test")
    now = 1_800_000_000.0
    for i in range(users.MAX_FAILURES - 1):
        with pytest.raises(users.SignInRefused, match="incorrect"):
            users.authenticate("martin", "faux-mot-de-passe", f"10.0.0.{i}", now=now)
    with pytest.raises(users.SignInRefused, match="verrouillé"):
        users.authenticate("martin", "faux-mot-de-passe", "10.0.0.9", now=now)
    # Even the right password is refused while locked.
    with pytest.raises(users.SignInRefused, match="verrouillé"):
        users.authenticate("martin", PASSWORD, "10.0.0.9", now=now + 60)
    assert users.is_locked(users.get("martin"), now=now + 60)
    # After the lock, the right password works again and the counter is reset.
    assert users.authenticate("martin", PASSWORD, "10.0.0.9", now=now + users.LOCK_SECONDS + 1)
    assert users.get("martin").failed_logins == 0


def test_an_address_with_too_many_failures_is_throttled(database):
    users.create("martin", PASSWORD, "operator", actor="test")
    now = 1_800_000_000.0
    for i in range(users.ADDRESS_MAX_FAILURES):
        with pytest.raises(users.SignInRefused):
            users.authenticate(f"inconnu{i}", "x" * 12, "10.9.9.9", now=now)
    with pytest.raises(users.SignInRefused, match="Trop d'échecs"):
        users.authenticate("martin", PASSWORD, "10.9.9.9", now=now + 1)
    # Another address is not affected.
    assert users.authenticate("martin", PASSWORD, "10.0.0.1", now=now + 1)


def test_disabled_account_cannot_sign_in_and_loses_its_sessions(database):
    admin = users.create("chef", PASSWORD, "admin", actor="test")
    user = users.create("martin", PASSWORD, "operator", actor="test")
    Session.create(token_hash="x" * 64, user=user.id, csrf="c")
    users.set_disabled(user, True, actor=admin.username)
    assert Session.select().count() == 0
    with pytest.raises(users.SignInRefused):
        users.authenticate("martin", PASSWORD)


def test_the_last_active_admin_is_protected(database):
    admin = users.create("chef", PASSWORD, "admin", actor="test")
    for action in (lambda: users.set_role(admin, "operator", actor="t"),
                   lambda: users.set_disabled(admin, True, actor="t"),
                   lambda: users.delete(admin, actor="t")):
        with pytest.raises(InvalidInput, match="dernier administrateur"):
            action()
    users.create("adjoint", PASSWORD, "admin", actor="test")
    users.set_role(admin, "operator", actor="t")
    assert users.get("chef").role == "operator"


def test_change_own_password(database):
    user = users.create("martin", PASSWORD, "operator", actor="test")
    with pytest.raises(InvalidInput, match="actuel est incorrect"):
        users.change_own_password(user, "pas-le-bon-mdp", "nouveau-mot-de-passe", "nouveau-mot-de-passe")
    with pytest.raises(InvalidInput, match="diffèrent"):
        users.change_own_password(user, PASSWORD, "nouveau-mot-de-passe", "autre-chose-encore")
    with pytest.raises(InvalidInput, match="10 caractères"):
        users.change_own_password(user, PASSWORD, "court", "court")
    users.change_own_password(user, PASSWORD, "nouveau-mot-de-passe", "nouveau-mot-de-passe")
    assert users.authenticate("martin", "nouveau-mot-de-passe")
    with pytest.raises(users.SignInRefused):
        users.authenticate("martin", PASSWORD)


def test_api_tokens_store_only_a_hash(database):
    user = users.create("martin", PASSWORD, "operator", actor="test")
    row, token = users.create_token(user, "logiciel du CORG", actor="martin")
    assert token.startswith("vg_") and token not in ApiToken.get_by_id(row.id).token_hash
    assert users.token_user(token).id == user.id
    assert users.token_user(token + "x") is None
    assert users.token_user("") is None
    assert ApiToken.get_by_id(row.id).last_used is not None
    users.set_disabled(user, True, actor="test")
    assert users.token_user(token) is None
    users.set_disabled(user, False, actor="test")
    other = users.create("autre", PASSWORD, "operator", actor="test")
    with pytest.raises(NotFound):
        users.revoke_token(row.id, user=other, actor="autre")
    users.revoke_token(row.id, user=user, actor="martin")
    assert users.token_user(token) is None


# --- the `vigie user` command ------------------------------------------------------------

@pytest.fixture
def run(tmp_path, db_path, database, monkeypatch, capsys):
    config = tmp_path / "vigie.toml"
    config.write_text(f'[database]\npath = "{db_path}"\n', encoding="utf-8")

    def run(*args, stdin: str = ""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            rc = cli.main(["--config", str(config), *args])
        except SystemExit as e:
            rc = e.code
        out, err = capsys.readouterr()
        return rc, out, err
    return run


def test_cli_user_lifecycle(run):
    rc, out, err = run("user", "add", "chef", "--role", "admin", stdin=PASSWORD + "\n")
    assert rc == 0 and "créé" in out
    assert users.authenticate("chef", PASSWORD).role == "admin"

    rc, out, err = run("user", "add", "martin", "--role", "operator", stdin="court\n")
    assert rc == 2 and "10 caractères" in err
    assert User.select().where(User.username == "martin").count() == 0

    rc, out, err = run("user", "add", "martin", "--role", "chef", stdin=PASSWORD + "\n")
    assert rc == 2 and "choix invalide" in err

    run("user", "add", "martin", "--role", "operator", stdin=PASSWORD + "\n")
    rc, out, _ = run("user", "list")
    assert rc == 0 and "martin" in out and "opérateur" in out and "administrateur" in out

    rc, out, _ = run("user", "passwd", "martin", stdin="nouveau-mot-de-passe\n")
    assert rc == 0
    assert users.authenticate("martin", "nouveau-mot-de-passe")

    rc, out, err = run("user", "token", "martin", "--label", "essai")
    assert rc == 0 and "une seule fois" in err
    assert users.token_user(out.strip()).username == "martin"

    rc, out, _ = run("user", "disable", "martin")
    assert rc == 0 and users.get("martin").disabled
    rc, out, _ = run("user", "disable", "martin", "--enable")
    assert rc == 0 and not users.get("martin").disabled

    rc, out, err = run("user", "delete", "chef")
    assert rc == 2 and "dernier administrateur" in err
    rc, out, _ = run("user", "delete", "martin")
    assert rc == 0 and User.select().where(User.username == "martin").count() == 0
    rc, out, err = run("user", "delete", "personne")
    assert rc == 1 and "introuvable" in err


def test_cli_user_add_without_password_on_stdin_creates_nothing(run):
    rc, out, err = run("user", "add", "chef", "--role", "admin", stdin="")
    assert rc == 2 and "Aucun mot de passe" in err
    assert User.select().count() == 0


def test_cli_user_add_asks_twice_on_a_terminal(tmp_path, db_path, database):
    """On a terminal the password is asked twice, unechoed; two different entries create nothing."""
    import os
    import pty
    import select

    config = tmp_path / "vigie.toml"
    config.write_text(f'[database]\npath = "{db_path}"\n', encoding="utf-8")

    def run(name: str, first: str, second: str) -> tuple[int, str]:
        pid, fd = pty.fork()
        if pid == 0:       # child: the pty is its controlling terminal
            os.execvp(sys.executable, [sys.executable, "-m", "vigie.daemon.cli", "--config", str(config),
                                       "user", "add", name, "--role", "operator"])
        output = b""
        answers = [first, second]

        def read_until(marker: bytes) -> bool:
            nonlocal output
            while marker not in output:
                ready, _, _ = select.select([fd], [], [], 30)
                if not ready:
                    return False
                try:
                    chunk = os.read(fd, 1024)
                except OSError:
                    return False
                if not chunk:
                    return False
                output += chunk
            return True

        for marker, answer in ((b"Mot de passe : ", answers[0]), (b"Confirmez le mot de passe : ", answers[1])):
            assert read_until(marker), output
            os.write(fd, answer.encode() + b"\n")
        read_until(b"\n\xff")            # drain until the child ends
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")

    rc, out = run("martin", PASSWORD, PASSWORD + "x")
    assert rc == 2 and "diffèrent" in out and PASSWORD not in out
    assert User.select().where(User.username == "martin").count() == 0
    rc, out = run("martin", PASSWORD, PASSWORD)
    assert rc == 0 and "créé" in out and PASSWORD not in out
    assert users.authenticate("martin", PASSWORD)
