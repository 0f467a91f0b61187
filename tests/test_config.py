"""Settings: the file written by `vigie init` loads; every mistake is refused in French, by name."""

import os

import pytest

from tests.fixtures_daemon import vigie
from vigie.daemon.core import config
from vigie.daemon.core.errors import ConfigError


def test_init_writes_a_commented_file_that_loads_and_creates_the_database(tmp_path):
    path = tmp_path / "etc" / "vigie.toml"
    out = vigie(str(path), "init", "--db", str(tmp_path / "data" / "vigie.db"),
                "--port", "/dev/ttyAMA0", "--model", "sim7600")
    assert out.returncode == 0, out.stderr
    assert "Configuration écrite" in out.stdout and "Base de données prête" in out.stdout
    text = path.read_text(encoding="utf-8")
    assert text.count("#") > 20                                # commented for the technician
    s = config.load(str(path))
    assert s.modems[0].port == "/dev/ttyAMA0" and s.modems[0].model == "sim7600"
    assert not s.modems[0].flow_control and s.button.hold_seconds == 3
    assert os.path.exists(tmp_path / "data" / "vigie.db")
    again = vigie(str(path), "init")
    assert again.returncode == 0 and "conservée" in again.stdout
    assert path.read_text(encoding="utf-8") == text


def test_init_self_signed_makes_a_certificate_pair(tmp_path):
    path = tmp_path / "vigie.toml"
    out = vigie(str(path), "init", "--db", str(tmp_path / "v.db"), "--self-signed")
    assert out.returncode == 0, out.stderr
    s = config.load(str(path))
    assert open(s.web.certificate).read().startswith("-----BEGIN CERTIFICATE-----")
    assert oct(os.stat(s.web.key).st_mode & 0o777) == "0o600"


def test_where_the_file_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv("VIGIE_CONFIG", raising=False)
    assert config.resolve_path(None) == "/etc/vigientreprise/vigie.toml"
    monkeypatch.setenv("VIGIE_CONFIG", str(tmp_path / "env.toml"))
    assert config.resolve_path(None) == str(tmp_path / "env.toml")
    assert config.resolve_path("/x.toml") == "/x.toml"


def test_relative_database_path_is_relative_to_the_file(tmp_path):
    path = tmp_path / "vigie.toml"
    path.write_text('[database]\npath = "data/v.db"\n', encoding="utf-8")
    assert config.load(str(path)).database.path == str(tmp_path / "data" / "v.db")


@pytest.mark.parametrize("body, expected", [
    ("[database\npath = 1", "illisible"),
    ("[databse]\npath = 'x'", "Section inconnue « databse »"),
    ("[database]\nfile = 'x'", "clé inconnue « file »"),
    ("[web]\nport = 'huit'", "[web] port"),
    ("[web]\nport = 70000", "n'est pas un port valide"),
    ("[[modem]]\nport = '/dev/ttyS0'", "la clé « name » est obligatoire"),
    ("[[modem]]\nname = 'a'\nport = '/dev/ttyS0'\nmodel = 'sim900'", "modèle « sim900 » inconnu"),
    ("[[modem]]\nname = 'a'\nport = '/dev/ttyS0'\npin = '12'", "code PIN"),
    ("[[modem]]\nname = 'a'\nport = '/dev/x'\n[[modem]]\nname = 'a'\nport = '/dev/y'", "même nom"),
    ("[web]\ncertificate = '/c.pem'", "« certificate » et « key »"),
    ("[button]\nhold_seconds = true", "[button] hold_seconds"),
])
def test_bad_files_are_refused_in_french(tmp_path, body, expected):
    path = tmp_path / "vigie.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config.load(str(path))
    assert expected in str(e.value)


def test_missing_file_tells_how_to_create_it(tmp_path):
    out = vigie(str(tmp_path / "absent.toml"), "status")
    assert out.returncode == 1
    assert "introuvable" in out.stderr and "vigie init" in out.stderr
