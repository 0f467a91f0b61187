"""What the chaos tests check after every run: the air logs against the outbox.

"Lost" = a targeted recipient with no complete SMS in any air log whose message is not in a final
failed/expired/cancelled state with a reason. A duplicate is one more complete copy of a message on
air; each must be flagged ``possible_duplicate`` in the store.
"""

import collections
import dataclasses
import os
import time

from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Message

FINAL_OK = {"delivered", "sent"}
FINAL_WITH_REASON = {"failed", "expired", "cancelled"}


@dataclasses.dataclass
class Verdict:
    targeted: int = 0
    on_air: int = 0                       # SMS parts seen on air for these messages
    lost: list = dataclasses.field(default_factory=list)
    not_final: list = dataclasses.field(default_factory=list)
    without_reason: list = dataclasses.field(default_factory=list)
    failed: int = 0
    duplicates: int = 0
    flagged: int = 0
    unflagged: list = dataclasses.field(default_factory=list)
    duplicated: list = dataclasses.field(default_factory=list)     # (message id, phone, extra, flagged)
    states: dict = dataclasses.field(default_factory=dict)

    def problems(self) -> str:
        return (f"perdus={self.lost[:5]} non finis={self.not_final[:5]} sans raison={self.without_reason[:5]} "
                f"doublons non signalés={self.unflagged[:5]} états={self.states}")

    @property
    def ok(self) -> bool:
        return not (self.lost or self.not_final or self.without_reason or self.unflagged)


def air_copies(sims) -> dict:
    """{(phone, parts): {part number: copies on air}} over every simulated modem."""
    copies = collections.defaultdict(collections.Counter)
    for sim in sims:
        for entry in sim.air():
            copies[(entry["to"], entry["parts"])][entry["part"]] += 1
    return copies


def audit(sims, query=None) -> Verdict:
    """Compare each message of ``query`` (default: all) with the air logs of ``sims``."""
    copies = air_copies(sims)
    query = query if query is not None else Message.select()
    v = Verdict()
    v.states = dict(collections.Counter(m.state for m in query))
    for m in query:
        v.targeted += 1
        per_part = copies.get((m.phone, m.parts), collections.Counter())
        counts = [per_part.get(n, 0) for n in range(1, m.parts + 1)]
        v.on_air += sum(counts)
        complete = min(counts) if counts else 0
        extra = max(counts) - 1 if counts and max(counts) > 1 else 0
        if m.state not in FINAL_OK | FINAL_WITH_REASON:
            v.not_final.append((m.id, m.phone, m.state))
        if m.state in FINAL_WITH_REASON:
            v.failed += 1
            if not (m.error or "").strip():
                v.without_reason.append((m.id, m.phone, m.state))
        if complete == 0 and not (m.state in FINAL_WITH_REASON and (m.error or "").strip()):
            v.lost.append((m.id, m.phone, m.state, m.error))
        if extra:
            v.duplicates += extra
            v.duplicated.append((m.id, m.phone, extra, bool(m.possible_duplicate)))
            if m.possible_duplicate:
                v.flagged += extra
            else:
                v.unflagged.append((m.id, m.phone, extra))
    return v


def record(report, v: Verdict) -> None:
    """Add one run's figures to the suite's report, each duplicate named."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("::")[-1]
    for message_id, phone, extra, flagged in v.duplicated:
        report.duplicate(test, message_id, phone, extra, flagged)
    report.add("broadcasts")
    report.add("messages_targeted", v.targeted)
    report.add("sms_on_air", v.on_air)
    report.add("sms_lost", len(v.lost))
    report.add("messages_not_final", len(v.not_final))
    report.add("final_without_reason", len(v.without_reason))
    report.add("failed_with_reason", v.failed - len(v.without_reason))
    report.add("duplicates", v.duplicates)
    report.add("duplicates_flagged_possible", v.flagged)
    report.add("duplicates_not_flagged", len(v.unflagged))


def drained(timeout: float) -> bool:
    """Wait until nothing waits or is being sent (the database changes under us)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox.queue_depth() == 0:
            return True
        time.sleep(0.1)
    return outbox.queue_depth() == 0


def integrity_ok() -> bool:
    return db_mod.integrity_check(db_mod.models.database.obj) == "ok"


def next_air_after(sim, moment: float, timeout: float = 30.0) -> float | None:
    """Seconds from ``moment`` to the first SMS this modem put on air after it."""
    found = sim.wait_event(lambda e: e["type"] == "on_air" and e["time"] >= moment, timeout)
    return None if found is None else found["time"] - moment


def fault_end(sim, kind: str, after: float, timeout: float = 60.0) -> float | None:
    """Time of the simulator event that ends a fault (hang_over, replugged, boot_lines, registered)."""
    found = sim.wait_event(lambda e: e["type"] == kind and e["time"] >= after, timeout)
    return None if found is None else found["time"]
