"""A simulated Asterisk 22 (AMI server, dialplan, queues, CDR, FastAGI) for tests and demos."""

from cpaas_daemon.sim.server import SimConfig, SimulatedAsterisk

__all__ = ["SimConfig", "SimulatedAsterisk"]
