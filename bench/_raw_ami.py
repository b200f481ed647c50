"""A bare asyncio AMI client's pieces, shared by the raw peer of ``bench.real_asterisk``
and the HTTP-to-AMI floor (``bench._http_floor``): the click-to-call Originate as bytes,
and the answer reader. No panoramisk, no parsing beyond the two lines it needs."""

from __future__ import annotations

import asyncio

from cpaas_daemon.calls.model import channel_id_for, other_channel_id
from tests.real_asterisk.rig import AMI_SECRET, AMI_USER


def originate(action_id: str, request_id: str, agent: str, destination: str) -> bytes:
    """The click-to-call Originate the daemon sends (same Channel, Context, variables and
    ChannelId form), for an agent and destination of the rig's phones."""
    channel_id = channel_id_for(request_id)
    return (
        f"Action: Originate\r\nActionID: {action_id}\r\n"
        f"Channel: Local/{agent}@sim-endpoints\r\nContext: cpaas-click2call\r\n"
        f"Exten: {destination}\r\nPriority: 1\r\nAsync: true\r\n"
        f"ChannelId: {channel_id}\r\nOtherChannelId: {other_channel_id(channel_id)}\r\n"
        f"Variable: __CPAAS_REQUEST_ID={request_id}\r\nVariable: CPAAS_RECORD=off\r\n"
        f"Variable: CPAAS_DEST_DIAL=Local/{destination}@sim-endpoints\r\n"
        "Variable: CPAAS_RING_TIMEOUT=30\r\n\r\n"
    ).encode()


async def _answers(reader: asyncio.StreamReader, waiting: dict[str, asyncio.Future[bytes]]) -> None:
    """Resolve ``waiting[ActionID]`` with each answer's Response line."""
    action_id, response = "", b""
    while line := await reader.readline():
        if line.startswith(b"ActionID: "):
            action_id = line[10:].strip().decode()
        elif line.startswith(b"Response: "):
            response = line.strip()
        elif line == b"\r\n":
            if (future := waiting.pop(action_id, None)) is not None:
                future.set_result(response)
            action_id, response = "", b""


class RawAmi:
    """One AMI session logged in with ``Events: off``: :meth:`send` writes an action's
    bytes and returns its Response line (``b"Response: Success"``)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        self._reader = asyncio.create_task(_answers(reader, self._waiting))

    @classmethod
    async def login(cls, port: int) -> RawAmi:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()  # the banner
        session = cls(reader, writer)
        answer = await session.send(
            "login",
            f"Action: Login\r\nActionID: login\r\nUsername: {AMI_USER}\r\n"
            f"Secret: {AMI_SECRET}\r\nEvents: off\r\n\r\n".encode(),
        )
        if answer != b"Response: Success":
            session.close()
            raise RuntimeError(f"AMI login refused: {answer!r}")
        return session

    async def send(self, action_id: str, frame: bytes) -> bytes:
        self._waiting[action_id] = answer = asyncio.get_running_loop().create_future()
        self._writer.write(frame)
        return await answer

    def close(self) -> None:
        self._reader.cancel()
        self._writer.close()
