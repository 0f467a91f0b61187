"""Another AT stack than python-gsmmodem on the simulator: gammu (Debian package ``gammu``; skipped without it)."""

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("gammu") is None, reason="gammu is not installed (apt-get install gammu)")


def gammu(sim, tmp_path, *args):
    rc = tmp_path / f"gammurc-{sim.name}"
    rc.write_text(f"[gammu]\ndevice = {sim.port}\nconnection = at115200\n"
                  f"logfile = {tmp_path / ('gammu-' + sim.name + '.log')}\nlogformat = textall\n")
    done = subprocess.run(["gammu", "-c", str(rc), *args], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout


def errors(sim, tmp_path):
    """Commands gammu sent that were answered with an error (from its log)."""
    lines = (tmp_path / f"gammu-{sim.name}.log").read_text(errors="replace").splitlines()
    return {prev[3:-1] for prev, line in zip(lines, lines[1:])
            if prev.startswith('1 "') and line.startswith('2 "') and "ERROR" in line}


@pytest.mark.parametrize("model", ["sim800", "sim7600"])
def test_gammu_identifies_reads_network_and_messages(make_sim, tmp_path, model):
    sim = make_sim(model)
    sim.inject_sms("+33612345678", "Bonjour de la gendarmerie", announce=False)
    rc, out = gammu(sim, tmp_path, "identify")
    assert rc == 0, out
    assert sim.profile.manufacturer in out and sim.imei in out and sim.imsi in out
    rc, out = gammu(sim, tmp_path, "networkinfo")
    assert rc == 0 and "208 01" in out and "LAC 2A1C" in out, out
    rc, out = gammu(sim, tmp_path, "getallsms")
    assert rc == 0 and "Bonjour de la gendarmerie" in out and '"+33612345678"' in out, out
    rc, out = gammu(sim, tmp_path, "getsecuritystatus")
    assert rc == 0 and "Nothing to enter" in out, out
    # only other brands' probes go unanswered (AT+MODE=2 is Motorola's: proves the log was read)
    unanswered = errors(sim, tmp_path)
    assert "AT+MODE=2" in unanswered
    assert unanswered <= {"AT+MODE=2", "AT+CPROT=?", "AT+SYNCML=?", "AT$TSSPCSW=?"}


def test_gammu_sends_with_a_report_and_reads_the_clock(make_sim, tmp_path):
    sim = make_sim("sim800")
    rc, out = gammu(sim, tmp_path, "sendsms", "TEXT", "+33612345678", "-text", "Alerte test", "-report")
    assert rc == 0, out
    assert sim.wait_air(1, 60) and sim.air()[0]["text"] == "Alerte test"
    rc, out = gammu(sim, tmp_path, "getdatetime")
    assert rc == 0 and "2004" in out, out                       # no network time before AT+CLTS=1


def test_gammu_sees_the_pin_then_the_puk(make_sim, tmp_path):
    sim = make_sim("sim800", pin="1234")
    rc, out = gammu(sim, tmp_path, "getsecuritystatus")
    assert rc == 0 and "PIN" in out, out
    sim.set_sim(tries=0)
    rc, out = gammu(sim, tmp_path, "getsecuritystatus")
    assert rc == 0 and "PUK" in out, out
