"""The panic button on gpiozero's mock pins: long and short presses, bounce, cooldown, LED, buzzer,
the power key, and `vigie button press` through the control socket."""

import dataclasses
import os
import subprocess
import sys
import threading
import time

import pytest

from vigie.daemon.box import gpio
from vigie.daemon.box.panic import PanicController
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Alert, AuditLog, Member, Message

from .fixtures_box import PANIC_TEXT, box_settings

WAIT = 60.0                              # generous: a loaded machine, never a bare sleep


def eventually(predicate, timeout=WAIT, interval=0.01):
    """For what changes without telling the controller (a pin blinking on gpiozero's thread)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def outcome_count(n):
    return lambda c: len(c._outcomes) >= n


def press(controller, *, until_state=None):
    """Press the mock button; with ``until_state``, keep it down until the controller reaches it."""
    controller.button.pin.drive_low()
    if until_state:
        assert controller.wait_for(lambda c: c.state == until_state, WAIT), controller.state


def release(controller, n_outcomes):
    controller.button.pin.drive_high()
    assert controller.wait_for(outcome_count(n_outcomes), WAIT)
    return controller.outcomes[n_outcomes - 1]


def audit_rows(action=None):
    q = AuditLog.select().where((AuditLog.actor == "bouton") & AuditLog.action.startswith("button."))
    if action:
        q = q.where(AuditLog.action == action)
    return list(q.order_by(AuditLog.id))


def send_everything(alert_id):
    """Play the modem's part: every message of the alert goes on air, then the alert completes."""
    while (m := outbox.claim("test")) is not None:
        outbox.mark_sent(m)
    outbox.complete_finished_alerts()
    assert Alert.get_by_id(alert_id).state == "done"


# --- long press ----------------------------------------------------------------------------

def test_long_press_queues_the_preset_at_panic_priority_and_wakes_the_workers(panic_preset, panic_controller):
    woken = []
    event = threading.Event()
    controller = panic_controller(on_alert=lambda alert: (woken.append(alert.id), event.set()))
    press(controller, until_state="sending")
    assert event.wait(WAIT)
    outcome = release(controller, 1)

    alert = Alert.get()
    assert outcome.result == "sent" and outcome.ok and outcome.alert_id == alert.id == woken[0]
    assert "envoyée à 3 destinataires" in outcome.message
    assert (alert.source, alert.preset, alert.author, alert.priority) == ("button", "panique", "bouton",
                                                                          outbox.PRIORITY_PANIC)
    messages = list(Message.select().where(Message.alert == alert.id))
    assert sorted(m.phone for m in messages) == sorted(panic_preset)
    assert {(m.priority, m.state, m.text) for m in messages} == {(outbox.PRIORITY_PANIC, "queued", PANIC_TEXT)}
    [row] = audit_rows("button.hold")
    assert row.count == 3 and row.target == "panique"


def test_panic_messages_overtake_a_queued_bulk_alert(panic_preset, panic_controller):
    for i in range(5):
        outbox.enqueue(f"+3361111{i:04d}", "information ordinaire")
    controller = panic_controller()
    press(controller, until_state="sending")
    release(controller, 1)
    first = outbox.claim("test")
    assert first.text == PANIC_TEXT and first.priority == outbox.PRIORITY_PANIC


def test_simulate_press_answers_in_french_for_the_control_socket(panic_preset, panic_controller):
    controller = panic_controller()
    answer = controller.simulate_press(0.5)
    assert answer["ok"] and answer["result"] == "sent" and "Alerte « panique » envoyée" in answer["message"]
    short = controller.simulate_press(0.05)
    assert short["ok"] and short["result"] == "short" and "ignoré" in short["message"]
    bad = controller.simulate_press(-1)
    assert not bad["ok"] and "invalide" in bad["message"]
    assert Alert.select().count() == 1


# --- short press and bounce -------------------------------------------------------------------

def test_short_press_sends_nothing_and_is_audited(panic_preset, panic_controller):
    controller = panic_controller(hold_seconds=5.0)
    press(controller)
    assert controller.wait_for(lambda c: c.pattern == "held", WAIT)
    # held longer than the bounce filter, far shorter than the threshold
    assert not controller.wait_for(lambda c: c.state != "idle", 0.1)
    outcome = release(controller, 1)
    assert outcome.result == "short" and outcome.ok
    assert Alert.select().count() == 0 and Message.select().count() == 0
    [row] = audit_rows("button.short")
    assert "appui court ignoré" in row.detail
    assert controller.wait_for(lambda c: c.pattern == "idle", WAIT)


