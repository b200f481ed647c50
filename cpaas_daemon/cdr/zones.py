"""The time zone of each PBX's wall clock.

Asterisk writes CDR times (``StartTime``, Master.csv) in its host's local time, with no
offset. With several PBXs in several zones, each ``[[pbx]]`` entry may say its own
``ami.pbx_timezone``; the others use ``[ami]``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from cpaas_daemon.timefmt import WALL_FORMAT


@dataclass(frozen=True)
class PbxZones:
    default: ZoneInfo
    by_pbx: Mapping[str, ZoneInfo] = field(default_factory=dict)

    def of(self, pbx_id: str) -> ZoneInfo:
        return self.by_pbx.get(pbx_id, self.default)

    def wall(self, moment: datetime, pbx_id: str) -> str:
        """``moment`` as that PBX's own CDRs would say it (the ingest reads it back): the
        CDRs the daemon writes for a PBX (built from AMI, or for a lost call)."""
        return moment.astimezone(self.of(pbx_id)).strftime(WALL_FORMAT)
