"""`vigie user`: console accounts, created on the box itself (there is no default account)."""

import getpass
import sys

from vigie.daemon.cli._common import fmt_time, open_db, print_json
from vigie.daemon.core import users
from vigie.daemon.core.errors import InvalidInput

ACTOR = "cli"


def _read_password(prompt: str = "Mot de passe : ", confirm: bool = True) -> str:
    """Ask twice on a terminal; read one line from stdin when it is not a terminal."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise InvalidInput("Aucun mot de passe reçu sur l'entrée standard.", "password")
        return line.rstrip("\r\n")
    first = getpass.getpass(prompt)
    if confirm:
        second = getpass.getpass("Confirmez le mot de passe : ")
        if first != second:
            raise InvalidInput("Les deux saisies du mot de passe diffèrent.", "password")
    return first


def cmd_add(args) -> int:
    open_db(args)
    users.check_username(args.name)
    users.check_role(args.role)
    password = _read_password()
    user = users.create(args.name, password, args.role, actor=ACTOR)
    print(f"Utilisateur « {user.username} » créé ({users.role_label(user.role)}).")
    return 0


def cmd_list(args) -> int:
    open_db(args)
    rows = users.list_users()
    if args.json:
        print_json([dict(username=u.username, role=u.role, disabled=u.disabled,
                         locked=users.is_locked(u), last_login=u.last_login) for u in rows])
        return 0
    if not rows:
        print("Aucun utilisateur. Créez le premier administrateur : vigie user add NOM --role admin")
        return 0
    print(f"{'Utilisateur':<24} {'Rôle':<36} {'État':<12} Dernière connexion")
    for u in rows:
        state = "désactivé" if u.disabled else ("verrouillé" if users.is_locked(u) else "actif")
        print(f"{u.username:<24} {users.role_label(u.role):<36} {state:<12} {fmt_time(u.last_login)}")
    return 0


def cmd_passwd(args) -> int:
    open_db(args)
    user = users.get(args.name)
    revoked = users.set_password(user, _read_password("Nouveau mot de passe : "), actor=ACTOR)
    tokens = (f" et ses {revoked} jetons d'API révoqués" if revoked > 1 else
              " et son jeton d'API révoqué" if revoked == 1 else "")
    print(f"Mot de passe de « {user.username} » changé ; ses sessions ouvertes sont fermées{tokens}.")
    return 0


def cmd_disable(args) -> int:
    open_db(args)
    user = users.set_disabled(users.get(args.name), not args.enable, actor=ACTOR)
    print(f"Utilisateur « {user.username} » {'désactivé' if user.disabled else 'réactivé'}.")
    return 0


def cmd_delete(args) -> int:
    open_db(args)
    user = users.get(args.name)
    users.delete(user, actor=ACTOR)
    print(f"Utilisateur « {user.username} » supprimé.")
    return 0


def cmd_token(args) -> int:
    open_db(args)
    _, token = users.create_token(users.get(args.name), args.label, actor=ACTOR)
    print("Jeton d'API (affiché une seule fois, conservez-le) :", file=sys.stderr)
    print(token)
    return 0


def register(sub) -> None:
    parser = sub.add_parser("user", help="comptes de la console web")
    commands = parser.add_subparsers(dest="user_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    p = commands.add_parser("add", help="créer un compte (mot de passe demandé deux fois, ou lu sur l'entrée standard)")
    p.add_argument("name", metavar="NOM")
    p.add_argument("--role", required=True, choices=sorted(users.ROLES),
                   help="admin, operator (envoie les alertes) ou manager (gère les adhérents)")
    p.set_defaults(func=cmd_add)

    p = commands.add_parser("list", help="lister les comptes")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("passwd", help="changer le mot de passe d'un compte")
    p.add_argument("name", metavar="NOM")
    p.set_defaults(func=cmd_passwd)

    p = commands.add_parser("disable", help="désactiver un compte (--enable pour le réactiver)")
    p.add_argument("name", metavar="NOM")
    p.add_argument("--enable", action="store_true", help="réactiver au lieu de désactiver")
    p.set_defaults(func=cmd_disable)

    p = commands.add_parser("delete", help="supprimer un compte")
    p.add_argument("name", metavar="NOM")
    p.set_defaults(func=cmd_delete)

    p = commands.add_parser("token", help="créer un jeton d'API pour un compte (affiché une fois)")
    p.add_argument("name", metavar="NOM")
    p.add_argument("--label", required=True, metavar="LIBELLÉ", help="à quoi sert le jeton")
    p.set_defaults(func=cmd_token)
