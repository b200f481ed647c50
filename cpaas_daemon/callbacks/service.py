"""The callback API's operations: create, modify, cancel, look up -- one account each.

Inputs arrive format-checked (numbers, on/off); the time rules live here because a
PATCH is judged against the stored values it does not change (e.g. the stored zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from cpaas_daemon.callbacks.dialer import CallbackDialer
from cpaas_daemon.callbacks.model import Callback, CallbackSpec, CallbackState, resolve_due
from cpaas_daemon.callbacks.repository import CallbackRepository
from cpaas_daemon.calls.service import CallService
from cpaas_daemon.config import CallbacksConfig
from cpaas_daemon.errors import Conflict, NotFound
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import utc_now


class CallbackService:
    def __init__(self, db: Database, calls: CallService, config: CallbacksConfig) -> None:
        self._repo = CallbackRepository(db)
        self._dialer = CallbackDialer(self._repo, calls, config.grace_seconds, config.poll_seconds)

    async def start(self) -> None:
        await self._dialer.start()

    async def stop(self) -> None:
        await self._dialer.stop()

    def on_cdr_summary(self, request_id: str, dial_status: str) -> None:
        """``CdrIngest.on_summary`` listener: the CDR settles a dialled callback."""
        self._dialer.on_cdr_summary(request_id, dial_status)

    async def create(self, account_id: str, spec: CallbackSpec) -> str:
        due = resolve_due(spec, utc_now())
        request_id = await self._repo.insert(account_id, spec, due)
        self._dialer.schedule()
        return request_id

    async def modify(self, account_id: str, request_id: str, changes: Mapping[str, str]) -> None:
        """Apply the fields given (``changes`` keys are CallbackSpec fields), keep the rest.

        Changing only ``time_zone`` re-reads the stored wall-clock time in the new zone.
        """
        current = await self._scheduled(account_id, request_id, "modified")
        spec = replace(current.spec, **changes)
        due = resolve_due(spec, utc_now())
        if not await self._repo.reschedule(request_id, spec, due):
            raise _conflict(await self.get(account_id, request_id), "modified")
        self._dialer.schedule()

    async def cancel(self, account_id: str, request_id: str) -> None:
        await self._scheduled(account_id, request_id, "deleted")
        if not await self._repo.move(
            request_id, CallbackState.CANCELLED, [CallbackState.SCHEDULED], reason="deleted"
        ):
            raise _conflict(await self.get(account_id, request_id), "deleted")

    async def get(self, account_id: str, request_id: str) -> Callback:
        callback = await self._repo.get(request_id, account_id)
        if callback is None:
            # Same answer for unknown and another account's: nothing leaks.
            raise NotFound("callback request not found")
        return callback

    async def _scheduled(self, account_id: str, request_id: str, verb: str) -> Callback:
        callback = await self.get(account_id, request_id)
        if callback.state is not CallbackState.SCHEDULED:
            raise _conflict(callback, verb)
        return callback


def _conflict(callback: Callback, verb: str) -> Conflict:
    """Also used when a conditional write lost a race (the dialer claimed it first)."""
    return Conflict(
        f"callback request is {callback.state}; only a scheduled callback can be {verb}",
        details={"request_id": callback.request_id, "state": callback.state.value},
    )
