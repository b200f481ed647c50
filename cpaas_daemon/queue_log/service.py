"""The call-center statistics service behind the /stats/ API: one object per app."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.pbx.pool import PbxPool
from cpaas_daemon.queue_log.filters import UTC
from cpaas_daemon.queue_log.lookups import Lookups
from cpaas_daemon.queue_log.realtime import Realtime
from cpaas_daemon.queue_log.reports import Reports
from cpaas_daemon.queue_log.users import StatsUsers
from cpaas_daemon.store.db import Database


@dataclass(frozen=True)
class QueueStats:
    """Reports, lookups, realtime and users; dates are read and shown in ``tz``."""

    db: Database
    ami: PbxPool
    users: StatsUsers
    tz: ZoneInfo = UTC

    @property
    def reports(self) -> Reports:
        return Reports(self.db, self.tz)

    @property
    def lookups(self) -> Lookups:
        return Lookups(self.db, self.tz)

    @property
    def realtime(self) -> Realtime:
        return Realtime(self.ami, self.db, self.tz)

    def in_zone(self, name: str | None) -> QueueStats:
        """The same service reporting in another zone (the ``tz`` request parameter)."""
        if not name or name == self.tz.key:
            return self
        try:
            return replace(self, tz=ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed(f"unknown time zone: {name}") from None
