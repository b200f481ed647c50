"""Subscribe over the API, place a call, collect what the receiver got."""

from __future__ import annotations

from typing import Any

from tests.harness import Daemon
from tests.integration.webhooks.receiver import Receiver

CALL = {
    "agent_number": "919979270010",
    "caller_id": "15168148111",
    "destination_number": "918000680020",
}


async def subscribe(
    daemon: Daemon, url: str, account: str = "account_1", events: Any = "*"
) -> dict[str, str]:
    status, body = await daemon.post("/api/webhooks", {"url": url, "event_types": events}, account)
    assert status == 200, body
    return body["response"]


async def click2call(daemon: Daemon, account: str = "account_1", **fields: str) -> str:
    status, body = await daemon.post("/api/click2call", {**CALL, **fields}, account)
    assert status == 200, body
    return body["response"]["request_id"]


def events_of(receiver: Receiver, path: str, request_id: str) -> list[dict[str, Any]]:
    return [r.event for r in receiver.at(path) if r.event.get("request_id") == request_id]


def has(receiver: Receiver, path: str, request_id: str, type_: str) -> bool:
    return any(e["type"] == type_ for e in events_of(receiver, path, request_id))
