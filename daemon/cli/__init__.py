"""The ``vigie`` command. Each module of this package adds its sub-commands through ``register()``.

Every word printed here is for the operators, in French.
"""

import argparse
import importlib
import logging
import os
import pkgutil
import sqlite3
import sys

from vigie.daemon.core.errors import InvalidInput, VigieError


class FrenchParser(argparse.ArgumentParser):
    """argparse with its fixed phrases in French."""

    def error(self, message):
        message = (message.replace("the following arguments are required", "arguments obligatoires manquants")
                   .replace("unrecognized arguments", "arguments non reconnus")
                   .replace("invalid choice", "choix invalide")
                   .replace("expected one argument", "une valeur est attendue")
                   .replace("argument", "argument"))
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {message}\n")

    def format_help(self):
        text = super().format_help()
        return (text.replace("usage:", "usage :").replace("positional arguments:", "arguments :")
                .replace("options:", "options :").replace("show this help message and exit", "afficher cette aide"))


def _command_word(argv) -> str | None:
    """The sub-command named on the line (the first word that is not an option), if any."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(argv=None) -> argparse.ArgumentParser:
    """The parser; given the command line, only the module of its sub-command is imported when it
    has one of that name (`vigie alert send` starts in a third of the time: what reaches the modem
    first after a confirmation), else every module, as for `vigie --help`."""
    parser = FrenchParser(prog="vigie", description="Vigientreprise : passerelle d'alerte SMS de la gendarmerie.")
    parser.add_argument("--config", metavar="CHEMIN", help="fichier de configuration (défaut : $VIGIE_CONFIG ou /etc/vigientreprise/vigie.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="journal détaillé")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchParser)
    word = _command_word(sys.argv[1:] if argv is None else argv)
    names = {info.name for info in pkgutil.iter_modules(__path__)}
    if word and not word.startswith("_") and word in names:
        importlib.import_module(f"{__name__}.{word}").register(sub)
        if word in sub.choices:
            return parser
        parser = build_parser([])         # the module names another command: every module, as usual
        return parser
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


# Import name → the package that provides it, for the one-line message when one is missing.
PACKAGES = {"serial": "pyserial", "gsmmodem": "python-gsmmodem-new", "stdnum": "python-stdnum",
            "argon2": "argon2-cffi"}


def missing_dependency(e: ModuleNotFoundError) -> int:
    """A third-party package is missing: say which, once, in French, and what to run."""
    name = (e.name or "").split(".")[0]
    if not name or name == "vigie":
        raise e                         # the project's own module: a bug, shown as one
    package = PACKAGES.get(name, name)
    print(f"vigie : le paquet Python « {package} » est absent de cet environnement ({sys.executable}) ; "
          f"installez les dépendances : « make venv » dans le dépôt, ou « sudo make install » sur la box.",
          file=sys.stderr)
    return 3


def database_failure(e: Exception) -> str | None:
    """One French line for an SQLite failure a person can act on; None when it is not one."""
    text = str(e).lower()
    if "database is locked" in text or "database table is locked" in text or "busy" in text:
        return ("la base de données est occupée par un autre programme depuis trop longtemps : rien n'a "
                "été enregistré ; réessayez dans un instant.")
    if "database or disk is full" in text or "disk is full" in text:
        return ("le disque de la base de données est plein : rien n'a été enregistré ; libérez de la place "
                "(anciennes sauvegardes, journaux) puis recommencez.")
    if "disk i/o error" in text:
        return ("erreur d'écriture ou de lecture sur le disque de la base de données (disque plein, carte "
                "SD ou clé défaillante ?) : rien n'a été enregistré ; vérifiez le disque puis recommencez.")
    if "readonly" in text or "read-only" in text:
        return ("la base de données est en lecture seule pour cet utilisateur : lancez la commande en tant "
                "qu'utilisateur « vigie » (sudo -u vigie …).")
    if "unable to open database" in text:
        return "impossible d'ouvrir la base de données : vérifiez le chemin [database] path et ses droits."
    if "malformed" in text or "not a database" in text:
        return ("la base de données est endommagée : restaurez la dernière sauvegarde (vigie backup) ; "
                "rien n'a été enregistré.")
    return None


def main(argv=None) -> int:
    try:
        parser = build_parser(argv)
    except ModuleNotFoundError as e:
        return missing_dependency(e)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if os.environ.get("INVOCATION_ID") else
        "%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except InvalidInput as e:
        where = f" (champ « {e.field} »)" if e.field else ""
        print(f"Erreur{where} : {e.message}", file=sys.stderr)
        return 2
    except VigieError as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        # sqlite3's errors, and peewee's wrappers of them (peewee is imported lazily: see PACKAGES).
        if not (isinstance(e, sqlite3.Error) or type(e).__module__ == "peewee"):
            raise
        line = database_failure(e)
        if line is None:
            line = f"la base de données a refusé l'opération ({e}) : rien n'a été enregistré."
        print(f"Erreur : {line}", file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())
