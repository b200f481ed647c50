"""Campaign tests run the daemon against the simulated Asterisk, like tests/integration."""

from tests.integration.conftest import agi_port, daemon, sim

__all__ = ["agi_port", "daemon", "sim"]
