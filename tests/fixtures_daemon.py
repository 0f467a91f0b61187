"""Fixtures to run the sending daemon in-process (or as a `vigie run` process) on simulated modems."""

import contextlib
import subprocess
import sys
import threading
import time

import pytest

from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll a condition on the database (another process or thread changes it) until true."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


def daemon_settings(tmp_path, sims, models=None, **daemon):
    """Settings for a daemon on the given simulated modems, tuned for fast tests."""
    values = dict(retry_base_seconds=0.2, retry_max_seconds=1.0, send_timeout_seconds=3.0,
                  poll_interval_seconds=0.05, health_interval_seconds=0.5, reconnect_max_seconds=1.0,
                  control_socket=str(tmp_path / "control.sock"))
    values.update(daemon)
    data = {
        "database": {"path": str(tmp_path / "vigie.db")},
        "modem": [{"name": sim.name, "port": sim.port, "model": (models or {}).get(sim.name, sim.model)}
                  for sim in sims],
        "daemon": values,
        "button": {"enabled": False},
    }
    return config_mod.parse(data)


def write_config(tmp_path, sims, **daemon) -> str:
    """The same settings as a TOML file, for `vigie` subprocesses."""
    s = daemon_settings(tmp_path, sims, **daemon)
    lines = [f'[database]\npath = "{s.database.path}"\n']
    for m in s.modems:
        lines.append(f'[[modem]]\nname = "{m.name}"\nport = "{m.port}"\nmodel = "{m.model}"\n')
    lines.append("[daemon]\n" + "".join(
        f"{k} = {v!r}\n".replace("'", '"') for k, v in
        [("retry_base_seconds", s.daemon.retry_base_seconds), ("retry_max_seconds", s.daemon.retry_max_seconds),
         ("send_timeout_seconds", s.daemon.send_timeout_seconds),
         ("poll_interval_seconds", s.daemon.poll_interval_seconds),
         ("health_interval_seconds", s.daemon.health_interval_seconds),
         ("reconnect_max_seconds", s.daemon.reconnect_max_seconds),
         ("control_socket", s.daemon.control_socket)]))
    lines.append("[button]\nenabled = false\n")
    path = tmp_path / "vigie.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


@contextlib.contextmanager
def running_daemon(settings):
    """The real Daemon, in this process: workers, housekeeping loop, control socket."""
    from vigie.daemon.box.service import Daemon
    daemon = Daemon(settings)
    daemon.start()
    loop = threading.Thread(target=daemon.loop, name="daemon-loop", daemon=True)
    loop.start()
    try:
        yield daemon
    finally:
        daemon.stop.set()
        loop.join(timeout=30)


def vigie_process(config_path, *args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vigie.daemon.cli", "--config", config_path, *args],
                            stdout=kw.pop("stdout", subprocess.DEVNULL),
                            stderr=kw.pop("stderr", subprocess.DEVNULL), **kw)


def vigie(config_path, *args, input=None, check=False) -> subprocess.CompletedProcess:
    """Run one `vigie` command on a configuration file, as a person would; output captured."""
    return subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", str(config_path), *args],
                          capture_output=True, text=True, input=input, check=check, timeout=120)


@pytest.fixture
def sims(tmp_path):
    """Start simulated modems on demand: sims("sim0", model="sim800", ...); all stopped after."""
    from vigie.daemon.simulator import SimulatedModem
    started = []

    def start(name="sim0", **kw):
        kw.setdefault("model", "sim800")
        kw.setdefault("urc_guard", 0.0)     # unsolicited lines may land in the middle of commands
        sim = SimulatedModem(name=name, link=str(tmp_path / name), air_log=str(tmp_path / f"{name}.air.jsonl"),
                             **kw)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
    db_mod.close_database()
