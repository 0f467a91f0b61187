"""Fixtures for the box: gpiozero mock pins, a panic preset with members, a running PanicController."""

import dataclasses

import pytest

from vigie.daemon.core import config as config_mod

PANIC_TEXT = "Gendarmerie : cambriolages en cours dans le secteur, fermez et signalez tout fait suspect au 17."


def valid_siret(n: int) -> str:
    """A SIRET (valid SIREN and SIRET keys) for test member number ``n``."""
    from stdnum import luhn
    siren = "73282" + f"{n:03d}"
    siren += luhn.calc_check_digit(siren)
    siret = siren + f"{n % 1000:04d}"
    return siret + luhn.calc_check_digit(siret)


@pytest.fixture
def mock_factory():
    """A fresh gpiozero MockFactory: its pins are the simulated header."""
    from gpiozero.pins.mock import MockFactory
    factory = MockFactory()
    yield factory
    factory.reset()


def box_settings(tmp_path, **button):
    values = dict(pin=17, led_pin=27, hold_seconds=0.2, cooldown_seconds=60.0, bounce_seconds=0.02,
                  preset="panique", simulate=True)
    values.update(button)
    return config_mod.parse({
        "database": {"path": str(tmp_path / "vigie.db")},
        "daemon": {"control_socket": str(tmp_path / "control.sock")},
        "button": values,
    })


def add_members(count: int = 3, start: int = 0):
    """Active members in Alençon with one mobile each; returns their phones."""
    from vigie.daemon.core import members
    phones = []
    for i in range(start, start + count):
        phone = f"+3361234{i:04d}"
        members.add(siret=valid_siret(i), name=f"Commerce {i}", naf="47.77Z",
                    commune="61001", phones=[phone], actor="test")
        phones.append(phone)
    return phones


@pytest.fixture
def panic_preset(database):
    """The "panique" preset, reaching every active member (three of them)."""
    from vigie.daemon.core import presets
    from vigie.daemon.core.targeting import Targeting
    phones = add_members(3)
    presets.create("panique", PANIC_TEXT, Targeting(all=True), actor="test")
    return phones


@pytest.fixture
def panic_controller(tmp_path, database, mock_factory):
    """Start PanicControllers on the mock pins: panic_controller(**button settings); closed after."""
    from vigie.daemon.box.panic import PanicController
    started = []

    def start(settings=None, **kw):
        button = {k: kw.pop(k) for k in list(kw) if k in {f.name for f in dataclasses.fields(config_mod.ButtonSettings)}}
        settings = settings or box_settings(tmp_path, **button)
        kw.setdefault("poll_seconds", 0.05)
        controller = PanicController(settings, mock_factory, **kw)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.close()


class FakeClock:
    """A monotonic clock the test moves forward by hand (for the cooldown)."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock():
    return FakeClock()

