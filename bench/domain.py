"""Targeting and queueing an alert to 5,000 members out of 20,000 (sector AND radius)."""

import time

import data
from common import median

from vigie.daemon.core import alerts, config, outbox, targeting

REPEAT = 5


def criteria() -> targeting.Targeting:
    return targeting.Targeting(sectors=[data.TARGET_SECTOR], around=data.CENTRE, radius_km=data.RADIUS_KM)


def run(figures, members: int) -> None:
    settings = config.parse({})
    t = criteria()
    resolve_ms, create_ms, count = [], [], 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        count = len(targeting.resolve(t))
        resolve_ms.append((time.perf_counter() - started) * 1000)
    for _ in range(REPEAT):
        started = time.perf_counter()
        alert = alerts.create("Bench : alerte de mesure, ne pas envoyer.", t, settings=settings,
                              author="bench", source="cli")
        create_ms.append((time.perf_counter() - started) * 1000)
        outbox.cancel_alert(alert.id)          # measured, never sent
    figures.note(f"targeting/enqueue: {count} recipients of {members} members "
                 f"(NAF {data.SECTOR} within {data.RADIUS_KM:g} km of Alençon), median of {REPEAT}; "
                 f"enqueue = alerts.create (validate + resolve + insert + commit, synchronous=FULL)")
    figures.figure("targeting_ms", median(resolve_ms), 1)
    figures.figure("enqueue_ms", median(create_ms), 1)
