"""The configuration of a daemon that talks to a simulator on this host.

Tests and benchmarks both run the real daemon against :mod:`cpaas_daemon.sim` on
127.0.0.1 with every file it writes under one directory; this is that configuration,
in one place, so a new setting that needs a path is added once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cpaas_daemon.config import Config, load_config

# Not the built-in default (``cpaas-secret``), which ``run`` refuses outside --simulate:
# the simulators that tests and benchmarks start take this one (SimConfig(secret=...)).
SIM_AMI_SECRET = "sim-ami-secret-for-tests"


def daemon_config(workdir: Path, ami_port: int, agi_port: int, **overrides: Any) -> Config:
    """Loopback HTTP on a free port, quick AMI reconnects, files under ``workdir``.

    ``overrides`` replace settings section by section (``ami={"ping_interval": 5}``
    keeps the other AMI settings).
    """
    base: dict[str, Any] = {
        "http": {"host": "127.0.0.1", "port": 0},
        "ami": {
            "host": "127.0.0.1",
            "port": ami_port,
            "secret": SIM_AMI_SECRET,
            "reconnect_min": 0.05,
            "reconnect_max": 0.5,
            "ping_interval": 1.0,
            "ping_timeout": 1.0,
            "action_timeout": 5.0,
        },
        "agi": {"host": "127.0.0.1", "port": agi_port},
        "store": {"path": str(workdir / "cpaas.sqlite3")},
        "dial": {
            "outbound_template": "Local/{number}@sim-endpoints",
            "extension_template": "Local/{number}@sim-endpoints",
            "recordings_dir": str(workdir / "recordings"),
        },
        "tts": {"cache_dir": str(workdir / "tts")},
        "campaigns": {"uploads_dir": str(workdir / "uploads")},
        "queue_log": {"path": str(workdir / "queue_log"), "poll_interval": 0.05},
        "cdr": {"csv_path": str(workdir / "Master.csv"), "poll_interval": 0.2},
        "log": {"format": "console", "level": "warning"},
    }
    for section, values in overrides.items():
        if isinstance(values, dict):
            base[section] = {**base.get(section, {}), **values}
        else:
            base[section] = values
    return load_config(None, environ={}, overrides=base)
