"""The module's real-time clock: after power-up a SIM800 counts from 2004-01-01 00:00 (+00) until it takes the
network's time (NITZ: AT+CLTS=1; a SIM7600 takes it by default, AT+CTZU); AT+CCLK= sets it by hand."""

import time

POWER_UP_EPOCH = 1072915200.0      # 2004-01-01 00:00 UTC


class Clock:
    def __init__(self, network_time):
        self.network_time = network_time   # take the network's time (kept across power cycles, like AT&W)
        self.network_offset = 0.0          # the network's clock minus the host's
        self._set = None                   # (epoch, monotonic, quarters) after AT+CCLK=
        self._powered_at = time.monotonic()

    def power_up(self):
        self._set = None
        self._powered_at = time.monotonic()

    def now(self):
        """(epoch, offset in quarter hours) that AT+CCLK? shows."""
        if self._set:
            epoch, mono, quarters = self._set
            return epoch + time.monotonic() - mono, quarters
        if self.network_time:
            now = time.time() + self.network_offset
            return now, time.localtime(now).tm_gmtoff // 900
        return POWER_UP_EPOCH + time.monotonic() - self._powered_at, 0

    def set(self, epoch, quarters):
        self._set = (epoch, time.monotonic(), quarters)
