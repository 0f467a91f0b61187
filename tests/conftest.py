"""Shared fixtures: a real SQLite file in tmp_path; area fixtures live in tests/fixtures_*.py."""

import glob
import os

import pytest

from vigie.daemon.core import db as db_mod

_here = os.path.dirname(__file__)
pytest_plugins = sorted(
    "tests." + os.path.basename(p)[:-3] for p in glob.glob(os.path.join(_here, "fixtures_*.py"))
)


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "vigie.db")


@pytest.fixture
def database(db_path):
    """The real schema on a real file, with the shipped reference data loaded."""
    db = db_mod.open_database(db_path)
    yield db
    db_mod.close_database()
