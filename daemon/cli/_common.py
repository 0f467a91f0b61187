"""Helpers shared by the sub-commands: settings, database, JSON or text output."""

import datetime
import json
import sys

from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod


def settings(args):
    from vigie.daemon.core.reference import validate
    s = config_mod.load(getattr(args, "config", None))
    validate.allow_foreign_mobiles(s.daemon.allow_foreign_mobiles)
    return s


def open_db(args):
    """Load the settings and open the database they name; returns the settings."""
    s = settings(args)
    db_mod.open_database(s.database.path)
    return s


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def fmt_time(ts) -> str:
    """Local time for people; '—' when unknown."""
    if ts is None:
        return "—"
    return datetime.datetime.fromtimestamp(ts).strftime("%d/%m/%Y %H:%M:%S")


def iso_time(ts):
    """ISO 8601 UTC for the JSON outputs, None when unknown."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat(timespec="seconds")
