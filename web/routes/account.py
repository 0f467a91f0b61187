"""Sign-in, sign-out and « Mon compte » (password change, API tokens)."""

import bottle

from vigie.daemon.core import audit, users
from vigie.daemon.core.errors import InvalidInput

from .. import auth
from ..render import flash, form, page, query, see_other


def login_form():
    if auth.current_user() is not None:
        see_other(auth.home_for(auth.current_user().role))
    return page("login", title="Connexion", login_csrf=auth.login_csrf_token(),
                next=auth._safe_next(query("suite", "/")), username="")


def login_submit():
    next_path = auth._safe_next(form("suite", "/"))
    username = form("username").strip()
    if not auth.login_csrf_valid():
        bottle.response.status = 403
        return page("login", title="Connexion", login_csrf=auth.login_csrf_token(), next=next_path,
                    username=username,
                    error="Le formulaire a expiré : rechargez la page et recommencez.")
    try:
        user = users.authenticate(username, form("password"), auth.client_address())
    except users.SignInRefused as e:
        bottle.response.status = 401
        return page("login", title="Connexion", login_csrf=auth.login_csrf_token(), next=next_path,
                    username=username, error=str(e))
    auth.open_session(user)
    if next_path == "/" or next_path.startswith(("/connexion", "/deconnexion")):
        next_path = auth.home_for(user.role)
    see_other(next_path)


def _tokens_revoked(n: int) -> str:
    return f"{n} jeton d'API révoqué" if n == 1 else f"{n} jetons d'API révoqués"


def logout():
    session = auth.current_session()
    if session is not None:
        if not auth.csrf_valid(session):
            bottle.abort(403, "Jeton de sécurité absent ou invalide : rechargez la page et recommencez.")
        audit.record(session.user.username, "logout", auth.client_address())
    auth.close_session()
    see_other("/connexion")


@auth.requires("account")
def account_page(error: str = "", errors=None, new_token: str = ""):
    user = auth.current_user()
    return page("account", title="Mon compte", tokens=users.list_tokens(user), error=error,
                errors=errors or {}, new_token=new_token)


@auth.requires("account")
def change_password():
    user = auth.current_user()
    try:
        revoked = users.change_own_password(user, form("current"), form("password"), form("confirm"))
    except InvalidInput as e:
        bottle.response.status = 400
        return account_page.__wrapped__(error=e.message, errors={e.field: e.message})
    # The password changed: start a new session (the old token is gone).
    auth.open_session(users.get(user.id))
    flash("Mot de passe changé." + (f" {_tokens_revoked(revoked)} : créez-en de nouveaux pour vos logiciels."
                                     if revoked else ""))
    see_other("/compte")


@auth.requires("account")
def create_token():
    user = auth.current_user()
    try:
        _, token = users.create_token(user, form("label"), actor=user.username)
    except InvalidInput as e:
        bottle.response.status = 400
        return account_page.__wrapped__(error=e.message, errors={e.field: e.message})
    return account_page.__wrapped__(new_token=token)


@auth.requires("account")
def revoke_token(token_id: int):
    user = auth.current_user()
    users.revoke_token(token_id, user=user, actor=user.username)
    flash("Jeton supprimé.")
    see_other("/compte")


def register(app: bottle.Bottle) -> None:
    app.route("/connexion", "GET", login_form)
    app.route("/connexion", "POST", login_submit)
    app.route("/deconnexion", "POST", logout)
    app.route("/compte", "GET", account_page)
    app.route("/compte/mot-de-passe", "POST", change_password)
    app.route("/compte/jetons", "POST", create_token)
    app.route("/compte/jetons/<token_id:int>/supprimer", "POST", revoke_token)
