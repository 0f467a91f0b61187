"""The control channel of a running emulator: one JSON object per line on the Unix socket ``<link>.ctl``,
one JSON reply per line (the dicts of `vigie emulator inject`). The same dicts drive a simulator
in-process through ``SimulatedModem.handle_control``."""

from vigie.daemon.simulator.faults import DEFAULT_GARBAGE


def control_path(link):
    return f"{link}.ctl"


def serve(sim):
    """Start serving ``sim``'s control socket; returns the server (``close()`` it)."""
    from vigie.daemon.core.control import ControlServer
    server = ControlServer(control_path(sim.link), sim.handle_control, name=f"{sim.name}-control")
    server.start()
    return server


def exchange(link, command, timeout=10.0) -> dict:
    """Send ``command`` (a dict) to the emulator serving ``link`` and return its reply."""
    from vigie.daemon.core.control import exchange as send
    return send(control_path(link), command, timeout)


def _fault(sim, cmd):
    fault = cmd.get("fault")
    if fault == "cms":
        sim.fail_sends(int(cmd["code"]), count=cmd.get("count"), rate=cmd.get("rate"))
    elif fault == "hang":
        sim.hang(float(cmd["seconds"]))
    elif fault == "late":
        sim.late_cmgs(float(cmd["seconds"]), count=int(cmd.get("count") or 1))
    elif fault == "unplug":
        sim.unplug(float(cmd["seconds"]) if cmd.get("seconds") is not None else None)
    elif fault == "reboot":
        sim.reboot(float(cmd.get("down") or 0.0))
    elif fault == "noreg":
        sim.lose_registration(float(cmd["seconds"]))
    elif fault == "garbage":
        sim.send_garbage(bytes.fromhex(cmd["hex"]) if cmd.get("hex") else DEFAULT_GARBAGE)
    elif fault == "mid":
        sim.unsolicited_during_next_command(cmd["line"])
    elif fault == "clock":
        sim.set_network_time(float(cmd.get("offset") or 0.0))
    elif fault == "sim":
        tries = cmd.get("tries")
        sim.set_sim(pin=cmd["pin"] if "pin" in cmd else ..., puk=cmd.get("puk"),
                    tries=int(tries) if tries is not None else None)
    else:
        return {"ok": False, "error": f"panne inconnue : {fault}"}
    return {"ok": True}


def apply(sim, cmd):
    """Apply one control command to ``sim``; returns the reply dict."""
    kind = cmd.get("cmd")
    if kind == "sms":
        indices = sim.inject_sms(cmd["from"], cmd["text"], announce=cmd.get("announce", True))
        return {"ok": True, "indices": indices}
    if kind == "fault":
        return _fault(sim, cmd)
    if kind == "report":
        sim.set_report(cmd["outcome"], number=cmd.get("number"), rate=float(cmd.get("rate", 1.0)),
                       status=cmd.get("status"))
        return {"ok": True}
    if kind == "latency":
        sim.set_latency(float(cmd["seconds"]))
        return {"ok": True}
    if kind == "status":
        return {"ok": True, "name": sim.name, "model": sim.model, "port": sim.port, "air": len(sim.air()),
                "slave": sim.line.slave_path, "sim": sim.sim_state, "pin_tries": sim.pin_tries}
    if kind == "air":
        return {"ok": True, "air": sim.air()}
    if kind == "events":
        return {"ok": True, "events": sim.events}
    return {"ok": False, "error": f"commande inconnue : {kind}"}
