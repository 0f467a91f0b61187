"""A GSM modem as a Transport: what the generic worker asks, in the modem's own terms.

Here live the GSM facts the worker does not know: a part is an SMS-SUBMIT PDU and its provider
reference the TP-MR (as text, wrapping at 255); health is CSQ and CREG; a delivery report's TP-ST
says delivered, still trying or failed. Modules that store their reports in "SR" (all but the
SIM800) announce them with +CDSI, and a full store drops new ones: during a burst it is emptied in
one listing every ``REPORT_SWEEP_EVERY`` parts, and after a burst every memory is listed once for
what the module stored without telling us. A reboot line or a lost port is a ``LinkLost``.
"""

import logging
import queue
import time

from vigie.daemon.transport.base import DeliveryReport, Health, Incoming, LateReference, LinkLost, Pending, Segment
from vigie.daemon.transport.gsm import modem as gsm

log = logging.getLogger(__name__)

REPORT_SWEEP_EVERY = 20        # parts sent between two listings of the module's report store
SWEEP_SECONDS = 120.0          # a listing of every memory at least this often


def report_status_text(status: int) -> str:
    """TP-ST (3GPP TS 23.040 §9.2.3.15) in French words."""
    if status < 0x20:
        return "remis au destinataire"
    if status < 0x40:
        return "le réseau réessaie"
    return {
        0x40: "erreur distante", 0x41: "service incompatible", 0x42: "connexion refusée",
        0x43: "destinataire inconnu", 0x44: "message refusé", 0x45: "erreur de service",
        0x46: "délai de validité dépassé", 0x47: "message supprimé par l'émetteur",
        0x48: "message supprimé par l'opérateur", 0x49: "message inexistant",
        0x60: "destinataire injoignable (congestion)", 0x61: "destinataire occupé",
        0x62: "pas de réponse du destinataire", 0x63: "service rejeté",
        0x64: "qualité de service indisponible", 0x65: "erreur du destinataire",
    }.get(status, "échec définitif")


def delivery_report(report: gsm.Report) -> DeliveryReport:
    st = report.status
    status = "delivered" if st < 0x20 else "pending" if st < 0x40 else "failed"
    return DeliveryReport(reference=str(report.mr), phone=report.number, status=status, raw_status=st,
                          time_sent=report.time_sent, time_finalized=report.time_finalized,
                          detail=f"statut {st:#04x} : {report_status_text(st)}")


