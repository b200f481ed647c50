"""Subscriptions over the seed 003 API and the CLI: bad input is a 400 in the dialect
and writes nothing; secrets are shown once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.main import main
from tests.harness import Daemon
from tests.integration.webhooks.helpers import click2call, subscribe
from tests.integration.webhooks.receiver import Receiver, verify

URL = "https://crm.example.com/hooks?token=x"


async def rows(daemon: Daemon) -> int:
    return int(
        await daemon.app[keys.DOMAINS].core.db.fetchval(
            "SELECT COUNT(*) FROM webhook_subscriptions"
        )
    )


async def test_create_list_modify_delete(daemon: Daemon) -> None:
    created = await subscribe(daemon, URL, events=["call.completed", "call.initiated"])
    assert created["success"] == "true"
    assert created["event_types"] == ["call.completed", "call.initiated"]
    assert created["enabled"] == "true"
    webhook_id = created["webhook_id"]

    status, body = await daemon.get("/api/webhooks")
    assert status == 200
    [listed] = body["response"]["result"]
    assert "secret" not in listed
    assert listed["webhook_id"] == webhook_id

    status, body = await daemon.call(
        "PATCH", "/api/webhooks", {"webhook_id": webhook_id, "enabled": "false", "event_types": "*"}
    )
    assert status == 200, body
    assert (body["response"]["enabled"], body["response"]["event_types"]) == ("false", ["*"])

    status, body = await daemon.call("DELETE", "/api/webhooks", {"webhook_id": webhook_id})
    assert (status, body["response"]["webhook_id"]) == (200, webhook_id)
    assert await rows(daemon) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "url is required"),
        ({"url": "ftp://crm.example.com/x"}, "url must be an http or https URL with a host"),
        ({"url": "https://user:pw@crm.example.com/"}, "url must not contain credentials"),
        ({"url": "https:///nohost"}, "url must be an http or https URL with a host"),
        ({"url": "https://crm.example.com:99999/"}, "url is not a valid URL"),
        ({"url": URL, "event_types": ["call.exploded"]}, "unknown event type 'call.exploded'"),
        ({"url": URL, "event_types": []}, "event_types must name at least one"),
        ({"url": URL, "event_types": 5}, "event_types"),
    ],
)
async def test_bad_subscriptions_are_refused_in_the_dialect_and_write_nothing(
    daemon: Daemon, body: dict[str, Any], message: str
) -> None:
    status, reply = await daemon.post("/api/webhooks", body)
    assert status == 400
    assert reply["response"]["success"] == "false"
    assert reply["response"]["message"].startswith(message), reply
    assert await rows(daemon) == 0


async def test_ids_are_checked_and_redelivery_needs_exactly_one_target(daemon: Daemon) -> None:
    status, reply = await daemon.call("DELETE", "/api/webhooks", {"webhook_id": "wh_x"})
    assert status == 400
    assert "webhook_id" in reply["response"]["message"]
    status, reply = await daemon.get("/api/webhooks/dead?webhook_id=nope")
    assert status == 400
    status, reply = await daemon.post("/api/webhooks/redeliver", {})
    assert (status, reply["response"]["message"]) == (
        400,
        "give exactly one of delivery_id and webhook_id",
    )
    status, reply = await daemon.post("/api/webhooks/redeliver", {"delivery_id": "-1"})
    assert status == 400
    status, reply = await daemon.get("/api/webhooks", account=None)
    assert status == 401


def test_cli_add_list_dead_redeliver_remove(tmp_path: Path, capsys: Any) -> None:
    db = ["--db", str(tmp_path / "c.sqlite3")]
    assert main([*db, "accounts", "add", "acme", "--auth", "a-long-secret-1"]) == 0
    capsys.readouterr()
    assert main([*db, "webhooks", "add", "acme", URL, "--events", "call.completed"]) == 0
    out = capsys.readouterr().out
    webhook_id = out.split("webhook_id: ")[1].split()[0]
    assert out.split("secret: ")[1].strip().startswith("whsec_")
    assert main([*db, "webhooks", "list", "acme"]) == 0
    assert capsys.readouterr().out.split("\t") == [
        webhook_id,
        "enabled",
        "call.completed",
        URL + "\n",
    ]
    assert main([*db, "webhooks", "dead", "acme"]) == 0
    assert capsys.readouterr().out == ""
    assert main([*db, "webhooks", "redeliver", "acme", "--webhook", webhook_id]) == 0
    assert capsys.readouterr().out == "0 deliveries queued again\n"
    assert main([*db, "webhooks", "remove", "other", webhook_id]) == 2  # not this account's
    assert main([*db, "webhooks", "remove", "acme", webhook_id]) == 0
    assert main([*db, "webhooks", "add", "acme", "gopher://x"]) == 2


async def test_an_endpoint_added_by_the_cli_is_used_by_the_running_daemon(
    daemon: Daemon, receiver: Receiver, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = daemon.app[keys.DOMAINS].core.config.store
    if store.url:  # the daemon's store (PostgreSQL under TEST_STORE), as production gives it
        monkeypatch.setenv("CPAAS_STORE__URL", store.url)
        where: list[str] = []
    else:  # --db forces SQLite, so it only names the daemon's own file
        where = ["--db", str(store.path)]
    added = await asyncio.to_thread(
        main, [*where, "webhooks", "add", "account_1", receiver.url("/cli")]
    )
    assert added == 0
    secret = capsys.readouterr().out.split("secret: ")[1].strip()
    request_id = await click2call(daemon)  # the daemon re-reads subscriptions each second
    got = await receiver.wait(
        lambda: next((r for r in receiver.at("/cli") if r.event["type"] == "call.completed"), None)
    )
    assert got.event["request_id"] == request_id
    assert verify(secret, got.headers, got.raw)