def test_contact_bounce_is_ignored_and_a_bouncy_long_press_sends_once(panic_preset, panic_controller):
    controller = panic_controller(bounce_seconds=0.05)
    pin = controller.button.pin
    for _ in range(5):                     # a chattering contact: microsecond presses
        pin.drive_low()
        pin.drive_high()
    assert controller.wait_for(outcome_count(5), WAIT)
    assert {o.result for o in controller.outcomes} == {"bounce"}
    assert audit_rows() == [] and Alert.select().count() == 0

    pin.drive_low()                        # a real press, with bounces on the way down and up
    pin.drive_high()
    pin.drive_low()
    assert controller.wait_for(lambda c: c.state == "sending", WAIT)
    pin.drive_high()
    pin.drive_low()
    pin.drive_high()
    assert controller.wait_for(outcome_count(8), WAIT)
    results = [o.result for o in controller.outcomes[5:]]
    assert results.count("sent") == 1 and set(results) <= {"sent", "bounce"}
    assert Alert.select().count() == 1
    assert [r.action for r in audit_rows()] == ["button.hold"]


# --- cooldown ----------------------------------------------------------------------------------

def test_second_long_press_during_cooldown_is_refused_then_allowed_after(panic_preset, panic_controller,
                                                                         fake_clock):
    controller = panic_controller(clock=fake_clock, cooldown_seconds=60)
    assert controller.simulate_press(0.4)["result"] == "sent"
    fake_clock.advance(30)
    assert controller.status()["cooldown_seconds"] == 30.0
    refused = controller.simulate_press(0.4)
    assert refused["result"] == "refused" and not refused["ok"]
    assert "30 s" in refused["message"]
    assert Alert.select().count() == 1
    [row] = audit_rows("button.refused")
    assert "refusé" in row.detail

    fake_clock.advance(31)
    assert controller.simulate_press(0.4)["result"] == "sent"
    assert Alert.select().count() == 2
    assert [r.action for r in audit_rows()] == ["button.hold", "button.refused", "button.hold"]


def test_a_failed_broadcast_does_not_start_the_cooldown(panic_preset, panic_controller):
    Member.update(status="suspended").execute()
    controller = panic_controller()
    first = controller.simulate_press(0.4)
    assert first["result"] == "error" and "aucun adhérent" in first["message"]
    Member.update(status="active").execute()
    assert controller.simulate_press(0.4)["result"] == "sent"


# --- LED and buzzer ---------------------------------------------------------------------------

def changes(pin):
    return len(pin.states)


def test_led_heartbeat_held_sending_sent_then_heartbeat_again(panic_preset, panic_controller):
    controller = panic_controller(sent_display_seconds=0.3)
    led = controller.led.pin
    assert controller.wait_for(lambda c: c.pattern == "idle", WAIT)
    assert eventually(lambda: changes(led) >= 3)      # it blinks: on, off, ...

    press(controller)
    assert controller.wait_for(lambda c: c.pattern == "held", WAIT)
    mark = changes(led)
    assert eventually(lambda: changes(led) >= mark + 2 or controller.state == "sending")

    assert controller.wait_for(lambda c: c.pattern == "sending", WAIT)
    assert led.state == 1                  # solid on while the alert is being sent
    outcome = release(controller, 1)
    assert controller.pattern == "sending" and led.state == 1

    send_everything(outcome.alert_id)
    assert controller.wait_for(lambda c: c.pattern == "sent", WAIT)
    mark = changes(led)
    assert eventually(lambda: changes(led) > mark or controller.pattern != "sent")
    assert controller.wait_for(lambda c: c.pattern == "idle", WAIT)
    status = controller.status()
    assert (status["state"], status["alert"], status["simulated"]) == ("idle", outcome.alert_id, True)

    controller.close()                     # the daemon stops: the LED goes dark, not frozen lit
    assert controller.pattern == "off" and led.state == 0


