"""The operator route: `vigie run` sending through a real Kannel (bearerbox + smsbox, Debian's package) to the
simulated SMSC speaking SMPP 3.4, which accepts ``rate`` submissions per second (ESME_RTHROTTLED beyond).

operator_route_overhead_ratio = (last part accepted by the SMSC - alert created) / (recipients / rate): how
much the box and Kannel add to what the operator's account allows (goal <= 1.05).
panic_to_first_submit_s: a panic-priority message queued behind a running broadcast, until the SMSC has it.
"""

import os
import random
import time

import data
from common import percentile, start_vigie, stop_process, wait_until

from vigie.daemon.core import alerts, config, outbox
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import TransportStatus
from vigie.daemon.core.targeting import Targeting
from vigie.daemon.simulator.smsc import SimulatedSMSC
from vigie.daemon.transport.kannel import conf as kconf
from vigie.daemon.transport.kannel.processes import KannelProcesses, free_port, installed

TEXT = "Gendarmerie : cambriolages de commerces cette nuit. Verifiez vos fermetures, signalez tout suspect au 17."
PANIC_TEXT = "ALERTE GENDARMERIE : intervention en cours, restez a l'abri."
SECRET = "bench-callback-secret-0123"


def _route(path: str, rate: float):
    smsc = SimulatedSMSC(name="operateur", accounts={"bench": "bench-pw"},
                         air_log=os.path.join(path, "air-smsc.jsonl"), throttle_per_second=int(rate)).start()
    callback = free_port()
    conf = kconf.KannelConf(smpp_host="127.0.0.1", smpp_port=smsc.port, system_id="bench", smpp_password="bench-pw",
                            throughput=rate, admin_port=free_port(), admin_password="bench-admin",
                            smsbox_port=free_port(), sendsms_port=free_port(), username="vigie", password="vigie-pw",
                            sender="GEND61", callback_listen=f"127.0.0.1:{callback}", callback_secret=SECRET,
                            log_dir=os.path.join(path, "kannel-log"), spool_dir=os.path.join(path, "kannel-spool"),
                            log_level=2)
    kannel = KannelProcesses(path, conf)
    try:
        kannel.start()
    except Exception:
        smsc.stop()
        raise
    return smsc, kannel


def _config(path: str, db_path: str, kannel: KannelProcesses, rate: float) -> str:
    c = kannel.conf
    text = f"""[database]
path = "{db_path}"

[daemon]
control_socket = "{os.path.join(path, 'control.sock')}"
callback_listen = "{c.callback_listen}"
callback_secret = "{c.callback_secret}"

[[kannel]]
name = "operateur"
sendsms_url = "http://127.0.0.1:{c.sendsms_port}/cgi-bin/sendsms"
username = "{c.username}"
password = "{c.password}"
sender = "{c.sender}"
smsc = "{c.smsc_id}"
max_per_second = {rate:g}
admin_url = "http://127.0.0.1:{c.admin_port}"
admin_password = "{c.admin_password}"

[button]
enabled = false
"""
    config_path = os.path.join(path, "vigie.toml")
    with open(config_path, "w", encoding="utf-8") as f:
        f.write(text)
    return config_path


def run(figures, workdir: str, recipients: int = 5000, rate: float = 50.0, panics: int = 20) -> None:
    if not installed():
        figures.note("operator route: skipped, Kannel is not installed (apt-get install kannel)")
        return
    path = os.path.join(workdir, "operator")
    os.makedirs(path, exist_ok=True)
    db_path = os.path.join(path, "vigie.db")
    db_mod.close_database()
    db_mod.open_database(db_path)
    data.populate(recipients)
    smsc, kannel = _route(path, rate)
    proc = start_vigie(_config(path, db_path, kannel, rate), "run", log_path=os.path.join(path, "daemon.log"))
    try:
        if not wait_until(lambda: (TransportStatus.get_or_none(TransportStatus.name == "operateur") or
                                   TransportStatus(state="")).state == "ready", 60):
            raise RuntimeError(f"operator route not ready; see {path}/daemon.log")
        alert = alerts.create(TEXT, Targeting(all=True), settings=config.parse({}), author="bench", source="cli")
        if not smsc.wait_air(recipients, recipients / rate * 3 + 60):
            raise RuntimeError(f"broadcast incomplete: {len(smsc.air())}/{recipients} at the SMSC")
        last = max(a["time"] for a in smsc.air())
        ratio = (last - alert.created_at) / (recipients / rate)
        throttled = len(smsc.events("submit_refused"))
        reports = wait_until(lambda: outbox.counts(alert.id)["delivered"] == recipients, 120)
        delivered = outbox.counts(alert.id)["delivered"]
        # panic behind a running broadcast
        bulk = alerts.create(TEXT, Targeting(all=True), settings=config.parse({}), author="bench", source="cli")
        smsc.wait_air(recipients + 20, 60)
        rng = random.Random(8)
        delays = []
        for i in range(panics):
            time.sleep(rng.uniform(0.0, 2.0 / rate))
            phone = f"+3370000{i:04d}"
            queued_at = time.time()
            outbox.enqueue(phone, PANIC_TEXT, priority=outbox.PRIORITY_PANIC)
            if not smsc.store.wait_for(lambda p=phone: any(a["phone"] == p for a in smsc.store._air[-200:]), 30):
                raise RuntimeError("panic message not at the SMSC")
            delays.append(next(a["time"] for a in reversed(smsc.air()) if a["phone"] == phone) - queued_at)
        outbox.cancel_alert(bulk.id)
    finally:
        stop_process(proc)
        kannel.stop()
        smsc.stop()
    figures.note(f"operator route: {recipients} recipients, 1-part GSM-7 text, `vigie run` -> smsbox sendsms -> "
                 f"bearerbox (throughput {rate:g}) -> SMPP -> simulated SMSC accepting {rate:g} submissions/s "
                 f"({throttled} throttled answers); route max_per_second {rate:g}; ratio = (last part at the SMSC - "
                 f"alert created) / (recipients / {rate:g}); goal <= 1.05; {delivered}/{recipients} reports matched"
                 f"{'' if reports else ' (not all within 120 s)'}")
    figures.figure("operator_route_overhead_ratio", ratio, 4)
    figures.note(f"panic on the operator route: {panics} panic-priority messages queued at random moments behind "
                 f"a running broadcast, from the outbox insert to the SMSC's submit_sm")
    figures.figure("panic_to_first_submit_s_p50", percentile(delays, 50), 3)
    figures.figure("panic_to_first_submit_s_p95", percentile(delays, 95), 3)
