"""Simulated SIM800 / SIM7600 modem on a pseudo-terminal (see README.md)."""

from vigie.daemon.simulator.modem import OUTCOMES, SimulatedModem

__all__ = ["SimulatedModem", "OUTCOMES"]