def test_led_error_when_preset_is_missing_then_recovers_once_created(database, panic_controller):
    from vigie.daemon.core import presets
    from vigie.daemon.core.targeting import Targeting

    from .fixtures_box import add_members

    controller = panic_controller(recheck_seconds=0.1, error_display_seconds=0.3)
    assert controller.wait_for(lambda c: c.pattern == "error", WAIT)
    assert "panique" in controller.last_error
    answer = controller.simulate_press(0.4)
    assert answer["result"] == "error" and "inconnu" in answer["message"]
    [row] = audit_rows("button.error")
    assert "panique" in row.detail

    add_members(1)
    presets.create("panique", PANIC_TEXT, Targeting(all=True), actor="test")
    assert controller.wait_for(lambda c: c.pattern == "idle", WAIT)
    assert controller.simulate_press(0.4)["result"] == "sent"


def test_led_error_when_no_sms_went_out(panic_preset, panic_controller):
    controller = panic_controller()
    alert_id = controller.simulate_press(0.4)["alert"]
    while (m := outbox.claim("test")) is not None:
        outbox.mark_failed(m, "numéro invalide", 1)
    outbox.complete_finished_alerts()
    assert controller.wait_for(lambda c: c.pattern == "error", WAIT)
    assert f"n°{alert_id}" in controller.last_error


def test_buzzer_beeps_when_the_alert_is_triggered(panic_preset, panic_controller):
    controller = panic_controller(buzzer_pin=22)
    buzzer = controller.beeper.device.pin
    assert controller.simulate_press(0.4)["result"] == "sent"
    assert eventually(lambda: [s.state for s in buzzer.states] == [False, True, False, True, False]), buzzer.states


# --- independence from the console ------------------------------------------------------------

