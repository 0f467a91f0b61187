"""A state column, its transition table and the compare-and-set that moves rows along it.

Messages (outbox.py) and alerts have one each. A move names the states it expects the rows to be
in; every one of them must allow the target state in the table, or nothing is written and
``IllegalTransition`` is raised. The UPDATE then touches only the rows still in those states, so
two writers (two modem workers, the daemon and the console) never both move the same row.
"""

import enum
import time

import peewee as pw


class LabelledState(str, enum.Enum):
    """A state stored as its value, with its French label beside it: ``QUEUED = "queued", "en attente"``."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class IllegalTransition(RuntimeError):
    """A move the transition table does not allow (a programming error, not bad input)."""


class Lifecycle:
    def __init__(self, column: pw.Field, transitions: dict, *, final=frozenset(), finished: str = ""):
        self.column = column
        self.model = column.model
        self.transitions = transitions
        self.final = frozenset(final)
        self.finished = finished      # the timestamp column set on reaching a final state

    def check(self, to: enum.Enum, expected) -> tuple:
        """The expected states as a tuple, once the table allows each of them to reach ``to``."""
        expected = (expected,) if isinstance(expected, enum.Enum) else tuple(expected)
        if not expected:
            raise IllegalTransition(f"aucun état de départ vers {to.value}")
        for state in expected:
            if to not in self.transitions[state]:
                raise IllegalTransition(f"{self.model.__name__} : {state.value} → {to.value}")
        return expected

    def move(self, to: enum.Enum, expected, where=None, **fields) -> int:
        """Move the rows matching ``where`` that are in an ``expected`` state to ``to``; returns how many."""
        expected = self.check(to, expected)
        fields[self.column.name] = to.value
        if "changed_at" in self.model._meta.fields:       # readers fetch only the rows changed since they looked
            fields.setdefault("changed_at", time.time())
        if to in self.final and self.finished:
            fields.setdefault(self.finished, time.time())
        condition = self.column.in_([s.value for s in expected])
        if where is not None:
            condition = condition & where
        return self.model.update(**fields).where(condition).execute()
