"""``SimulatedAsterisk``: the AMI TCP server and the control API used by tests and
``cpaas-daemon run --simulate``.

One ``Core`` holds all call state; ``restart()`` replaces it (counters, Uptime and queue state
start over) while the listening socket is closed for ``down_for`` seconds like a real restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

# Importing these modules registers their dialplan applications and AMI actions.
from cpaas_daemon.sim import agi, apps, dial, queue_actions, queue_app  # noqa: F401
from cpaas_daemon.sim.actions import HANDLERS, error, response
from cpaas_daemon.sim.cdr import CdrConf
from cpaas_daemon.sim.channel import Channel
from cpaas_daemon.sim.core import Core
from cpaas_daemon.sim.dialplan import Dialplan
from cpaas_daemon.sim.events import EventBus
from cpaas_daemon.sim.originate import OriginateRequest, start
from cpaas_daemon.sim.protocol import Action, Fields, header, parse_frame, read_frame, to_action
from cpaas_daemon.sim.queue_log import QueueLog
from cpaas_daemon.sim.queues import QueueSet
from cpaas_daemon.sim.session import Session, event_tv

SIM_DIR = Path(__file__).parent / "dialplan"
REPO_DIALPLAN = Path(__file__).parents[2] / "asterisk" / "extensions_cpaas.conf"
LOGIN_FAILURE_DELAY = 1.0


@dataclass(frozen=True)
class SimConfig:
    """How to run the simulator; defaults match the rig (user cpaas / cpaas-secret)."""

    host: str = "127.0.0.1"
    port: int = 0
    username: str = "cpaas"
    secret: str = "cpaas-secret"
    time_scale: float = 1.0
    dialplan_files: tuple[Path, ...] = (SIM_DIR / "sim.conf", REPO_DIALPLAN)
    globals: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    queue_log_path: Path | None = None
    cdr_csv_path: Path | None = None
    # cdr.conf: the project ships none, so a deployment has Asterisk's defaults.
    cdr: CdrConf = field(default_factory=CdrConf)
    queues_file: Path | None = SIM_DIR / "queues.conf"
    # The AMI user's manager.conf read= classes (events of other classes are not sent); None
    # is read=all, the reference rig's user. The shipped asterisk/manager.conf has no
    # "security", so a daemon on a real Asterisk never sees SuccessfulAuth.
    read: frozenset[str] | None = None


class SimulatedAsterisk:
    """An Asterisk 22 look-alike speaking AMI over TCP."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.bus = EventBus()
        self.queue_log = QueueLog(self.config.queue_log_path)
        self.actions: list[Action] = []
        self.sessions: set[Session] = set()
        self.calls_processed = 0
        self.core = self._new_core()
        self._server: asyncio.Server | None = None
        self._port = self.config.port
        self._session_tasks: set[asyncio.Task[None]] = set()
        self._restart_task: asyncio.Task[None] | None = None

    def _new_core(self) -> Core:
        plan = Dialplan.load(self.config.dialplan_files, self.config.globals)
        return Core(
            self.bus,
            plan,
            QueueSet.load(self.config.queues_file),
            scale=self.config.time_scale,
            queue_log=self.queue_log,
            cdr_csv_path=self.config.cdr_csv_path,
            cdr_conf=self.config.cdr,
        )

    # -- life cycle -----------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound TCP port (useful with ``port=0``)."""
        return self._port

    @property
    def channels(self) -> dict[str, Channel]:
        """Live channels by name."""
        return self.core.channels

    async def start(self) -> None:
        """Listen for AMI connections; queue_log gets QUEUESTART."""
        self._server = await asyncio.start_server(self._handle, self.config.host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        self.queue_log.write("NONE", "NONE", "NONE", "QUEUESTART")

    async def stop(self) -> None:
        """Close the listener and every session, cancel all calls."""
        if self._restart_task is not None and self._restart_task is not asyncio.current_task():
            self._restart_task.cancel()
        await self._close_listener()
        self.drop_connections()
        if self._session_tasks:
            await asyncio.wait(self._session_tasks, timeout=1)
        await self.core.shutdown()

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)
            self._server = None

    async def restart(self, down_for: float = 1.0) -> None:
        """``core restart now``: Shutdown event, EOF, refuse connections, come back fresh."""
        self.bus.emit("Shutdown", "system", [("Shutdown", "Cleanly"), ("Restart", "True")])
        await self._close_listener()
        await asyncio.sleep(0.02)
        self.drop_connections()
        await self.core.shutdown()
        await asyncio.sleep(down_for)
        self.core = self._new_core()
        self.calls_processed = 0
        await self.start()

    def schedule_restart(self, down_for: float = 1.0) -> None:
        """Restart in the background (the CLI command returns before the process dies)."""
        self._restart_task = asyncio.get_running_loop().create_task(self.restart(down_for))

    def drop_connections(self) -> None:
        """Abruptly close every AMI session; calls keep running."""
        for session in list(self.sessions):
            session.authenticated = False
            session.writer.transport.abort()
        self.sessions.clear()

    def logger_rotate(self) -> None:
        """``logger rotate``: queue_log → queue_log.N (sequential) and CONFIGRELOAD."""
        self.queue_log.rotate()

    async def wait_idle(self) -> None:
        """Until no channel is up."""
        await self.core.idle.wait()

    async def inbound_call(
        self,
        did: str,
        caller: str,
        context: str = "cpaas-inbound",
        variables: Mapping[str, str] | None = None,
    ) -> str:
        """An inbound call into ``context`` (like the queue_call_* scenarios): a Local channel
        whose ``;2`` runs ``did@context``; the ``;1`` caller stays up for an hour. Returns the
        ``;2`` Uniqueid (the queue_log callid)."""
        req = OriginateRequest(
            action_id="",
            channel=f"Local/{did}@{context}",
            context="",
            exten="",
            priority=1,
            application="Wait",
            data="3600",
            timeout=30.0,
            cid_num=caller,
            cid_name="",
            account="",
            variables=list((variables or {}).items()),
        )
        before = set(self.core.channels)
        start(self.core, req, lambda ok: None, send_event=False)
        await asyncio.sleep(0)
        for name in set(self.core.channels) - before:
            if name.endswith(";2"):
                return self.core.channels[name].uniqueid
        raise RuntimeError(f"inbound call to {did}@{context} could not be placed")

    # -- sessions -------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._session_tasks.add(task)
        session = Session(reader, writer, self.config.read)
        self.sessions.add(session)
        self.bus.listeners.append(session.on_event)
        session.greet()
        try:
            while (raw := await read_frame(reader)) is not None and not writer.is_closing():
                action = to_action(parse_frame(raw))
                self.actions.append(action)
                await self._dispatch(session, action)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.bus.listeners.remove(session.on_event)
            self.sessions.discard(session)
            session.close()
            self._session_tasks.discard(task)

    async def _dispatch(self, session: Session, action: Action) -> None:
        name = header(action, "Action")
        if name.lower() == "login":
            await self._login(session, action)
            return
        if not session.authenticated:
            session.send(error(action, "Permission denied"))
            return
        func = HANDLERS.get(name.lower())
        if func is None:
            session.send(
                error(
                    action,
                    f"Invalid/unknown command: {name}. "
                    "Use Action: ListCommands to show available commands.",
                )
            )
            self._security(
                session,
                "RequestBadFormat",
                "Error",
                [("RequestType", f"Action: {name}")],
                with_account=True,
            )
            return
        if name.lower() == "originate":
            self.calls_processed += 1
        reply = await func(self, session, action)
        if reply is not None:
            session.send(reply)

    async def _login(self, session: Session, action: Action) -> None:
        if session.authenticated:
            session.send(response(action, "Success", "Already authenticated"))
            return
        username, secret = header(action, "Username"), header(action, "Secret")
        session.username = username
        if username != self.config.username or secret != self.config.secret:
            self._security(session, "InvalidPassword", "Error", [], version="2")
            await asyncio.sleep(LOGIN_FAILURE_DELAY)
            session.send(error(action, "Authentication failed"))
            session.close()
            return
        session.send(response(action, "Success", "Authentication accepted"))
        session.ask_events(header(action, "Events"))
        session.authenticated = True
        uptime = str(self.core.uptime())
        session.send(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", uptime),
                ("LastReload", uptime),
                ("Status", "Fully Booted"),
            ]
        )
        self._security(
            session,
            "SuccessfulAuth",
            "Informational",
            [("UsingPassword", "0"), ("SessionTV", event_tv(session.started))],
        )

    def _security(
        self,
        session: Session,
        event: str,
        severity: str,
        extra: Fields,
        *,
        version: str = "1",
        with_account: bool = False,
    ) -> None:
        base = session.security_fields()
        base[1] = ("Severity", severity)
        base[3] = ("EventVersion", version)
        if event == "RequestBadFormat":
            base = [f for f in base if f[0] != "AccountID"]
            extra = [
                *extra,
                ("SessionTV", event_tv(session.started)),
                ("AccountID", session.username),
            ]
        elif event == "InvalidPassword":
            extra = [("SessionTV", "1970-01-01T00:00:00.000+0000")]
        self.bus.emit(event, "security", [*base, *extra])
