"""The SMS traffic of a module: AT+CMGS and its ``> `` prompt, the TP-MR it assigns, the status reports the
network sends back, and the messages that arrive (SMS-DELIVER into the receive memory)."""

import time

from vigie.daemon.simulator import pdu as codec
from vigie.daemon.simulator.storage import Stored, canon

OUTCOMES = ("delivered", "temporary_then_delivered", "failed", "none")
TEMPORARY_STATUS = 0x30      # "congestion, SC still trying"
FAILED_STATUS = 0x41         # "incompatible destination" (permanent)
SMSC = "+33689004000"


class Sender:
    def __init__(self, modem):
        self.m = modem
        self.mr = 0                          # TP-MR counter, kept across reboot and unplug (stored on the SIM)
        self.concat_ref = 0
        self.report_rules = {}               # number -> (outcome, rate, status); None -> every number

    # ---- AT+CMGS

    def cmgs(self, mode, arg, now):
        m = self.m
        if mode == "test":
            return ["OK"]
        if mode != "set":
            return [m.error(302, "CMS")]
        if m.session.cmgf == 0:
            try:
                length = int(arg)
            except ValueError:
                return [m.error(304, "CMS")]
            if not 7 <= length <= 164:
                return [m.error(304, "CMS")]
            prompt = {"mode": "pdu", "length": length, "cmgs_at": now}
        else:
            number = arg.split(",")[0].strip('"')
            if not number:
                return [m.error(304, "CMS")]
            prompt = {"mode": "text", "to": number, "cmgs_at": now}
        m.at.prompt = prompt
        # the line stays reserved until the final result after the payload
        m.line.write(b"\r\n> ")
        m.journal.event("prompt")
        return None

    def on_payload(self, prompt, payload: bytes, send: bool):
        """The bytes after ``> `` up to Ctrl-Z (send) or ESC (abandon)."""
        m = self.m
        finish = m.at.finish
        if not send:
            m.journal.event("send_aborted")
            finish([], "OK")
            return
        if prompt["mode"] == "pdu":
            try:
                text = payload.decode("ascii").strip()
                sub = codec.decode_submit(text)
                if sub.tpdu_length != prompt["length"]:
                    raise codec.PduError(f"length {sub.tpdu_length} announced {prompt['length']}")
            except (UnicodeDecodeError, codec.PduError) as e:
                m.journal.event("bad_pdu", error=str(e), pdu=payload[:400].decode("latin-1"))
                finish([], m.error(304, "CMS"))
                return
        else:
            text = payload.decode("utf-8", errors="replace")
            if m.session.cscs == "UCS2":
                try:
                    text = bytes.fromhex(text).decode("utf-16-be")
                except ValueError:
                    pass
            sub = codec.Submit(smsc=None, mr=0, to=prompt["to"], pid=0, dcs=0, encoding="gsm7", text=text,
                               status_report=False)
        m.journal.event("pdu", to=sub.to, text=sub.text, part=sub.part, parts=sub.parts)
        code = m.faults.send_error()
        if code is not None:
            m.journal.event("cms_error", code=code)
            finish([], m.error(code, "CMS"))
            return
        if m.latency > 0 and m.abort.wait(m.latency):
            m.line.reserve(False)
            return
        with m.lock:
            mr = self.mr
            self.mr = (self.mr + 1) % 256
            late = m.faults.take_late()
        m.journal.on_air(sub, prompt["cmgs_at"], mr)
        if late > 0 and m.abort.wait(late):
            m.line.reserve(False)
            return
        finish([[f"+CMGS: {mr}"]], "OK")
        if sub.status_report and prompt["mode"] == "pdu":
            for delay, status in self.report_plan(sub.to):
                m.timers.call_later(m.report_delay + delay, self.deliver_report, mr, sub.to, time.time(), status)

    # ---- status reports

    def set_report(self, outcome, number=None, rate=1.0, status=None):
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        with self.m.lock:
            self.report_rules[number] = (outcome, float(rate), status)

    def report_plan(self, number):
        """[(extra delay, TP-ST)] for one part sent to ``number``."""
        m = self.m
        with m.lock:
            outcome, rate, status = (self.report_rules.get(number) or self.report_rules.get(None)
                                     or ("delivered", 1.0, None))
            if rate < 1.0 and m.rng.random() >= rate:
                outcome = "delivered"
        return {"delivered": [(0.0, 0x00)], "temporary_then_delivered": [(0.0, TEMPORARY_STATUS), (0.0, 0x00)],
                "failed": [(0.0, FAILED_STATUS if status is None else status)], "none": []}[outcome]

    def deliver_report(self, mr, number, scts, status):
        m = self.m
        if not m.running:
            return
        rep = codec.encode_status_report(mr, number, scts, time.time(), status, smsc=SMSC)
        with m.lock:
            ds = m.session.cnmi[3]
            m.journal.event("report", mr=mr, number=number, status=status,
                            path={1: "CDS", 2: "CDSI"}.get(ds, "none"))
            if ds == 1:
                if m.session.csms == 1:
                    m.session.ack_pending = True
                m.urc(f"+CDS: {rep.tpdu_length}\r\n{rep.hex}")
            elif ds == 2:
                idx = m.storage.store("SR", Stored("report", rep.hex, rep.tpdu_length, number, None, scts))
                if idx is None:
                    m.journal.event("storage_full", memory="SR")
                else:
                    m.urc(f'+CDSI: "SR",{idx}', awaits=("SR", idx))

    # ---- incoming messages

    def inject(self, sender, text, announce=True):
        m = self.m
        now = time.time()
        with m.lock:
            self.concat_ref = (self.concat_ref + 1) % 256
            parts = codec.encode_deliver(sender, text, now, smsc=SMSC, ref=self.concat_ref)
            mem = m.storage.receive
            indices = []
            for p in parts:
                idx = m.storage.store(mem, Stored("deliver", p.hex, p.tpdu_length, sender, text, now))
                if idx is None:
                    m.journal.event("storage_full", memory=mem)
                    continue
                indices.append(idx)
            mt = m.session.cnmi[1]
        m.journal.event("incoming", sender=sender, text=text, memory=mem, indices=indices, announced=announce)
        if announce and mt in (1, 2, 3):
            for idx in indices:
                m.urc(f'+CMTI: "{mem}",{idx}', awaits=(canon(mem), idx))
        return indices
