"""Utilisateurs (administrators only): create, change role, disable, unlock, reset password, delete."""

import bottle

from vigie.daemon.core import users
from vigie.daemon.core.errors import InvalidInput

from .. import auth
from ..render import flash, form, page, see_other


def _page(error: str = "", errors=None, values=None, status: int = 200):
    bottle.response.status = status
    return page("users", title="Utilisateurs", users_list=users.list_users(), roles=users.ROLES,
                is_locked=users.is_locked, error=error, errors=errors or {}, values=values or {})


@auth.requires("users")
def list_page():
    return _page()


@auth.requires("users")
def create():
    actor = auth.current_user().username
    values = dict(username=form("username"), role=form("role"))
    try:
        if form("password") != form("confirm"):
            raise InvalidInput("Les deux saisies du mot de passe diffèrent.", "confirm")
        user = users.create(values["username"], form("password"), values["role"], actor=actor)
    except InvalidInput as e:
        return _page(e.message, {e.field: e.message}, values, status=400)
    flash(f"Utilisateur « {user.username} » créé.")
    see_other("/utilisateurs")


@auth.requires("users")
def change(user_id: int):
    """One POST endpoint per row; ``action`` says what to do."""
    actor = auth.current_user().username
    target = users.get(user_id)
    action = form("action")
    try:
        if action == "role":
            users.set_role(target, form("role"), actor=actor)
            message = f"Rôle de « {target.username} » : {users.role_label(form('role'))}."
        elif action == "disable":
            users.set_disabled(target, True, actor=actor)
            message = f"Utilisateur « {target.username} » désactivé."
        elif action == "enable":
            users.set_disabled(target, False, actor=actor)
            message = f"Utilisateur « {target.username} » réactivé."
        elif action == "unlock":
            users.unlock(target, actor=actor)
            message = f"Utilisateur « {target.username} » déverrouillé."
        elif action == "password":
            if form("password") != form("confirm"):
                raise InvalidInput("Les deux saisies du mot de passe diffèrent.", "confirm")
            revoked = users.set_password(target, form("password"), actor=actor)
            message = f"Mot de passe de « {target.username} » réinitialisé ; ses sessions sont fermées"
            message += (f" et ses {revoked} jetons d'API révoqués." if revoked > 1 else
                        " et son jeton d'API révoqué." if revoked == 1 else ".")
        elif action == "delete":
            if form("confirm_delete") != "oui":
                raise InvalidInput("Cochez la case de confirmation pour supprimer ce compte.", "confirm_delete")
            users.delete(target, actor=actor)
            message = f"Utilisateur « {target.username} » supprimé."
        else:
            raise InvalidInput("Action inconnue.", "action")
    except InvalidInput as e:
        return _page(f"{target.username} : {e.message}", {e.field: e.message}, status=400)
    flash(message)
    see_other("/utilisateurs")


def register(app: bottle.Bottle) -> None:
    app.route("/utilisateurs", "GET", list_page)
    app.route("/utilisateurs", "POST", create)
    app.route("/utilisateurs/<user_id:int>", "POST", change)
