"""The daemon's AMI connection: :class:`~cpaas_daemon.ami.protocol.AmiProtocol` (our
framing and action matching over panoramisk's frame parser) plus a connection policy.

panoramisk 1.4's Manager was the first version of this; its policy is unsafe for a
dialer, which is why the daemon owns both the protocol and the policy:

* it re-sends un-answered actions after a reconnect (an Originate would ring twice):
  here every pending action fails with :class:`AmiUnavailable` when the link drops and
  nothing is ever re-sent;
* it reconnects after a fixed whole-second delay: here backoff is capped exponential;
* it pings but never checks the Pong: here a missed Pong closes the link (dead peer);
* it resolves an async Originate only at its OriginateResponse and hides that event
  from subscribers: here the Originate resolves at ``Originate successfully queued``
  and the OriginateResponse is published on the bus like every other event;
* it guesses from the reply's text whether more messages follow, and guesses wrong:
  ``Atxfer successfully queued`` raised ``KeyError('async')`` inside the protocol (the
  link dropped, every pending action failed), ``Added interface to queue`` (QueueAdd)
  waited for a list that never comes. Here each action knows whether it answers with a
  list (:data:`~cpaas_daemon.ami.actions.ACTIONS`), so nothing is guessed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from cpaas_daemon.ami import actions
from cpaas_daemon.ami.actions import AmiAction
from cpaas_daemon.ami.bus import EventBus, PbxEvents
from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.ami.protocol import AmiProtocol, Answer, Event
from cpaas_daemon.config import DEFAULT_PBX_ID, AmiConfig
from cpaas_daemon.metrics import Metrics

log = structlog.get_logger(__name__)


class AmiClient:
    """Keeps one logged-in AMI session alive and exposes :meth:`send`."""

    def __init__(
        self, config: AmiConfig, bus: EventBus, metrics: Metrics, pbx_id: str = DEFAULT_PBX_ID
    ) -> None:
        self.config = config
        self.pbx_id = pbx_id
        self.bus = bus
        self._events = PbxEvents(bus, pbx_id)  # every event names this PBX
        self._connected_gauge = metrics.ami_connected.labels(pbx_id)
        self.metrics = metrics
        self._protocol: AmiProtocol | None = None
        self._lost = asyncio.Event()
        self._logged_in = asyncio.Event()  # the session may send actions
        self._ready = asyncio.Event()  # ... and the login hooks ran: services may use it
        self._supervisor: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._id_prefix = f"cpaas-{os.getpid()}-{id(self) & 0xFFFF:04x}"
        self._on_login: list[Callable[[], Awaitable[None]]] = []
        self._stopping = False

    def on_login(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` after every successful login (state resync after a reconnect),
        before :attr:`connected` says so: a call placed then finds the dialplan's
        globals set and the tracker resynced."""
        self._on_login.append(hook)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def set_endpoint(self, host: str, port: int) -> None:
        """Re-target before :meth:`start` (the embedded simulator binds a free port)."""
        self.config = self.config.model_copy(update={"host": host, "port": port})

    def next_action_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids)}"

    async def start(self) -> None:
        self._stopping = False
        self._supervisor = asyncio.create_task(
            self._supervise(), name=f"ami-supervisor-{self.pbx_id}"
        )

    async def stop(self) -> None:
        if self._supervisor is not None:
            # Python 3.11's wait_for can swallow a cancel that lands as a connect attempt
            # fails (gh-86296); the flag ends the reconnect loop then (tests hung on it).
            self._stopping = True
            self._lost.set()  # and ends a watch such a cancel would have left running
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        self._close_protocol()

    async def wait_connected(self) -> None:
        """Wait until logged in and ready (callers bound it with ``asyncio.timeout``)."""
        await self._ready.wait()

    async def send(self, action: AmiAction, *, action_id: str | None = None) -> Answer:
        """Send one action (built by :mod:`cpaas_daemon.ami.actions`); returns its answer,
        or the list of frames of a list action (CoreShowChannels, QueueStatus ...).

        ``action_id`` names it (an Originate names its call), else one is made up.
        Raises :class:`AmiUnavailable` when not logged in (``sent=False``), when the link
        drops before the answer or on timeout (``sent=True``), and :class:`AmiRefused` on
        ``Response: Error``. The action is never sent twice.
        """
        protocol = self._protocol
        if not self._logged_in.is_set() or protocol is None:
            raise AmiUnavailable("PBX is not connected", sent=False)
        action_id = action_id or self.next_action_id()
        future = protocol.send(action, action_id)
        try:
            result = await asyncio.wait_for(asyncio.shield(future), self.config.action_timeout)
        except TimeoutError:
            protocol.forget(action_id)
            raise AmiUnavailable(f"PBX did not answer {action.name} in time", sent=True) from None
        first = result[0] if isinstance(result, list) else result
        if first.get("Response") == "Error":
            raise AmiRefused(first.get("Message", "error"))
        return result

    async def send_one(self, action: AmiAction, *, action_id: str | None = None) -> Event:
        """:meth:`send` for an action answered by one frame."""
        result = await self.send(action, action_id=action_id)
        assert not isinstance(result, list), action.name
        return result

    async def send_list(self, action: AmiAction) -> list[Event]:
        """:meth:`send` for a list action: its frames, the answer first."""
        result = await self.send(action)
        assert isinstance(result, list), action.name
        return result

    def _on_lost(self, exc: BaseException | None) -> None:
        if self._logged_in.is_set():
            log.warning(
                "ami.disconnected", pbx=self.pbx_id, reason="shutdown" if exc is None else repr(exc)
            )
        self._logged_in.clear()
        self._ready.clear()
        self._connected_gauge.set(0)
        self._lost.set()

    def _close_protocol(self) -> None:
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None
        self._logged_in.clear()
        self._ready.clear()
        self._connected_gauge.set(0)

    async def _supervise(self) -> None:
        delay = self.config.reconnect_min
        while not self._stopping:
            try:
                await self._connect_and_login()
            except (OSError, AmiUnavailable, AmiRefused, TimeoutError) as exc:
                log.warning(
                    "ami.connect_failed",
                    pbx=self.pbx_id,
                    error=str(exc) or repr(exc),
                    retry_in=delay,
                )
                self._close_protocol()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.reconnect_max)
                continue
            delay = self.config.reconnect_min
            # The login hooks (state resync, dialplan globals) run beside the watch: a peer
            # that dies while they wait for answers is still caught by the missed Pong.
            hooks = asyncio.create_task(self._after_login(), name="ami-login-hooks")
            try:
                await self._watch()
            finally:
                hooks.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await hooks
            self._close_protocol()
            self.metrics.ami_reconnects.inc()
            await asyncio.sleep(self.config.reconnect_min)

    async def _connect_and_login(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost.clear()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(
                lambda: AmiProtocol(self._events, self.metrics, self._on_lost),
                self.config.host,
                self.config.port,
            ),
            self.config.action_timeout,
        )
        self._protocol = protocol
        login = protocol.send(
            actions.login(self.config.username, self.config.secret, self.bus.event_classes()),
            self.next_action_id(),
        )
        waiter: asyncio.Future[Any] = asyncio.ensure_future(self._lost.wait())
        try:
            done, _ = await asyncio.wait(
                {login, waiter}, timeout=self.config.action_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )  # fmt: skip
        finally:
            waiter.cancel()
        if login not in done:
            raise AmiUnavailable("no answer to Login", sent=True)
        response = login.result()
        assert not isinstance(response, list)
        if response.get("Response") != "Success":
            raise AmiRefused(f"login refused: {response.get('Message', '')}")
        self._logged_in.set()
        log.info("ami.connected", pbx=self.pbx_id, host=self.config.host, port=self.config.port)

    async def _after_login(self) -> None:
        """The login hooks, then ready; a hook that fails on a live link is logged and
        the session is used anyway (a dead link is the watch's to drop)."""
        for hook in self._on_login:
            try:
                await hook()
            except AmiUnavailable as exc:
                if self._lost.is_set():  # the link dropped: the next login runs them again
                    return
                # A slow answer on a live link: carry on, or a PBX busy at boot would keep
                # the daemon "not connected" while its Pings are answered.
                log.warning("ami.login_hook_failed", hook=repr(hook), error=exc.message)
            except Exception:
                log.exception("ami.login_hook_failed", hook=repr(hook))
        self._ready.set()
        self._connected_gauge.set(1)

    async def _watch(self) -> None:
        """Ping every interval; a missed Pong means a dead peer, so drop the link."""
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.config.ping_interval)
                return
            try:
                await asyncio.wait_for(self.send(actions.ping()), self.config.ping_timeout)
            except (TimeoutError, AmiUnavailable, AmiRefused):
                log.warning("ami.dead_peer", timeout=self.config.ping_timeout)
                return
