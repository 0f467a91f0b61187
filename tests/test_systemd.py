"""The systemd units: `systemd-analyze verify` accepts them, and they say what the box needs."""

import configparser
import os
import shutil
import subprocess

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
UNITS_DIR = os.path.join(ROOT, "systemd")
UNITS = ["vigientreprise.service", "vigientreprise-web.service", "vigientreprise-backup.service",
         "vigientreprise-backup.timer"]
VIGIE = "/opt/vigientreprise/bin/vigie"


def read_unit(name) -> dict:
    """Sections → key → list of values (systemd keys repeat)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None, delimiters=("=",),
                                          comment_prefixes=("#", ";"), dict_type=_MultiDict)
    parser.optionxform = str
    parser.read(os.path.join(UNITS_DIR, name), encoding="utf-8")
    return {s: {k: v.split("\n") for k, v in parser.items(s)} for s in parser.sections()}


class _MultiDict(dict):
    def __setitem__(self, key, value):
        if isinstance(value, list) and key in self:
            self[key].extend(value)
            return
        super().__setitem__(key, value)


def test_units_exist():
    assert sorted(os.listdir(UNITS_DIR)) == sorted(UNITS)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent (paquet systemd)")
def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    """Verified on copies whose ExecStart points at a stub `vigie` (verify wants an executable)."""
    stub = tmp_path / "opt" / "vigie"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for name in UNITS:
        with open(os.path.join(UNITS_DIR, name), encoding="utf-8") as f:
            text = f.read()
        assert VIGIE in text or name.endswith(".timer")
        (units / name).write_text(text.replace(VIGIE, str(stub)), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *[str(units / n) for n in UNITS]],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    # verify only warns (exit 0) on unknown keys or bad values: any message is a failure here
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", \
        result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent (paquet systemd)")
@pytest.mark.parametrize("unit", [u for u in UNITS if u.endswith(".service")])
def test_services_stay_well_sandboxed(tmp_path, unit):
    """`systemd-analyze security`: exposure at most 2.5 on its 0-10 scale (10 = no sandbox at all)."""
    with open(os.path.join(UNITS_DIR, unit), encoding="utf-8") as f:
        (tmp_path / unit).write_text(f.read(), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=25", str(tmp_path / unit)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "Overall exposure level" in result.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent (paquet systemd)")
def test_verify_is_able_to_fail(tmp_path):
    bad = tmp_path / "mauvais.service"
    with open(os.path.join(UNITS_DIR, "vigientreprise.service"), encoding="utf-8") as f:
        bad.write_text(f.read().replace("Type=notify", "Type=notifie"), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(bad)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode != 0 or result.stderr.strip()


def test_daemon_unit_is_a_sandboxed_watchdogged_notify_service():
    unit = read_unit("vigientreprise.service")
    s = unit["Service"]
    for key, value in {"Type": "notify", "NotifyAccess": "main", "WatchdogSec": "60", "Restart": "always",
                       "RestartSec": "2", "User": "vigie", "StateDirectory": "vigientreprise",
                       "RuntimeDirectory": "vigientreprise", "ProtectSystem": "strict",
                       "ReadWritePaths": "/var/lib/vigientreprise", "PrivateTmp": "yes",
                       "NoNewPrivileges": "yes", "ProtectHome": "yes", "DevicePolicy": "closed"}.items():
        assert s[key] == [value], key
    assert s["ExecStart"] == [f"{VIGIE} --config /etc/vigientreprise/vigie.toml run"]
    assert set(s["SupplementaryGroups"][0].split()) == {"dialout", "gpio"}
    devices = " ".join(s["DeviceAllow"])
    for device in ("ttyAMA", "ttyS", "ttyUSB", "ttyACM", "gpiochip"):
        assert f"char-{device} rw" in devices
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_web_unit_is_sandboxed_without_devices_nor_the_daemons_runtime_directory():
    s = read_unit("vigientreprise-web.service")["Service"]
    assert s["ExecStart"] == [f"{VIGIE} --config /etc/vigientreprise/vigie.toml web"]
    assert s["PrivateDevices"] == ["yes"] and s["ProtectSystem"] == ["strict"]
    assert "RuntimeDirectory" not in s        # stopping the console must not remove the control socket
    assert s["AmbientCapabilities"] == [""]   # CAP_NET_BIND_SERVICE only when the port is < 1024


def test_backup_timer_runs_nightly_and_catches_up():
    timer = read_unit("vigientreprise-backup.timer")["Timer"]
    assert timer["Persistent"] == ["true"] and timer["OnCalendar"][0].endswith("03:15:00")
    service = read_unit("vigientreprise-backup.service")["Service"]
    assert service["Type"] == ["oneshot"]
    assert service["ExecStart"] == [f"{VIGIE} --config /etc/vigientreprise/vigie.toml backup "
                                    "/var/lib/vigientreprise/backups --keep 14"]
