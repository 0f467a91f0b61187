"""Fixtures for the domain: settings on a config file, an in-process `vigie`, a generated population."""

import dataclasses
import random

import pytest

from vigie.daemon.core import config as config_mod

# NAF sub-classes used by the generated population, with how often they appear.
POPULATION_NAF = ["47.77Z", "47.26Z", "47.73Z", "01.11Z", "01.41Z", "01.50Z", "43.21A", "41.20A",
                  "45.20A", "45.20B", "47.30Z", "47.11B", "56.10A", "62.01Z", "10.71C", "47.71Z"]


def luhn_complete(prefix: str) -> str:
    """``prefix`` followed by the digit that makes the whole pass the Luhn check."""
    for last in "0123456789":
        total = 0
        for i, c in enumerate(reversed(prefix + last)):
            d = int(c) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return prefix + last
    raise AssertionError("unreachable")


def make_siret(n: int) -> str:
    """A valid, fictitious SIRET for index ``n`` (Luhn-valid SIREN and SIRET)."""
    siren = luhn_complete(f"{80000000 + n:08d}")
    return luhn_complete(siren + "0001")


def mobile(n: int) -> str:
    """A valid French mobile in E.164 for index ``n`` (the 06 00 fictional block)."""
    return f"+3360{n:07d}"


def national(phone: str) -> str:
    digits = "0" + phone[3:]
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


@pytest.fixture
def domain_config(tmp_path, db_path):
    """A real configuration file next to the test database; returns its path."""
    path = tmp_path / "vigie.toml"
    path.write_text(config_mod.default_file(db_path=db_path, modem_port=str(tmp_path / "modem"),
                                            control_socket=str(tmp_path / "control.sock")),
                    encoding="utf-8")
    return str(path)


@pytest.fixture
def domain_settings(domain_config, database):
    return config_mod.load(domain_config)


@pytest.fixture
def two_modem_settings(domain_settings):
    return dataclasses.replace(domain_settings, modems=domain_settings.modems * 2)


@pytest.fixture
def vigie_cli(domain_config, database, capsys):
    """Run `vigie --config <test config> ARGS...` in-process; returns (exit code, stdout, stderr)."""
    from vigie.daemon import cli

    def run(*args):
        capsys.readouterr()
        try:
            rc = cli.main(["--config", domain_config, *[str(a) for a in args]])
        except SystemExit as e:          # argparse refusals
            rc = e.code
        out, err = capsys.readouterr()
        return rc, out, err
    return run


@dataclasses.dataclass
class Population:
    """What the generated population holds, to compute expected answers independently."""
    members: list[dict]          # id, siret, naf, commune, status, phones
    shared_phone: str
    communes: dict               # insee -> (lat, lon)


def _build_population() -> Population:
    """Insert the population in the open database (deterministic: the same every time)."""
    from vigie.daemon.core.models import Commune, Contact, Member
    from vigie.daemon.core.models import database as db

    rng = random.Random(61)
    communes = {c.insee: (c.latitude, c.longitude) for c in Commune.select()}
    codes = sorted(communes)
    rows, contacts, info = [], [], []
    shared = mobile(9_999_999)
    phone_n = 0
    for n in range(3000):
        status = "active"
        if n % 50 == 7:
            status = "suspended"
        elif n % 50 == 13:
            status = "left"
        record = {"id": n + 1, "siret": make_siret(n), "name": f"Établissement {n:04d}",
                  "naf": POPULATION_NAF[n % len(POPULATION_NAF)] if n % 7 else rng.choice(POPULATION_NAF),
                  "commune": codes[n % len(codes)] if n < len(codes) else rng.choice(codes), "status": status}
        phones = []
        for _ in range(1 + (n % 3 == 0)):
            phone_n += 1
            phones.append(mobile(phone_n))
        if n % 400 == 5:                 # a few members share one phone (a manager of several shops)
            phones.append(shared)
        rows.append(record)
        info.append(dict(record, phones=phones))
        contacts.extend({"member": n + 1, "phone": p, "position": i} for i, p in enumerate(phones))
    with db.atomic():
        for start in range(0, len(rows), 300):
            Member.insert_many(rows[start:start + 300]).execute()
        for start in range(0, len(contacts), 300):
            Contact.insert_many(contacts[start:start + 300]).execute()
    return Population(members=info, shared_phone=shared, communes=communes)


@pytest.fixture(scope="session")
def _population_template(tmp_path_factory):
    """Built once per session into a file; each test gets its own copy."""
    from vigie.daemon.core import db as db_mod
    path = str(tmp_path_factory.mktemp("population") / "template.db")
    db = db_mod.open_database(path)
    pop = _build_population()
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db_mod.close_database()
    return path, pop


@pytest.fixture
def population(database, db_path, _population_template):
    """About 3000 members over every Orne commune; a few suspended, left, sharing a phone."""
    import copy
    import os
    import shutil

    from vigie.daemon.core import db as db_mod
    template, pop = _population_template
    db_mod.close_database()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    shutil.copyfile(template, db_path)
    db_mod.open_database(db_path)
    return copy.deepcopy(pop)
