"""What `vigie zone`, `vigie sector` and `vigie preset` share: sub-commands that name a set, and
one or all sets printed as text or JSON."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.cli._targeting import actor
from vigie.daemon.core.reference.french import plural


def action(sub, name: str, help: str, func, *, named: bool = True, json: bool = False):
    """A sub-command; ``named``: it takes the set's name (NOM); ``json``: it can answer in JSON."""
    p = sub.add_parser(name, help=help)
    if named:
        p.add_argument("name", metavar="NOM")
    if json:
        p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=func)
    return p


def list_command(module, payload, line, total: tuple[str, str]):
    """`list`: every set as JSON (``payload(row)``), or one ``line(payload)`` each, then the count
    (``total``: the noun, singular and plural)."""
    def run(args) -> int:
        open_db(args)
        rows = [payload(row) for row in module.list_all()]
        if args.json:
            print_json(rows)
            return 0
        for row in rows:
            print(line(row))
        print(f"{plural(len(rows), *total)}.")
        return 0
    return run


def show_command(module, payload, lines):
    """`show NOM`: the set as JSON, or the ``lines(payload)`` that describe it."""
    def run(args) -> int:
        open_db(args)
        row = payload(module.get(args.name))
        if args.json:
            print_json(row)
            return 0
        for text in lines(row):
            print(text)
        return 0
    return run


def delete_command(module, done: str):
    """`delete NOM`: ``done`` (with {name}) is printed once the set is gone."""
    def run(args) -> int:
        open_db(args)
        row = module.get(args.name)
        module.delete(row.name, actor())
        print(done.format(name=row.name))
        return 0
    return run
