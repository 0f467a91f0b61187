"""When an alert starts: a time given in Europe/Paris, quiet hours for non-urgent alerts.

Operators think in Paris time whatever the system's zone; the store keeps epoch seconds. A start
time is a fact stored with the alert, so a box that was off at that moment sends it once when it
comes back (``alerts.start_due``), unless the alert expired meanwhile.
"""

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from vigie.daemon.core.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")

_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
            "%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M", "%d/%m/%Y à %H:%M", "%d/%m/%Y à %Hh%M")


def parse_when(text: str, field: str = "at") -> float:
    """« 2026-12-02 08:00 » or « 02/12/2026 08:00 » (Europe/Paris) → epoch seconds."""
    value = re.sub(r"\s+", " ", (text or "").strip())
    for fmt in _FORMATS:
        try:
            local = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=PARIS).timestamp()
    raise InvalidInput(f"Date et heure illisibles : « {text} » (attendu : AAAA-MM-JJ HH:MM, heure de Paris, "
                       "par exemple 2026-12-02 08:00).", field)


def paris(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, PARIS)


def fmt_paris(ts: float) -> str:
    """« 02/12/2026 à 08:00 »: how the CLI and the console write a start time."""
    return paris(ts).strftime("%d/%m/%Y à %H:%M")


def _clock(text: str, key: str) -> dt.time:
    m = re.fullmatch(r"\s*(\d{1,2})\s*[:h]\s*(\d{2})\s*", text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise InvalidInput(f"[alerts] {key} : heure illisible « {text} » (attendu HH:MM).", key)
    return dt.time(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class QuietHours:
    """A daily window (Paris time) during which non-urgent alerts wait; it may span midnight."""
    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> "QuietHours | None":
        """« 21:00-07:30 » → a window; « » → none (the default)."""
        text = (text or "").strip()
        if not text:
            return None
        if "-" not in text:
            raise InvalidInput(f"[alerts] quiet_hours : « {text} » n'est pas une plage (attendu 21:00-07:30).",
                               "quiet_hours")
        start, end = text.split("-", 1)
        window = cls(_clock(start, "quiet_hours"), _clock(end, "quiet_hours"))
        if window.start == window.end:
            raise InvalidInput("[alerts] quiet_hours : le début et la fin sont identiques.", "quiet_hours")
        return window

    def contains(self, ts: float) -> bool:
        t = paris(ts).time()
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def release(self, ts: float) -> float:
        """``ts`` itself outside the window, else the window's end (the next one, across midnight)."""
        if not self.contains(ts):
            return ts
        local = paris(ts)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            # zoneinfo resolves the offset from the wall time: right across a DST change too
            end = (local + dt.timedelta(days=1)).replace(hour=self.end.hour, minute=self.end.minute,
                                                          second=0, microsecond=0)
        return end.timestamp()

    def describe(self) -> str:
        return f"de {self.start:%H:%M} à {self.end:%H:%M}"


def quiet_hours(settings) -> QuietHours | None:
    return QuietHours.parse(getattr(getattr(settings, "alerts", None), "quiet_hours", "") or "")


def start_time(settings, *, at: float | None, urgent: bool, now: float) -> float:
    """When an alert will actually start: its requested time, pushed past quiet hours unless urgent."""
    start = max(now, at) if at is not None else now
    window = quiet_hours(settings)
    if window is not None and not urgent:
        start = window.release(start)
    return start
