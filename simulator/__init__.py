"""Simulator of the five departmental systems (see simulator/README.md)."""

from simulator.minimal import SimulationSummary, simulate

__all__ = ["SimulationSummary", "simulate"]
