"""Simulated SMSC speaking SMPP 3.4, the ground truth of the operator-route tests (see README.md)."""

from .faults import OUTCOMES
from .server import SimulatedSMSC

__all__ = ["SimulatedSMSC", "OUTCOMES"]
