"""Driving a running simulated SMSC from another process (``vigie smsc ...``): JSON commands on a Unix
socket, through the daemon's own control-socket server. In-process, tests call SimulatedSMSC directly."""

from vigie.daemon.core.control import ControlServer, exchange
from vigie.daemon.simulator.smsc.faults import OUTCOMES


def handle(smsc, cmd: dict) -> dict:
    """One command (a dict with "cmd") applied to ``smsc``; the answer as a dict with "ok"."""
    kind = cmd.get("cmd")
    try:
        if kind == "mo":
            parts = smsc.inject_mo(str(cmd["from"]), str(cmd["text"]), destination=cmd.get("to"))
            return {"ok": True, "parts": parts}
        if kind == "throttle":
            per_second = cmd.get("per_second")
            smsc.throttle(int(per_second) if per_second else None)
            return {"ok": True}
        if kind == "refuse":
            smsc.refuse(int(cmd.get("status", 0x45)), count=cmd.get("count"), rate=cmd.get("rate"))
            return {"ok": True}
        if kind == "report":
            if cmd.get("outcome") not in OUTCOMES:
                return {"ok": False, "error": f"issue inconnue : {cmd.get('outcome')} ({', '.join(OUTCOMES)})"}
            smsc.set_report(cmd["outcome"], cmd.get("delay"))
            return {"ok": True}
        if kind == "drop":
            return {"ok": True, "sessions": smsc.drop(float(cmd.get("seconds") or 0.0))}
        if kind == "hold":
            smsc.hold_answers(bool(cmd.get("hold", True)))
            return {"ok": True}
        if kind == "status":
            return {"ok": True, "name": smsc.name, "port": smsc.port, "air": len(smsc.air()),
                    "sessions": [{"id": s.id, "bound": s.bound, "system_id": s.system_id}
                                 for s in smsc.sessions()],
                    "pending_deliveries": smsc.pending_deliveries()}
        if kind == "air":
            return {"ok": True, "air": smsc.air()}
    except (KeyError, TypeError, ValueError) as e:
        return {"ok": False, "error": f"commande « {kind} » incomplète ou invalide ({e})"}
    return {"ok": False, "error": f"commande inconnue : {kind}"}


def serve(smsc, path: str) -> ControlServer:
    server = ControlServer(path, lambda cmd: handle(smsc, cmd), name=f"smsc-{smsc.name}-control")
    server.start()
    return server


def send(path: str, cmd: dict, timeout: float = 10.0) -> dict:
    return exchange(path, cmd, timeout)
