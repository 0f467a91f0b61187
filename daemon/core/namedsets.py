"""Rows that people name and pick by name: zones, sector groups, ready alerts (presets).

What they share is here once: the name (spaces folded, 80 characters at most, unique whatever the
case), finding by name or number, listing, creating, renaming and deleting with an audit entry,
and the French refusals. Each entity's module keeps only what is its own (communes, NAF codes,
text and targeting).
"""

import dataclasses

from vigie.daemon.core import audit
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import database

MAX_NAME = 80


@dataclasses.dataclass(frozen=True)
class Noun:
    """How the messages name the entity (French articles and agreement differ from one to another)."""
    title: str          # Zone
    the: str            # la zone
    of_the: str         # de la zone
    unknown: str        # Zone inconnue


def fold(name: str | None) -> str:
    """A name as stored: surrounding spaces dropped, inner runs of spaces made one."""
    return " ".join((name or "").split())


def clean_items(items, normalize, field: str, refusal: str = "{message}") -> list[str]:
    """What a set holds (communes, NAF codes), each normalised, in order, duplicates dropped.

    ``items`` is a list or a text separated by spaces or commas. ``normalize`` raises InvalidInput
    for a bad item; its message is passed on through ``refusal`` (which may name the ``item``),
    for ``field``."""
    if isinstance(items, str):
        items = items.replace(",", " ").split()
    result = []
    for item in items or []:
        item = str(item).strip()
        if not item:
            continue
        try:
            value = normalize(item)
        except InvalidInput as e:
            # a message that already names the item is passed on as it is (no « Code « X » : … « X » … »)
            told = e.message if f"« {item} »" in e.message else refusal.format(item=item, message=e.message)
            raise InvalidInput(told, field) from None
        if value not in result:
            result.append(value)
    return result


class NamedSet:
    def __init__(self, model, *, kind: str, noun: Noun):
        self.model = model
        self.kind = kind            # the audit actions: <kind>.add, <kind>.update, <kind>.delete
        self.noun = noun

    # --- names ---
    def clean_name(self, name: str | None) -> str:
        name = fold(name)
        if not name:
            raise InvalidInput(f"Le nom {self.noun.of_the} est obligatoire.", "name")
        if len(name) > MAX_NAME:
            raise InvalidInput(f"Le nom {self.noun.of_the} ne doit pas dépasser {MAX_NAME} caractères.",
                               "name")
        return name

    def free_name(self, name: str | None, row=None) -> str:
        """A clean name no other row than ``row`` carries."""
        name = self.clean_name(name)
        other = self.find(name)
        if other is not None and (row is None or other.id != row.id):
            the = self.noun.the
            raise InvalidInput(f"{the[0].upper()}{the[1:]} « {name} » existe déjà.", "name")
        return name

    # --- reading ---
    def find(self, name: str | None):
        """The row of that name, ignoring case and spacing; None when there is none."""
        key = fold(name).lower()
        for row in self.model.select():
            if row.name.lower() == key:
                return row
        return None

    def get(self, name: str):
        row = self.find(name)
        if row is None:
            raise NotFound(f"{self.noun.unknown} : « {name} ».")
        return row

    def get_by_id(self, row_id: int):
        row = self.model.get_or_none(self.model.id == row_id)
        if row is None:
            raise NotFound(f"{self.noun.title} n° {row_id} introuvable.")
        return row

    def list_all(self) -> list:
        return [*self.model.select().order_by(self.model.name)]

    # --- writing ---
    def create(self, name: str, *, actor: str, detail=None, count: int | None = None, then=None,
               **fields):
        """Insert a row named ``name`` with ``fields``; ``then(row)`` writes what hangs on it, in the
        same transaction as the row and its audit entry."""
        with database.atomic("IMMEDIATE"):
            row = self.model.create(name=self.free_name(name), **fields)
            if then is not None:
                then(row)
            audit.record(actor, f"{self.kind}.add", row.name, detail, count=count)
        return row

    def rename(self, row, new_name: str | None) -> None:
        """Give ``row`` a new name (not saved); nothing when ``new_name`` is None."""
        if new_name is not None:
            row.name = self.free_name(new_name, row)

    def record_update(self, actor: str, row, detail=None, count: int | None = None) -> None:
        audit.record(actor, f"{self.kind}.update", row.name, detail, count=count)

    def delete(self, name: str, actor: str) -> None:
        row = self.get(name)
        with database.atomic("IMMEDIATE"):
            row.delete_instance()
            audit.record(actor, f"{self.kind}.delete", row.name)
