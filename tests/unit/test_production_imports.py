"""Production never loads the simulator: it is imported only under ``--simulate``."""

from __future__ import annotations

import subprocess
import sys


def test_the_daemon_imports_no_simulator_module() -> None:
    probe = (
        "import sys, cpaas_daemon.main, cpaas_daemon.app;"
        "print(sorted(m for m in sys.modules if m.startswith('cpaas_daemon.sim')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
