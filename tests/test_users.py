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


def refusal(username, password, address, now) -> str:
    with pytest.raises(users.SignInRefused) as refused:
        users.authenticate(username, password, address, now=now)
    return str(refused.value)


def test_existing_and_unknown_accounts_get_the_same_answers_throughout(database):
    users.create("martin", PASSWORD, "operator", actor="test")
    now = 1_800_000_000.0
    for name, address in (("martin", "10.0.0.1"), ("personne", "10.0.0.2")):
        answers = [refusal(name, "faux-mot-de-passe", address, now + i * 0.1) for i in range(6)]
        assert answers[:3] == ["Nom d'utilisateur ou mot de passe incorrect."] * 3
        assert all(a.startswith("Trop de tentatives de connexion depuis ce poste : patientez ") for a in answers[4:])
        if name == "martin":
            seen = answers
    assert [a.split("patientez")[0] for a in answers] == [a.split("patientez")[0] for a in seen]
    assert not users.is_locked(users.get("martin"), now=now + 60)


def test_failures_slow_down_with_growing_delays_and_never_lock_the_owner_out(database):
    users.create("martin", PASSWORD, "operator", actor="test")
    now = 1_800_000_000.0
    attacker, owner = "10.6.6.6", "10.0.0.1"
    waits = []
    for _ in range(10):
        wait, who = users.throttle_wait("martin", attacker, now)
        now += wait + 0.01                   # the attacker waits exactly as long as told
        refusal("martin", "faux-mot-de-passe", attacker, now)
        waits.append(wait)
    assert waits[:3] == [0.0, 0.0, 0.0] and all(b > a for a, b in zip(waits[3:], waits[4:])), waits
    # Even the right password waits its turn from the attacker's address...
    assert "patientez" in refusal("martin", PASSWORD, attacker, now + 1)
    # ...but the owner, from their own computer, signs in at once, during the attack.
    assert users.authenticate("martin", PASSWORD, owner, now=now + 1)
    # Many addresses against one account: the account's own delay stays short.
    for i in range(30):
        wait, _ = users.throttle_wait("martin", f"10.1.{i}.1", now)
        assert wait <= users.ACCOUNT_MAX_DELAY
        now += wait + 0.01
        refusal("martin", "faux-mot-de-passe", f"10.1.{i}.1", now)
    wait, who = users.throttle_wait("martin", owner, now)
    assert 0 < wait <= users.ACCOUNT_MAX_DELAY and who == "account"
    assert "patientez" in refusal("martin", PASSWORD, owner, now + 0.5)
    assert users.authenticate("martin", PASSWORD, owner, now=now + users.ACCOUNT_MAX_DELAY + 1)
    assert AuditLog.select().where(AuditLog.action == "login.lock").count() == 0
    assert AuditLog.select().where(AuditLog.action == "login.throttled").count() >= 2


def test_an_address_with_too_many_failures_is_slowed_down_for_every_account(database):
    users.create("martin", PASSWORD, "operator", actor="test")
    now = 1_800_000_000.0
    for i in range(users.ADDRESS_FREE_FAILURES + 2):
        wait, _ = users.throttle_wait(f"inconnu{i}", "10.9.9.9", now)
        now += wait + 0.01
        refusal(f"inconnu{i}", "x" * 12, "10.9.9.9", now)
    assert "depuis ce poste : patientez" in refusal("martin", PASSWORD, "10.9.9.9", now + 0.5)
    # Another address is not affected.
    assert users.authenticate("martin", PASSWORD, "10.0.0.1", now=now + 1)
    # An administrator lifts the delays on an account.
    users.unlock(users.get("martin"), actor="test")


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
