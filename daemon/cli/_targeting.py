"""Targeting options shared by `vigie alert send` and `vigie preset add`."""

import getpass

from vigie.daemon.core.targeting import Targeting


def add_targeting_arguments(parser) -> None:
    g = parser.add_argument_group("ciblage")
    g.add_argument("--sector", action="append", default=[], metavar="CODE_OU_GROUPE",
                   help="code NAF rév. 2 ou NAF 2025 à tout niveau (47.77Z, 47.77Y ; un code ambigu se "
                        "précise : rev2:47, 2025:47) ou groupe de secteurs ; répétable")
    g.add_argument("--include-multiple", action="store_true",
                   help="inclure les adhérents atteints par un lien « Multiple » de la correspondance "
                        "NAF rév. 2 ↔ NAF 2025 (listés par --dry-run)")
    g.add_argument("--commune", action="append", default=[], metavar="INSEE",
                   help="code INSEE d'une commune ; répétable")
    g.add_argument("--zone", action="append", default=[], metavar="NOM", help="nom d'une zone ; répétable")
    g.add_argument("--around", metavar="INSEE", help="commune centre d'un rayon")
    g.add_argument("--radius-km", type=_km, metavar="KM", help="rayon autour de la commune centre, en km")
    g.add_argument("--member", action="append", default=[], metavar="SIRET",
                   help="adhérent choisi par son SIRET ; répétable")
    g.add_argument("--all", action="store_true", help="tous les adhérents actifs")
    g.add_argument("--test-group", action="store_true",
                   help="les adhérents du groupe de test (pour les exercices)")


def _km(text: str) -> float:
    import argparse
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"rayon invalide : « {text} » (nombre de kilomètres attendu)") from None


def targeting_from_args(args) -> Targeting:
    """The Targeting the options describe (not yet validated)."""
    return Targeting(sectors=list(args.sector or []), communes=list(args.commune or []),
                     zones=list(args.zone or []), around=args.around or None, radius_km=args.radius_km,
                     members=list(args.member or []), all=bool(args.all),
                     test_group=bool(getattr(args, "test_group", False)),
                     include_multiple=bool(getattr(args, "include_multiple", False)))


def actor() -> str:
    """Who is acting from the command line: the Unix user."""
    try:
        return "cli:" + getpass.getuser()
    except Exception:
        return "cli:inconnu"
