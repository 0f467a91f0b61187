"""The sending daemon on simulated modems: broadcast overhead, raw throughput, memory, panic latency.

Simulated modems run in this process (SIM800 profile, status reports on, unsolicited lines sent as
soon as the line is free: urc_guard 0); the daemon runs as a `vigie run` process with the shipped
[daemon] defaults, except for the panic measure, which needs the PanicController in-process.
"""

import os
import random
import threading
import time

import data
from common import cpu_seconds, percentile, rss_mb, start_vigie, stop_process, wait_until, write_config

from vigie.daemon.core import alerts, config, outbox, presets
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import ModemStatus
from vigie.daemon.core.targeting import Targeting
from vigie.daemon.simulator import SimulatedModem

TEXT = "Gendarmerie : cambriolages de commerces cette nuit. Verifiez vos fermetures, signalez tout suspect au 17."


def start_sims(workdir: str, count: int, latency: float) -> list[SimulatedModem]:
    sims = []
    for i in range(count):
        name = f"gsm{i}"
        sim = SimulatedModem(name=name, model="sim800", link=os.path.join(workdir, name), latency=latency,
                             air_log=os.path.join(workdir, f"{name}.air.jsonl"), urc_guard=0.0)
        sims.append(sim.start())
    return sims


def stop_sims(sims) -> None:
    for sim in sims:
        sim.stop()


def wait_ready(names, timeout: float = 60.0) -> bool:
    def ready():
        rows = {m.name: m.state for m in ModemStatus.select()}
        return all(rows.get(n) == "ready" for n in names)
    return wait_until(ready, timeout, 0.05)


def air_count(sims) -> int:
    return sum(len(s.air()) for s in sims)


def wait_air_total(sims, total: int, timeout: float) -> bool:
    return wait_until(lambda: air_count(sims) >= total, timeout, 0.02)


class DaemonProcess:
    """`vigie run` on the given simulators and database, stopped on exit."""

    def __init__(self, workdir: str, db_path: str, sims):
        self.config = write_config(os.path.join(workdir, "vigie.toml"), db_path, sims,
                                   control_socket=os.path.join(workdir, "control.sock"))
        self.log = os.path.join(workdir, "daemon.log")
        self.sims = sims
        self.proc = None

    def __enter__(self):
        self.proc = start_vigie(self.config, "run", log_path=self.log)
        if not wait_ready([s.name for s in self.sims]):
            raise RuntimeError(f"modems not ready; see {self.log}")
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)


# --- broadcast overhead ------------------------------------------------------------------------------

def broadcast(figures, workdir: str, modems: int, recipients: int, latency: float) -> dict:
    path = os.path.join(workdir, f"broadcast-{modems}")
    os.makedirs(path, exist_ok=True)
    db_path = os.path.join(path, "vigie.db")
    db_mod.close_database()
    db_mod.open_database(db_path)
    data.populate(recipients)
    sims = start_sims(path, modems, latency)
    try:
        with DaemonProcess(path, db_path, sims) as daemon:
            cpu_before = cpu_seconds(daemon.proc.pid)
            alert = alerts.create(TEXT, Targeting(all=True), settings=config.parse({}), author="bench",
                                  source="cli")
            if not wait_air_total(sims, recipients, recipients * latency / modems * 3 + 60):
                raise RuntimeError(f"broadcast incomplete: {air_count(sims)}/{recipients} on air")
            last = max(e["time"] for s in sims for e in s.air())
            cpu = cpu_seconds(daemon.proc.pid) - cpu_before
    finally:
        stop_sims(sims)
    module_time = recipients * latency / modems
    ratio = (last - alert.created_at) / module_time
    per_sms_added = (last - alert.created_at - module_time) / (recipients / modems)
    return {"ratio": ratio, "added_ms": per_sms_added * 1000, "cpu_ms": cpu / recipients * 1000}


def run_broadcasts(figures, workdir: str, counts=(1, 2, 4), recipients: int = 300, latency: float = 0.5):
    figures.note(f"broadcast: {recipients} recipients, 1-part GSM-7 text, simulated SIM800 at {latency:g} s "
                 f"per SMS, status reports on; `vigie run` with shipped [daemon] defaults; ratio = (last SMS "
                 f"on air - alert created) / (recipients x latency / modems); limit 1.0")
    cpu = []
    for n in counts:
        result = broadcast(figures, workdir, n, recipients, latency)
        label = "modem" if n == 1 else "modems"
        figures.figure(f"broadcast_overhead_ratio_{n}_{label}", result["ratio"], 4)
        figures.figure(f"broadcast_added_ms_per_sms_{n}_{label}", result["added_ms"], 1)
        cpu.append(result["cpu_ms"])
    figures.figure("daemon_cpu_ms_per_sms_at_0.5s", max(cpu), 2)


# --- throughput and memory ------------------------------------------------------------------------------

