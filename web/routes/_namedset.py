"""What the console's pages of named sets (zones, sector groups, presets) share: a form saved or
shown again with its refusal, and a deletion behind a confirmation box."""

from vigie.daemon.core.errors import InvalidInput

from .. import auth
from ..render import flash, form, see_other


def actor() -> str:
    return auth.current_user().username


def save(write, redisplay, done: str, to: str):
    """``write()`` the set; refused, ``redisplay(error)`` shows the form again as it was typed;
    saved, ``done`` (with {name}) is flashed and the browser goes to ``to``."""
    try:
        row = write()
    except InvalidInput as e:
        return redisplay(e)
    flash(done.format(name=row.name))
    see_other(to)


def delete(row, module, redisplay, to: str, *, what: str, done: str):
    """Delete ``row`` once the box is ticked; else ``redisplay(message)`` asks for it.

    ``what`` names the set in that message (« la zone »)."""
    if form("confirm") != "oui":
        return redisplay(f"Cochez la case de confirmation pour supprimer {what}.")
    module.delete(row.name, actor())
    flash(done.format(name=row.name))
    see_other(to)
