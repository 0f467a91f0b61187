"""`vigie backup DEST [--keep N]`: a consistent copy of the live database, the oldest ones rotated out."""

import getpass
import os

from vigie.daemon.cli._common import print_json
from vigie.daemon.cli._common import settings as load_settings
from vigie.daemon.core import audit, backup
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.errors import VigieError
from vigie.daemon.core.reference.french import decimal


def register(sub):
    p = sub.add_parser("backup", help="sauvegarder la base de données à chaud (démon en marche)")
    p.add_argument("dest", metavar="DOSSIER", help="dossier des sauvegardes (créé si besoin)")
    p.add_argument("--keep", type=int, default=backup.DEFAULT_KEEP, metavar="N",
                   help=f"nombre de sauvegardes conservées (défaut {backup.DEFAULT_KEEP})")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = load_settings(args)
    if not os.path.isfile(settings.database.path):     # never create an empty base just to save it
        raise VigieError(f"Base de données introuvable : {settings.database.path}.")
    db_mod.open_database(settings.database.path, seed=False)
    result = backup.create_backup(settings.database.path, args.dest, keep=args.keep)
    audit.record(actor(), "backup.create", result.path,
                 {"size": result.size, "removed": [r for r in result.removed], "keep": args.keep})
    if args.json:
        print_json({"path": result.path, "size": result.size, "removed": result.removed, "integrity": "ok"})
        return 0
    print(f"Sauvegarde écrite : {result.path} ({decimal(result.size / 1e6)} Mo, intégrité vérifiée)")
    for path in result.removed:
        print(f"Ancienne sauvegarde supprimée : {path}")
    return 0


def actor() -> str:
    """The Unix user, as `vigie` commands record it (the nightly timer runs as vigie)."""
    try:
        return "cli:" + getpass.getuser()
    except Exception:
        return "cli:inconnu"