def throughput(figures, workdir: str, db_path: str, sms: int) -> "DaemonProcess":
    """Zero-latency modem, one alert of ``sms`` recipients; returns the daemon's figures."""
    path = os.path.join(workdir, "throughput")
    os.makedirs(path, exist_ok=True)
    sims = start_sims(path, 1, 0.0)
    try:
        with DaemonProcess(path, db_path, sims) as daemon:
            rss_idle = rss_mb(daemon.proc.pid)
            cpu_before = cpu_seconds(daemon.proc.pid)
            t = Targeting(sectors=[data.TARGET_SECTOR])
            alert = alerts.create(TEXT, t, settings=config.parse({}), author="bench", source="cli")
            if alert.recipient_count != sms:
                raise RuntimeError(f"expected {sms} recipients, got {alert.recipient_count}")
            if not wait_air_total(sims, sms, 900):
                raise RuntimeError(f"throughput run incomplete: {air_count(sims)}/{sms}")
            last = max(e["time"] for e in sims[0].air())
            cpu = cpu_seconds(daemon.proc.pid) - cpu_before
            # every outcome recorded (sent, and delivered once the reports are in)
            wait_until(lambda: outbox.counts(alert.id)["sending"] == 0 and outbox.counts(alert.id)["queued"] == 0,
                       60)
            wait_until(lambda: outbox.counts(alert.id)["delivered"] >= sms, 120, 0.2)
            rss_after = rss_mb(daemon.proc.pid)
    finally:
        stop_sims(sims)
    figures.note(f"throughput: one simulated SIM800 with zero latency, {sms} recipients (one alert), status "
                 f"reports on; `vigie run` with shipped defaults; from the alert's creation to the last SMS on air")
    figures.figure("max_throughput_sms_per_s", sms / (last - alert.created_at), 1)
    figures.figure("daemon_cpu_ms_per_sms_at_zero_latency", cpu / sms * 1000, 2)
    figures.note(f"memory: VmRSS of `vigie run` (1 modem) idle after start, then after {sms} SMS sent and "
                 f"their reports matched")
    figures.figure("daemon_rss_mb_idle", rss_idle, 1)
    figures.figure(f"daemon_rss_mb_after_{sms}_sms", rss_after, 1)
    return alert


# --- panic latency -----------------------------------------------------------------------------------

PANIC_PHONE = "+33699999999"
PANIC_TEXT = "Alerte bouton : intervention en cours, restez à l'abri."


def panic(figures, workdir: str, presses: int = 20, latency: float = 0.5, hold: float = 0.5):
    from vigie.daemon.box.service import Daemon
    from vigie.daemon.core import members

    path = os.path.join(workdir, "panic")
    os.makedirs(path, exist_ok=True)
    db_path = os.path.join(path, "vigie.db")
    db_mod.close_database()
    db_mod.open_database(db_path)
    data.populate(3000)
    chief = members.add(siret=data.siret(999999), name="Commandant de brigade", naf="84.24Z", commune="61001",
                        phones=[PANIC_PHONE], actor="bench")
    presets.create("panique", PANIC_TEXT,
                   Targeting(members=[chief.siret]), actor="bench")
    sims = start_sims(path, 1, latency)
    settings = config.parse({
        "database": {"path": db_path},
        "modem": [{"name": s.name, "port": s.port, "model": s.model} for s in sims],
        "daemon": {"control_socket": os.path.join(path, "control.sock")},
        "button": {"enabled": True, "simulate": True, "hold_seconds": hold, "cooldown_seconds": 0.0,
                   "bounce_seconds": 0.01},
    })
    daemon = Daemon(settings)
    daemon.start()
    loop = threading.Thread(target=daemon.loop, name="daemon-loop", daemon=True)
    loop.start()
    holds = []
    controller = daemon.panic
    original = controller._on_hold

    def record_hold(at):
        holds.append(at)
        original(at)

    controller._on_hold = record_hold
    offset = time.time() - time.monotonic()
    delays = []
    try:
        if not wait_ready([s.name for s in sims]):
            raise RuntimeError("panic: modem not ready")
        bulk = alerts.create(TEXT, Targeting(all=True), settings=settings, author="bench", source="cli")
        wait_air_total(sims, 5, 30)                     # the broadcast is running
        rng = random.Random(8)
        for i in range(presses):
            time.sleep(rng.uniform(0.0, 2 * latency))   # press at any moment of the SMS on air
            answer = controller.simulate_press(hold + 0.2)
            if answer.get("result") != "sent":
                raise RuntimeError(f"panic press refused: {answer}")
            ok = wait_until(lambda: sum(1 for e in sims[0].air() if e["text"] == PANIC_TEXT) > i, 30, 0.01)
            if not ok:
                raise RuntimeError("panic SMS not on air")
            entry = [e for e in sims[0].air() if e["text"] == PANIC_TEXT][i]
            delays.append(entry["cmgs_at"] - (holds[i] + offset))
        still = outbox.counts(bulk.id)["queued"]
        outbox.cancel_alert(bulk.id)
    finally:
        daemon.stop.set()
        loop.join(timeout=60)
        stop_sims(sims)
    figures.note(f"panic: real PanicController on gpiozero mock pins inside an in-process Daemon, hold threshold "
                 f"{hold:g} s, {presses} long presses while a broadcast to 3000 runs on one modem at {latency:g} s "
                 f"per SMS ({still} still queued at the end); from gpiozero's hold callback to the panic SMS's "
                 f"AT+CMGS on the line")
    figures.figure("panic_to_first_sms_s_p50", percentile(delays, 50), 3)
    figures.figure("panic_to_first_sms_s_p95", percentile(delays, 95), 3)
