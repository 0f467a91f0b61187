"""`vigie kannel config`: the kannel.conf of the configured route, as a technician gets it."""

import os
import subprocess

import pytest

from tests.fixtures_daemon import vigie
from tests.fixtures_kannel import BEARERBOX, free_port, wait_until

CONFIG = """\
[database]
path = "{db}"
[daemon]
callback_listen = "127.0.0.1:{callback}"
callback_secret = "0123456789abcdef-secret"
[[kannel]]
name = "orange"
sendsms_url = "http://127.0.0.1:{sendsms}/cgi-bin/sendsms"
username = "box"
password = "b0x"
sender = "GEND61"
smsc = "orange"
max_per_second = 40
admin_url = "http://127.0.0.1:{admin}"
admin_password = "adm1n"
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "vigie.toml"
    path.write_text(CONFIG.format(db=tmp_path / "vigie.db", callback=free_port(), sendsms=free_port(),
                                  admin=free_port()))
    return path


def test_config_prints_a_complete_kannel_conf(config):
    done = vigie(config, "kannel", "config", "--smpp-host", "smpp.orange.example", "--smpp-port", "2776",
                 "--system-id", "VIGIE61", "--smpp-password", 'p"ss', "--system-type", "VMA")
    assert done.returncode == 0, done.stderr
    conf = done.stdout
    for group in ("core", "smsc", "smsbox", "sendsms-user", "sms-service"):
        assert f"\ngroup = {group}\n" in conf
    for line in ('host = "smpp.orange.example"', "port = 2776", 'smsc-username = "VIGIE61"',
                 'smsc-password = "p\\"ss"', 'system-type = "VMA"', "throughput = 40", 'smsc-id = "orange"',
                 "transceiver-mode = true", 'admin-password = "adm1n"', 'username = "box"',
                 'default-sender = "GEND61"', "store-type = file", "dlr-storage = spool", "max-messages = 0"):
        assert f"\n{line}\n" in conf, line
    assert "secret=0123456789abcdef-secret&from=%p" in conf
    assert "Attention" not in done.stderr


def test_config_refuses_what_it_cannot_write(config, tmp_path):
    missing = vigie(config, "kannel", "config", "--route", "sfr")
    assert missing.returncode == 2 and "route « sfr » inconnue (routes : orange)" in missing.stderr
    empty = tmp_path / "vide.toml"
    empty.write_text(f'[database]\npath = "{tmp_path / "v.db"}"\n')
    none = vigie(empty, "kannel", "config")
    assert none.returncode == 1 and "Aucune route [[kannel]]" in none.stderr
    secretless = tmp_path / "sans-secret.toml"
    secretless.write_text(config.read_text().replace('callback_secret = "0123456789abcdef-secret"\n', ""))
    refused = vigie(secretless, "kannel", "config")
    assert refused.returncode == 1 and "[daemon] callback_secret est vide" in refused.stderr
    incomplete = vigie(config, "kannel", "config")
    assert incomplete.returncode == 0 and "compte SMPP incomplet" in incomplete.stderr


@pytest.mark.skipif(not os.access(BEARERBOX, os.X_OK), reason="Kannel absent (/usr/sbin/bearerbox)")
def test_bearerbox_accepts_the_written_file(config, tmp_path, smsc):
    path = tmp_path / "kannel.conf"
    done = vigie(config, "kannel", "config", "--smpp-host", "127.0.0.1", "--smpp-port", str(smsc.port),
                 "--system-id", "vigie-a2p", "--smpp-password", "s3cret", "--system-type", "VMA",
                 "--log-dir", str(tmp_path / "log"), "--spool-dir", str(tmp_path / "spool"),
                 "--output", str(path))
    assert done.returncode == 0, done.stderr
    (tmp_path / "log").mkdir()
    (tmp_path / "spool" / "dlr").mkdir(parents=True)
    proc = subprocess.Popen([BEARERBOX, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        assert smsc.wait_bound(1, timeout=30)        # read the file, bound to the SMSC with its account
        assert wait_until(lambda: smsc.events("bind")[-1]["system_type"] == "VMA", 5)
    finally:
        proc.terminate()
        proc.wait(20)
