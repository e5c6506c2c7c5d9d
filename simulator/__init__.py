"""Departmental simulator: one consistent synthetic Taicang delivered the way the five
departmental systems deliver (see simulator/README.md)."""

from .core import DATASETS, SimulationSummary, simulate
from .landing import replay
from .profile import QUIRKS, Profile
from .server import SimServer, serve

__all__ = ["DATASETS", "QUIRKS", "Profile", "SimServer", "SimulationSummary", "replay", "serve", "simulate"]