class GsmTransport:
    """One ``[[modem]]`` table: a GSM module on a serial port, through python-gsmmodem-new."""

    kind = "gsm"

    def __init__(self, modem_settings, settings, power_cycle=None):
        self.name = modem_settings.name
        self.priority = getattr(modem_settings, "priority", 0)
        self.modem = gsm.Modem(modem_settings, send_timeout=settings.daemon.send_timeout_seconds)
        self.events: queue.Queue = queue.Queue()
        self.power_cycle = power_cycle
        self._next_sweep = 0.0
        self._since_report_sweep = 0      # parts sent since the "SR" store was last emptied
        self._burst = 0                   # parts sent since the worker was last idle
        self._submits: dict[int, tuple[dict, float]] = {}
        # What a refusal of the configured PIN is kept under (worker.py keeps it across restarts).
        self.block_key = gsm.pin_key(self.name, modem_settings.pin) if modem_settings.pin else None

    @property
    def stores_reports(self) -> bool:
        return self.modem.stores_reports

    # -- life cycle --
    def open(self) -> dict:
        info = self.modem.open()
        # Reboot notices seen while connecting belong to the start-up just finished.
        kept = []
        while True:
            try:
                event = self.modem.events.get_nowait()
            except queue.Empty:
                break
            if not isinstance(event, (gsm.Rebooted, gsm.Lost)):
                kept.append(event)
        for event in kept:
            self.modem.events.put(event)
        self._next_sweep = 0.0
        self._since_report_sweep = self._burst = 0
        return info

    def close(self) -> None:
        self.modem.close()

    def is_alive(self) -> bool:
        return self.modem.is_alive()

    def health(self) -> Health:
        h = self.modem.health()
        return Health(up=h.registered, detail="" if h.registered else "pas d'enregistrement sur le réseau",
                      signal=h.signal, operator=h.operator)

    def recover(self, failures: int) -> None:
        """Every third failed connection, a power cycle through PWRKEY when the HAT has one wired."""
        if self.power_cycle is None or failures % 3:
            return
        log.warning("modem %s : aucune réponse après %d essais, redémarrage électrique", self.name, failures)
        try:
            self.power_cycle()
        except Exception:
            log.exception("redémarrage électrique du modem %s impossible", self.name)

    # -- sending --
    def segments(self, phone: str, text: str, ref: int, validity_hours: float | None) -> list[Segment]:
        parts = gsm.encode_parts(phone, text, concat_ref=ref, validity_hours=validity_hours)
        return [Segment(phone=phone, text=text, number=p.number, count=p.count, payload=p) for p in parts]

    def submit(self, segment: Segment, ids: dict) -> Pending:
        self._since_report_sweep += 1
        self._burst += 1
        pending = self.modem.begin_part(segment.payload)
        # What a late +CMGS (LateAnswer, by seq) answers: the last few parts put on their way.
        self._submits[pending.seq] = (dict(ids), time.monotonic())
        for seq in [s for s in self._submits if s <= pending.seq - 8]:
            del self._submits[seq]
        return pending

    # -- upkeep --
    def service(self, idle: bool = False) -> None:
        self.modem.settle()         # a send left unanswered: its late +CMGS first (a LateAnswer)
        if not self._drain():
            return
        if idle and self._burst:
            # A burst just ended: collect what the module stored without telling us.
            self._burst = 0
            self._sweep()
        elif self.modem.stores_reports and self._since_report_sweep >= REPORT_SWEEP_EVERY:
            # During a burst reports pile up in the module's "SR" store faster than it announces
            # them, and a full store drops new ones: empty it in one listing.
            self._sweep(("SR",))
        if time.monotonic() >= self._next_sweep:
            self._sweep()

    def _drain(self) -> bool:
        """The module's notices, acted on in order; False once the link is lost."""
        while True:
            try:
                event = self.modem.events.get_nowait()
            except queue.Empty:
                return True
            if isinstance(event, gsm.Rebooted):
                self.events.put(LinkLost(f"le module a redémarré ({event.line}) : réglages perdus", rebooted=True))
                return False
            if isinstance(event, gsm.Lost):
                self.events.put(LinkLost(event.reason))
                return False
            if isinstance(event, gsm.Stored):
                if event.memory.upper() == "SR":
                    # Reports pile up faster than the module announces them during a burst, and a
                    # full "SR" store drops new ones: one listing empties it, not one read per notice.
                    self._sweep(("SR",))
                else:
                    self._put(self.modem.read_stored(event.memory, event.index))
            else:
                self._put(event)

    def _sweep(self, memories=None) -> None:
        if memories is None:
            self._next_sweep = time.monotonic() + SWEEP_SECONDS
        if memories is None or "SR" in memories:
            self._since_report_sweep = 0
        for event in self.modem.sweep(memories):
            self._put(event)

    def _put(self, event) -> None:
        if isinstance(event, gsm.LateAnswer):
            submitted = self._submits.pop(event.seq, None)
            if submitted is not None:
                ids, started = submitted
                self.events.put(LateReference(reference=str(event.mr % 256), ids=ids,
                                              elapsed=event.at - started))
        elif isinstance(event, gsm.Report):
            self.events.put(delivery_report(event))
        elif isinstance(event, gsm.Incoming):
            self.events.put(Incoming(phone=event.number, text=event.text, time=event.time, concat=event.concat))

