"""What `vigie zone`, `vigie sector` and `vigie preset` share: sub-commands that name a set, and
one or all sets printed as text or JSON."""

from vigie.daemon.cli._common import open_db, print_json
from vigie.daemon.cli._targeting import actor


def action(sub, name: str, help: str, func, *, named: bool = True, json: bool = False):
    """A sub-command; ``named``: it takes the set's name (NOM); ``json``: it can answer in JSON."""
    p = sub.add_parser(name, help=help)
    if named:
        p.add_argument("name", metavar="NOM")
    if json:
        p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=func)
    return p


def print_all(args, rows: list[dict], line, total: str) -> int:
    """`list`: the rows as JSON, or one ``line(row)`` each and then ``total`` (with {n})."""
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(line(row))
    print(total.format(n=len(rows)))
    return 0


def print_one(args, row: dict, lines) -> int:
    """`show`: the row as JSON, or the ``lines(row)`` that describe it."""
    if args.json:
        print_json(row)
        return 0
    for text in lines(row):
        print(text)
    return 0


def run_delete(args, module, done: str) -> int:
    """`delete`: ``done`` (with {name}) is what is printed once the set is gone."""
    open_db(args)
    row = module.get(args.name)
    module.delete(row.name, actor())
    print(done.format(name=row.name))
    return 0
