"""Channels and their life cycle: state changes, hang-up requests, hang-up, Local pairs.

A Local channel is two halves: ``;1`` is handed to whoever called it (Originate, Dial, Queue)
and ``;2`` runs the dialplan. What ``;2`` does (answer, ring, busy, hang up) reaches the owner of
``;1`` through ``indications``, which is how chan_local's frames reach app_dial in Asterisk.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cpaas_daemon.sim.cdr import CdrRecord
from cpaas_daemon.sim.events import CAUSE_TEXT

if TYPE_CHECKING:
    from cpaas_daemon.sim.bridge import Bridge
    from cpaas_daemon.sim.core import Core

DOWN, RING, RINGING, UP, BUSY = 0, 4, 5, 6, 7


@dataclass(eq=False)
class Channel:
    """One Asterisk channel. Field names follow the AMI channel snapshot."""

    core: Core
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    state: int = DOWN
    priority: int = 1
    cid_num: str = ""
    cid_name: str = ""
    conn_num: str = ""
    conn_name: str = ""
    accountcode: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    partner: Channel | None = None
    bridge: Bridge | None = None
    cause: int | None = None
    gone: bool = False
    runs_pbx: bool = False
    created: float = field(default_factory=time.time)
    answered_at: float | None = None
    indications: asyncio.Queue[tuple[Channel, str]] = field(default_factory=asyncio.Queue)
    interrupt: asyncio.Event = field(default_factory=asyncio.Event)
    soft_hangup: bool = False
    redirect_to: tuple[str, str, int] | None = None
    dtmf: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    cdr: CdrRecord | None = None
    mixmonitor: bool = False
    placeholder: str = ""  # shown instead of the next application (redirected B side)
    dialed: str = ""  # the number this leg was requested for (decides simulated AGI input)

    # -- events -------------------------------------------------------------------------
    def event(
        self, name: str, extra: list[tuple[str, str]] | None = None, cls: str = "call"
    ) -> None:
        """Emit an event about this channel (skipped once it is gone, as Asterisk would)."""
        self.core.bus.channel_event(name, self, extra, cls)

    def set_var(self, name: str, value: str, *, emit: bool = True) -> None:
        """Set a channel variable and emit VarSet, like pbx_builtin_setvar_helper."""
        self.variables[name] = value
        if emit:
            self.event("VarSet", [("Variable", name), ("Value", value)], cls="dialplan")

    def set_state(self, state: int) -> None:
        """Change state with a Newstate event; Up also stamps the CDR answer time."""
        if self.state == state or self.gone:
            return
        self.state = state
        if state == UP and self.answered_at is None:
            self.answered_at = time.time()
            if self.cdr is not None:
                self.cdr.answered = self.answered_at
        self.event("Newstate")

    def set_callerid(self, num: str, name: str) -> None:
        """Caller ID change with the NewCallerid event."""
        self.cid_num, self.cid_name = num, name
        self.event("NewCallerid", [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])

    def set_connected(self, num: str, name: str) -> None:
        """Connected line change with NewConnectedLine."""
        self.conn_num, self.conn_name = num, name
        self.event("NewConnectedLine")

    def set_account(self, account: str) -> None:
        """Account code change with NewAccountCode (only when it really changes)."""
        if account == self.accountcode:
            return
        old, self.accountcode = self.accountcode, account
        self.event("NewAccountCode", [("OldAccountCode", old)])

    # -- hang-up ------------------------------------------------------------------------
    def request_hangup(self, cause: int, *, announce: bool = True) -> None:
        """Ask the channel's owner to hang it up; wakes whatever it waits on.

        A hang-up coming from the other half/peer shows as HangupRequest; the AMI Hangup action
        is a silent soft hang-up (``announce=False``), as in the action_hangup trace.
        """
        if self.gone or self.soft_hangup:
            return
        self.soft_hangup = True
        if self.cause is None:
            self.cause = cause
        if announce:
            self.event("HangupRequest", [("Cause", str(cause))])
        self.wake("hangup")

    def wake(self, indication: str) -> None:
        """Deliver an indication to the owner and interrupt the running application/bridge."""
        self.indications.put_nowait((self, indication))
        self.interrupt.set()
        if self.bridge is not None:
            self.bridge.changed.set()

    def hangup(self, cause: int | None = None) -> None:
        """Destroy the channel: SoftHangupRequest if it ran dialplan, tell the partner, Hangup.

        The Local partner receives a HangupRequest carrying this side's cause, which is why a
        busy ``;2`` (17) leaves its ``;1`` with cause 0 and an answered pair shows 16 twice.
        """
        if self.gone:
            return
        if self.cause is None:
            self.cause = 16 if cause is None else cause
        if self.runs_pbx:
            self.event("SoftHangupRequest", [("Cause", "16")])
        if self.bridge is not None:
            self.bridge.leave(self)
        if self.partner is not None and not self.partner.gone:
            self.partner.request_hangup(self.cause)
        self.event(
            "Hangup",
            [("Cause", str(self.cause)), ("Cause-txt", CAUSE_TEXT.get(self.cause, "Unknown"))],
        )
        self.gone = True
        self.interrupt.set()
        self.core.channel_gone(self)

    # -- waiting ------------------------------------------------------------------------
    async def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` of simulated time; False if interrupted (hang-up or redirect)."""
        if self.soft_hangup or self.redirect_to or self.gone:
            return False
        self.interrupt.clear()
        try:
            await asyncio.wait_for(self.interrupt.wait(), seconds * self.core.scale)
        except TimeoutError:
            return True
        return False

    @property
    def stopped(self) -> bool:
        """True when the running application must return (hang-up, redirect or destroyed)."""
        return self.soft_hangup or self.gone or self.redirect_to is not None


async def wait_indication(
    queue: asyncio.Queue[tuple[Channel, str]], caller: Channel, limit: float | None
) -> tuple[Channel, str] | None:
    """Next (channel, indication) from ``queue``; ``(caller, "stopped")`` if the caller must
    leave (hang-up, redirect); None when ``limit`` (already scaled) expires."""
    loop = asyncio.get_running_loop()
    deadline = None if limit is None else loop.time() + limit
    while not caller.stopped:
        remaining = None if deadline is None else max(deadline - loop.time(), 0)
        getter = asyncio.ensure_future(queue.get())
        caller.interrupt.clear()
        stopper = asyncio.ensure_future(caller.interrupt.wait())
        try:
            done, _ = await asyncio.wait(
                {getter, stopper}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
        finally:  # also when the call task is cancelled (stop, restart)
            stopper.cancel()
            if not getter.done():
                getter.cancel()
        if getter in done:
            return getter.result()
        if not done:
            return None
    return caller, "stopped"
