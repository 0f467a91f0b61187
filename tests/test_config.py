"""Settings: the file written by `vigie init` loads; every mistake is refused in French, by name."""

import os
import tomllib

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


@pytest.mark.parametrize("body, expected", [
    ("[daemon]\nsend_timeout_seconds = 0", "[daemon] send_timeout_seconds = 0 : doit être au moins 1."),
    ("[daemon]\npoll_interval_seconds = -1", "[daemon] poll_interval_seconds = -1 : doit être au moins 0,01."),
    ("[button]\nhold_seconds = 0", "[button] hold_seconds = 0 : doit être au moins 0,1."),
    ("[button]\npin = -3", "[button] pin = -3 : doit être au moins 0."),
    ("[button]\npin = 40", "[button] pin = 40 : doit être au plus 27."),
    ("[button]\nled_pin = 17", "[button] led_pin = 17 : broche déjà prise par « pin »."),
    ("[database]\nretention_days = 0", "[database] retention_days = 0 : doit être au moins 1."),
    ("[alerts]\nseconds_per_sms = -2", "[alerts] seconds_per_sms = -2 : doit être au moins 0,1."),
    ("[alerts]\nmax_parts = 0", "[alerts] max_parts = 0 : doit être au moins 1."),
    ("[daemon]\nmax_attempts = 0", "[daemon] max_attempts = 0 : doit être au moins 1."),
    ("[daemon]\nretry_base_seconds = 60\nretry_max_seconds = 30", "doit être au moins retry_base_seconds (60)"),
    ("[daemon]\nsend_timeout_seconds = nan", "[daemon] send_timeout_seconds = nan : il faut un nombre fini."),
    ("[daemon]\ncallback_listen = '13080'", "[daemon] callback_listen = \"13080\" : il faut une adresse"),
    ("[web]\nsession_idle_minutes = 0", "[web] session_idle_minutes = 0 : doit être au moins 1."),
    ("[web]\nhost = ''", "[web] host = \"\" : ne doit pas être vide."),
    ("[[modem]]\nname = 'hat'\nport = '/dev/x'\nbaudrate = 0",
     "[[modem]] baudrate = 0 (« hat ») : doit être au moins 1200."),
    ("[[kannel]]\nname = 'op'\nsendsms_url = 'ftp://x'\nusername = 'u'\npassword = 'p'",
     "[[kannel]] sendsms_url = \"ftp://x\" (« op ») : il faut une adresse http:// ou https://."),
    ("[[kannel]]\nname = 'op'\nsendsms_url = 'http://k:13013/cgi-bin/sendsms'\nusername = 'u'\n",
     "[[kannel]] « op » : la clé « password » est obligatoire."),
    ("[[kannel]]\nname = 'op'\nsendsms_url = 'http://k/s'\nusername = 'u'\npassword = 'p'\n"
     "sender = 'GENDARMERIE61'", "[[kannel]] sender = \"GENDARMERIE61\" (« op ») : doit être un nom de 11"),
    ("[[modem]]\nname = 'a'\nport = '/dev/x'\n[[kannel]]\nname = 'a'\nsendsms_url = 'http://k/s'\n"
     "username = 'u'\npassword = 'p'", "portent le même nom « a »"),
])
def test_values_out_of_bounds_are_refused_naming_section_and_key(tmp_path, body, expected):
    path = tmp_path / "vigie.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config.load(str(path))
    assert expected in str(e.value)


def test_bounds_accept_their_limits_and_the_test_suite_s_fast_values():
    s = config.parse({"daemon": {"send_timeout_seconds": 1, "poll_interval_seconds": 0.01,
                                 "retry_base_seconds": 0.2, "retry_max_seconds": 1.0},
                      "button": {"pin": 0, "led_pin": 27, "hold_seconds": 0.1, "bounce_seconds": 0},
                      "database": {"retention_days": 1}, "alerts": {"seconds_per_sms": 0.1}})
    assert s.daemon.send_timeout_seconds == 1.0 and isinstance(s.daemon.send_timeout_seconds, float)
    assert s.button.pin == 0 and s.button.bounce_seconds == 0.0 and s.database.retention_days == 1


def test_every_key_of_the_schema_is_in_the_file_init_writes_with_its_default():
    """The commented file is generated from the schema: every key, its default, its French help."""
    text = config.default_file()
    for table in config.TABLES.values():
        assert table.header in text
        for key in table.keys:
            assert f"{key.name} = " in text, (table.name, key.name)
    written = config.parse(tomllib.loads(text))
    assert written.daemon == config.DaemonSettings()            # every default as declared
    assert written.button == config.ButtonSettings() and written.alerts == config.AlertSettings()
    assert written.web.host == "0.0.0.0" and written.modems[0].model == "sim800"
    assert written.kannels == ()                               # the operator route is an example
    assert "send_timeout_seconds = 40" in text and "Nombre de 1 à 600." in text


def test_the_commented_kannel_example_loads_once_uncommented():
    text = config.default_file()
    start = text.index("# [[kannel]]")
    block = "\n".join(line.removeprefix("# ") for line in text[start:].splitlines()
                      if line.startswith("# ") and " = " in line or line == "# [[kannel]]")
    s = config.parse(tomllib.loads(block))
    route = s.kannels[0]
    assert (route.name, route.sender, route.max_per_second) == ("operateur", "GEND61", 10.0)
    assert s.daemon.callback_listen == "127.0.0.1:13080"


def test_readme_table_is_generated_from_the_schema():
    """docs/readme-config.md holds the table the README shows; regenerate it with
    ``python -m vigie.daemon.core.config readme``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "readme-config.md"), encoding="utf-8") as f:
        doc = f.read()
    assert config.markdown_table() in doc
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    if config.README_MARKER not in readme:
        pytest.skip("README.md n'a pas encore reçu la table de docs/readme-config.md")
    assert config.markdown_table() in readme


def test_a_transport_declares_its_own_table_without_core_importing_it():
    table = config.register_table(config.Table("essai", repeated=True, keys=[
        config.Key("name", config.Text(nonempty=True)),
        config.Key("rate", config.Integer(minimum=1, maximum=5), 2, "débit"),
    ]))
    try:
        s = config.parse({"essai": [{"name": "x", "rate": 3}]})
        assert s.essais[0].rate == 3 and config.Settings().essais == ()
        with pytest.raises(ConfigError, match=r"\[\[essai\]\] rate = 9 \(« x »\) : doit être au plus 5\."):
            config.parse({"essai": [{"name": "x", "rate": 9}]})
        cls = config.extend_table("essai", config.Key("burst", config.Integer(minimum=0), 0, "rafale"))
        assert cls(name="y").burst == 0 and config.parse({"essai": {"name": "y", "burst": 4}}).essais[0].burst == 4
        assert "| `[[essai]]` | `name` |" in config.markdown_table()
    finally:
        config.TABLES.pop(table.name)
