"""The reliability figures the chaos tests collect (one process, one report)."""

import collections
import threading

# Printed in this order, then anything else in the order it was first added.
ORDER = [
    "broadcasts", "messages_targeted", "sms_on_air", "sms_lost", "messages_not_final",
    "final_without_reason", "failed_with_reason", "duplicates", "duplicates_flagged_possible",
    "duplicates_not_flagged", "in_flight_at_kills", "daemon_kill_moments", "daemon_sigkills", "console_sigkills",
    "crashes_survived", "power_cut_snapshots", "integrity_checks_ok", "integrity_checks_failed",
    "faults_injected", "faults_survived", "database_locked_errors", "console_requests_under_load",
    "console_errors_under_load", "hostile_inputs_tried", "hostile_inputs_rejected",
    "hostile_inputs_accepted", "hostile_modem_inputs", "daemon_crashes_on_hostile_bytes",
]


class Report:
    def __init__(self):
        self._lock = threading.Lock()
        self.figures: dict = collections.OrderedDict()
        self.recovery: dict = collections.OrderedDict()     # fault -> [seconds]
        self.duplicate_details: list = []                    # (test, message id, phone, extra, flagged)

    def empty(self) -> bool:
        return not self.figures and not self.recovery

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.figures[name] = self.figures.get(name, 0) + n

    def set(self, name: str, value) -> None:
        with self._lock:
            self.figures[name] = value

    def recovered(self, fault: str, seconds: float) -> None:
        with self._lock:
            self.recovery.setdefault(fault, []).append(seconds)

    def duplicate(self, test: str, message_id: int, phone: str, extra: int, flagged: bool) -> None:
        with self._lock:
            self.duplicate_details.append((test, message_id, phone, extra, flagged))

    def lines(self) -> list[str]:
        with self._lock:
            figures = dict(self.figures)
            recovery = {k: list(v) for k, v in self.recovery.items()}
            details = list(self.duplicate_details)
        names = [n for n in ORDER if n in figures] + [n for n in figures if n not in ORDER]
        out = [f"{name}: {figures[name]}" for name in names]
        for fault, values in recovery.items():
            out.append(f"recovery_seconds.{fault}: max {max(values):.2f} "
                       f"(mean {sum(values) / len(values):.2f}, n={len(values)})")
        for i, (test, message_id, phone, extra, flagged) in enumerate(details, 1):
            out.append(f"duplicate.{i}: message {message_id} to {phone}, {extra} extra copy(ies), "
                       f"flagged possible_duplicate: {'yes' if flagged else 'NO'} ({test})")
        return out


REPORT = Report()
