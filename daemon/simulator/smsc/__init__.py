"""Simulated SMSC speaking SMPP 3.4, the ground truth of the operator-route tests (see README.md)."""

from vigie.daemon.simulator.smsc.faults import OUTCOMES
from vigie.daemon.simulator.smsc.server import SimulatedSMSC

__all__ = ["SimulatedSMSC", "OUTCOMES"]
