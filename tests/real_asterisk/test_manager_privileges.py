"""The write classes the shipped manager.conf grants, against what Asterisk itself says
each action the daemon sends requires (``manager show command``)."""

from __future__ import annotations

from tests.real_asterisk.conftest import REAL_ASTERISK
from tests.real_asterisk.rig import AsteriskRig
from tests.unit.asterisk.test_dialplan_files import ACTION_CLASSES

pytestmark = REAL_ASTERISK


async def test_the_privilege_table_is_asterisks_own(asterisk: AsteriskRig) -> None:
    for action, classes in ACTION_CLASSES.items():
        lines = (await asterisk.cli(f"manager show command {action}")).splitlines()
        at = next(i for i, line in enumerate(lines) if "[Privilege]" in line)
        told = {c.strip() for c in lines[at + 1].split(",")} - {"all", "<none>"}
        assert told == classes, (action, told)
