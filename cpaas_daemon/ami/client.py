"""The daemon's AMI connection, built on panoramisk's protocol and message parsing.

panoramisk 1.4's Manager is kept for framing and action/response matching, but its
connection policy is replaced because it is unsafe for a dialer:

* it re-sends un-answered actions after a reconnect (an Originate would ring twice):
  here every pending action fails with :class:`PbxUnavailable` when the link drops and
  nothing is ever re-sent;
* it reconnects after a fixed whole-second delay: here backoff is capped exponential;
* it pings but never checks the Pong: here a missed Pong closes the link (dead peer);
* it resolves an async Originate only at its OriginateResponse and hides that event
  from subscribers: here the Originate resolves at ``Originate successfully queued``
  and the OriginateResponse is published on the bus like every other event;
* it guesses from the reply's text whether more messages follow, and guesses wrong:
  ``Atxfer successfully queued`` raised ``KeyError('async')`` inside the protocol (the
  link dropped, every pending action failed), ``Added interface to queue`` (QueueAdd)
  waited for a list that never comes. Here the caller says whether an action answers
  with a list (``as_list``, default no), so panoramisk's guess never runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog
from panoramisk import Manager
from panoramisk.actions import Action
from panoramisk.message import Message

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.ami.protocol import EventProtocol
from cpaas_daemon.config import AmiConfig
from cpaas_daemon.errors import PbxUnavailable
from cpaas_daemon.metrics import Metrics

log = structlog.get_logger(__name__)

ActionFields = Mapping[str, str | Sequence[str]]


class AmiError(PbxUnavailable):
    """Asterisk answered ``Response: Error``; ``message`` is its text."""

    status = 502
    error_id = "pbx_error"


def as_event(message: Message) -> dict[str, str]:
    """A plain dict with the original header case; repeated headers joined by newlines."""
    return {
        key: "\n".join(value) if isinstance(value, list) else value
        for key, value in message._store.values()
    }


class _Manager(Manager):
    """panoramisk Manager whose connection lifecycle is driven by :class:`AmiClient`."""

    def __init__(self, client: AmiClient, **config: Any) -> None:
        super().__init__(**config)
        self._client = client

    def connection_made(self, f: asyncio.Future[Any]) -> None:  # replaced: see AmiClient
        raise NotImplementedError

    def dispatch(self, event: Message) -> list[str]:
        self._client.on_message(event)
        return []

    def connection_lost(self, exc: BaseException | None) -> None:
        self._client.on_connection_lost(exc)


class AmiClient:
    """Keeps one logged-in AMI session alive and exposes ``send`` / ``originate``."""

    def __init__(self, config: AmiConfig, bus: EventBus, metrics: Metrics) -> None:
        self.config = config
        self.bus = bus
        self.metrics = metrics
        self._manager = _Manager(
            self,
            host=config.host,
            port=config.port,
            username=config.username,
            secret=config.secret,
            forgetable_actions=(),
            protocol_factory=EventProtocol,
        )
        self._protocol: Any = None
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
        self._supervisor = asyncio.create_task(self._supervise(), name="ami-supervisor")

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

    async def send(self, fields: ActionFields, *, as_list: bool = False) -> Any:
        """Send one action; returns its Message, or the list of Messages of a list action
        (``as_list=True``: CoreShowChannels, QueueStatus ...).

        Raises :class:`PbxUnavailable` when not logged in, when the link drops before the
        answer, or on timeout, and :class:`AmiError` on ``Response: Error``. The action is
        never sent twice.
        """
        if not self._logged_in.is_set() or self._protocol is None:
            raise PbxUnavailable("PBX is not connected")
        action = Action(dict(fields), as_list=as_list)
        if "ActionID" not in fields:  # a caller may name it (an Originate names its call)
            action["ActionID"] = self.next_action_id()
        future = self._protocol.send(action, as_list=as_list)
        try:
            result = await asyncio.wait_for(asyncio.shield(future), self.config.action_timeout)
        except TimeoutError:
            self._forget(action)
            raise PbxUnavailable(f"PBX did not answer {fields.get('Action')} in time") from None
        first = result[0] if isinstance(result, list) else result
        if first.get("Response") == "Error":
            raise AmiError(first.get("Message", "error"))
        return result

    async def originate(self, fields: ActionFields) -> Message:
        """Async Originate: resolves at ``Originate successfully queued``.

        The call's progress (OriginateResponse, Newchannel ...) arrives on the bus; the
        caller sets ``ChannelId`` so those events can be correlated from the first one.
        """
        merged = {**dict(fields), "Action": "Originate", "Async": "true"}
        return await self.send(merged, as_list=False)

    def on_message(self, message: Message) -> None:
        """An event panoramisk parsed (most take :class:`EventProtocol`'s fast path)."""
        self.metrics.ami_events.inc()
        self.bus.publish(as_event(message))

    def on_connection_lost(self, exc: BaseException | Message | None) -> None:
        reason = "shutdown" if isinstance(exc, Message) else repr(exc)
        if self._logged_in.is_set():
            log.warning("ami.disconnected", reason=reason)
        self._logged_in.clear()
        self._ready.clear()
        self.metrics.ami_connected.set(0)
        self._fail_pending()
        self._lost.set()

    def _forget(self, action: Action) -> None:
        if self._protocol is not None:
            self._protocol.responses.pop(action.id, None)

    def _fail_pending(self) -> None:
        """Every un-answered action fails now; none is queued for re-sending.

        panoramisk's protocol moves pending actions to ``awaiting_actions`` when the
        socket closes; they are failed from there too, and that list is never replayed.
        """
        pending = list(self._manager.awaiting_actions)
        self._manager.awaiting_actions.clear()
        if self._protocol is not None:
            pending.extend(self._protocol.responses.values())
            self._protocol.responses.clear()
        for action in pending:
            if not action.future.done():
                action.future.set_exception(
                    PbxUnavailable("connection to the PBX was lost before it answered")
                )

    def _close_protocol(self) -> None:
        if self._protocol is not None:
            self._fail_pending()
            self._protocol.closed = True
            self._protocol.transport.close()
            self._protocol = None
        self._logged_in.clear()
        self._ready.clear()
        self.metrics.ami_connected.set(0)

    async def _supervise(self) -> None:
        delay = self.config.reconnect_min
        while not self._stopping:
            try:
                await self._connect_and_login()
            except (OSError, PbxUnavailable, TimeoutError) as exc:
                log.warning("ami.connect_failed", error=str(exc) or repr(exc), retry_in=delay)
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
                self._manager.config["protocol_factory"], self.config.host, self.config.port
            ),
            self.config.action_timeout,
        )
        protocol.factory = self._manager
        protocol.log = self._manager.log
        protocol.encoding = "utf8"
        protocol.bus, protocol.metrics = self.bus, self.metrics  # its fast path for events
        self._protocol = protocol
        login = Action(
            {
                "Action": "Login",
                "ActionID": self.next_action_id(),
                "Username": self.config.username,
                "Secret": self.config.secret,
                "Events": "on",
            }
        )
        waiter = asyncio.ensure_future(self._lost.wait())
        try:
            done, _ = await asyncio.wait(
                {protocol.send(login), waiter},
                timeout=self.config.action_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waiter.cancel()
        if not done or login.future not in done:
            raise PbxUnavailable("no answer to Login")
        response = login.future.result()
        if response.get("Response") != "Success":
            raise PbxUnavailable(f"login refused: {response.get('Message', '')}")
        self._logged_in.set()
        log.info("ami.connected", host=self.config.host, port=self.config.port)

    async def _after_login(self) -> None:
        """The login hooks, then ready; a hook that fails on a live link is logged and
        the session is used anyway (a dead link is the watch's to drop)."""
        for hook in self._on_login:
            try:
                await hook()
            except PbxUnavailable as exc:  # the link dropped or the peer went silent
                log.warning("ami.login_hook_failed", hook=repr(hook), error=exc.message)
                return
            except Exception:
                log.exception("ami.login_hook_failed", hook=repr(hook))
        self._ready.set()
        self.metrics.ami_connected.set(1)

    async def _watch(self) -> None:
        """Ping every interval; a missed Pong means a dead peer, so drop the link."""
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.config.ping_interval)
                return
            try:
                await asyncio.wait_for(self.send({"Action": "Ping"}), self.config.ping_timeout)
            except (TimeoutError, PbxUnavailable):
                log.warning("ami.dead_peer", timeout=self.config.ping_timeout)
                return