def test_button_code_imports_neither_the_web_console_nor_the_modem_library():
    code = ("import sys, vigie.daemon.box.panic, vigie.daemon.box.gpio, vigie.daemon.core.alerts; "
            "bad = [m for m in sys.modules if m.startswith(('vigie.web', 'bottle', 'gsmmodem'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the modem's power key -------------------------------------------------------------------

def test_power_key_pulses_pwrkey_off_then_on(mock_factory):
    key = gpio.ModemPowerKey(4, model="sim800", factory=mock_factory,
                             timing=gpio.PowerTiming(off_pulse=0.05, off_wait=0.05, on_pulse=0.05))
    try:
        key.power_cycle()
        assert [s.state for s in key.pin.states] == [False, True, False, True, False]
        assert key.cycles == 1
    finally:
        key.close()


def test_power_key_timings_follow_the_module_model():
    assert gpio.POWER_TIMINGS["sim800"].off_pulse >= 1.0          # SIM800: PWRKEY low > 1 s
    assert gpio.POWER_TIMINGS["sim7600"].off_pulse >= 2.5         # SIM7600: >= 2.5 s to switch off
    assert gpio.POWER_TIMINGS["sim7600"].on_pulse >= 0.5


def test_simulated_settings_use_mock_pins_off_a_raspberry_pi():
    assert not gpio.on_raspberry_pi("/nonexistent/model")
    assert gpio.is_mock(gpio.pin_factory(simulate=True))


# --- `vigie button press` through the control socket ----------------------------------------------

def test_cli_button_press_through_the_control_socket(tmp_path, panic_preset, panic_controller):
    from vigie.daemon.core.control import ControlServer, dispatcher

    controller = panic_controller()
    settings = controller.settings
    server = ControlServer(settings.daemon.control_socket,
                           dispatcher({"button.press": lambda r: controller.simulate_press(r.get("seconds"))}))
    server.start()
    config = tmp_path / "vigie.toml"
    config.write_text(f'[database]\npath = "{settings.database.path}"\n'
                      f'[daemon]\ncontrol_socket = "{settings.daemon.control_socket}"\n'
                      f'[button]\nhold_seconds = 0.2\nsimulate = true\n', encoding="utf-8")
    try:
        cli = [sys.executable, "-m", "vigie.daemon.cli", "--config", str(config), "button", "press"]
        done = subprocess.run(cli, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Alerte « panique » envoyée à 3 destinataires" in done.stdout
        refused = subprocess.run(cli + ["--seconds", "0.4"], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1 and "refusé" in refused.stdout + refused.stderr
        bad = subprocess.run(cli + ["--seconds", "0"], capture_output=True, text=True, timeout=60)
        assert bad.returncode == 2 and "secondes" in bad.stderr
    finally:
        server.close()
    assert Alert.select().count() == 1


def test_cli_button_press_says_when_the_daemon_is_not_running(tmp_path):
    config = tmp_path / "vigie.toml"
    config.write_text(f'[daemon]\ncontrol_socket = "{tmp_path / "absent.sock"}"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", str(config), "button", "press"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Le démon ne tourne pas" in done.stderr


# --- `vigie preset`: the button's preset is managed from the command line ---------------------------

def cli(config, *args):
    return subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_preset_add_list_show_delete(tmp_path, database, db_path):
    import json

    from vigie.daemon.core import presets

    from .fixtures_box import add_members
    add_members(2)
    config = tmp_path / "vigie.toml"
    config.write_text(f'[database]\npath = "{db_path}"\n[button]\npreset = "Bijoux Alençon"\n', encoding="utf-8")

    added = cli(config, "preset", "add", "Bijoux Alençon", "--text", PANIC_TEXT, "--sector", "47.77Z",
                "--commune", "61001", "--priority", "100")
    assert added.returncode == 0, added.stderr
    assert "créé" in added.stdout and "2 destinataires" in added.stdout
    preset = presets.get("bijoux alençon")
    assert preset.text == PANIC_TEXT and preset.priority == 100

    listed = cli(config, "preset", "list")
    assert "Bijoux Alençon [bouton]" in listed.stdout
    shown = json.loads(cli(config, "preset", "show", "Bijoux Alençon", "--json").stdout)
    assert shown["button"] and shown["recipients"] == 2 and shown["targeting_json"]["sectors"] == ["47.77Z"]

    twice = cli(config, "preset", "add", "Bijoux Alençon", "--text", "x", "--all")
    assert twice.returncode == 2 and "existe déjà" in twice.stderr
    empty = cli(config, "preset", "add", "vide", "--text", "x")
    assert empty.returncode == 2 and "Ciblage vide" in empty.stderr
    unknown = cli(config, "preset", "show", "absent")
    assert unknown.returncode == 1 and "inconnu" in unknown.stderr

    deleted = cli(config, "preset", "delete", "Bijoux Alençon")
    assert deleted.returncode == 0 and "bouton ne pourra plus rien envoyer" in deleted.stdout
    assert presets.find("Bijoux Alençon") is None
    assert "n'existe pas" in cli(config, "preset", "list").stdout
    actions = [r.action for r in AuditLog.select().where(AuditLog.action.startswith("preset."))]
    assert actions == ["preset.add", "preset.delete"]


# --- end to end: `vigie run` on the simulated modem, `vigie button press` --------------------------------

def test_button_press_reaches_the_simulated_modems_air_with_the_console_down(tmp_path, panic_preset):
    """`vigie emulator` and `vigie run` as processes, `vigie button press`; no `vigie web` anywhere."""
    import json
    import signal
    import types

    from .fixtures_daemon import vigie_process, wait_until, write_config

    link, air = str(tmp_path / "gsm0"), tmp_path / "air.jsonl"
    emulator = subprocess.Popen([sys.executable, "-m", "vigie.daemon.cli", "emulator", "--link", link,
                                 "--air-log", str(air), "--name", "box0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    daemon = None
    try:
        first = emulator.stdout.readline()              # printed once the link exists
        assert "en écoute sur" in first, first + emulator.stderr.read()
        config = write_config(tmp_path, [types.SimpleNamespace(name="box0", port=link, model="sim800")])
        with open(config, encoding="utf-8") as f:
            text = f.read()
        with open(config, "w", encoding="utf-8") as f:
            f.write(text.replace("[button]\nenabled = false\n",
                                 "[button]\nenabled = true\nsimulate = true\nhold_seconds = 0.3\n"))
        daemon = vigie_process(config, "run")
        assert wait_until(lambda: os.path.exists(tmp_path / "control.sock"), 30)

        pressed = cli(config, "button", "press")
        assert pressed.returncode == 0, pressed.stdout + pressed.stderr
        assert "Alerte « panique » envoyée à 3 destinataires" in pressed.stdout

        def on_air():
            if not air.exists():
                return []
            return [json.loads(line) for line in air.read_text(encoding="utf-8").splitlines() if line.strip()]

        assert wait_until(lambda: len(on_air()) >= 3, 60), on_air()
        short = cli(config, "button", "press", "--seconds", "0.05")
        assert short.returncode == 0 and "ignoré" in short.stdout
    finally:
        for proc in (daemon, emulator):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    assert sorted((e["to"], e["text"]) for e in on_air()) == sorted((p, PANIC_TEXT) for p in panic_preset)
    alert = Alert.get()
    assert (alert.source, alert.priority) == ("button", outbox.PRIORITY_PANIC)
    assert [r.action for r in audit_rows()] == ["button.hold", "button.short"]


# --- PWRKEY against the simulator's hung module (long: run by `make chaos`) ------------------------------

@pytest.mark.chaos
def test_power_key_revives_a_hung_module_for_the_modem_supervisor(tmp_path, sims, database, mock_factory):
    """The HAT's PWRKEY line is played by a mock pin wired to the simulated module: a press toggles
    its power. The module hangs; the supervisor gives up soft recovery and calls power_cycle()."""
    from gpiozero.pins.mock import MockPin

    from vigie.daemon.transport.gsm.transport import GsmTransport
    from vigie.daemon.transport.worker import TransportWorker

    from .fixtures_daemon import daemon_settings, wait_until

    sim = sims("sim0")
    module = {"on": True, "pressed_at": None, "presses": []}

    def on_line(level):
        if level:
            module["pressed_at"] = time.monotonic()
            return
        module["presses"].append(time.monotonic() - module["pressed_at"])
        module["on"] = not module["on"]
        if module["on"]:
            sim.hang(0)
            sim.reboot(0.05)
        else:
            sim.hang(3600)              # powered off: nothing answers

    class PwrkeyLine(MockPin):
        def _change_state(self, value):
            changed = super()._change_state(value)
            if changed and self.function == "output":
                on_line(value)
            return changed

    mock_factory.pin(4, pin_class=PwrkeyLine)
    key = gpio.ModemPowerKey(4, model="sim800", factory=mock_factory,
                             timing=gpio.PowerTiming(off_pulse=0.05, off_wait=0.1, on_pulse=0.05))
    line = key.pin
    settings = daemon_settings(tmp_path, [sim])
    message = outbox.enqueue("+33612349999", "après redémarrage", priority=outbox.PRIORITY_PANIC)
    sim.hang(3600)                                  # the module stops answering, for good
    wake, stop = threading.Event(), threading.Event()
    transport = GsmTransport(settings.modems[0], settings, power_cycle=key.power_cycle)
    worker = TransportWorker(transport, settings, wake, stop)
    worker.start()
    try:
        assert wait_until(lambda: Message.get_by_id(message.id).state in ("sent", "delivered"), 150)
    finally:
        stop.set()
        wake.set()
        worker.join(30)
        key.close()
    assert key.cycles >= 1 and module["on"]
    assert [s.state for s in line.states][:5] == [False, True, False, True, False]
    assert len(module["presses"]) >= 2                 # off, then on again
    assert [e["to"] for e in sim.air()] == ["+33612349999"]


def test_a_pin_used_twice_fails_at_start_and_frees_the_other_pins(tmp_path, database, mock_factory):
    settings = box_settings(tmp_path, pin=17, led_pin=22)      # the file refuses a pin twice: force it
    settings = dataclasses.replace(settings, button=dataclasses.replace(settings.button, led_pin=17))
    controller = PanicController(settings, mock_factory)
    with pytest.raises(Exception):
        controller.start()
    retry = PanicController(box_settings(tmp_path, pin=22, led_pin=17), mock_factory)
    retry.start()                          # the LED's pin 17 was given back
    retry.close()


# --- a press is never lost to the database (issue 14) ------------------------------------------

def test_a_press_is_never_lost_to_a_locked_database(panic_preset, panic_controller, db_path, caplog):
    import sqlite3

    from vigie.daemon.core.models import database
    database.obj.pragma("busy_timeout", 300, permanent=True)     # the daemon waits 15 s; the test need not
    controller = panic_controller()
    assert controller.wait_for(lambda c: c.state == "idle", WAIT)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")                           # a long writer: a big import, a backup
    try:
        press(controller, until_state="sending")
        assert eventually(lambda: sum("la base refuse l'écriture" in r.getMessage() for r in caplog.records) >= 3)
        assert Alert.select().count() == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    outcome = release(controller, 1)
    assert outcome.result == "sent", outcome.message
    alert = Alert.get()
    assert Message.select().where(Message.alert == alert.id).count() == 3
    hold = audit_rows("button.hold")
    assert len(hold) == 1 and '"essais": ' in hold[0].detail and "database is locked" in hold[0].detail
    assert not audit_rows("button.error")
