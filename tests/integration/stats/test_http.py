"""The two v2 endpoints over HTTP: the seeds' example shapes, error codes, isolation."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.queue_log.parser import parse_line
from cpaas_daemon.queue_log.repository import FileState, QueueLogRepository
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.timefmt import iso, utc_now
from tests.harness import ACCOUNTS, Daemon, free_port, running_daemon

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ECOUNTERS = "/api/v2/overallCount/Ecounters"
DASHBOARD = "/api/v2/agentDashboard/counters"


def seed_example(name: str) -> dict[str, Any]:
    """The example response body printed at the end of a seed document."""
    text = (SEEDS / name).read_text(encoding="utf-8")
    return json.loads(text[text.rindex('\n {\n    "message"') :])  # type: ignore[no-any-return]


DATA_MAPS = {"LCT", "RCMPID", "LIVR", "LDID", "CT", "CST", "CMPID", "DID", "DTMF", "DTMFV"}
DATA_MAPS |= {"DTMFI", "DTMFINV", "callType", "cmpId"}


def shape(value: Any, key: str = "") -> Any:
    """Keys (in order) and JSON types; maps keyed by data (ids, codes) by type only."""
    if isinstance(value, dict) and key not in DATA_MAPS:
        return [(k, shape(v, k)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(item, key) for item in value]
    return type(value).__name__


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    """A daemon without a PBX: the counters read the store and an empty tracker."""
    config = daemon_config(tmp_path, free_port(), free_port())
    async with running_daemon(config, connect=False) as running:
        yield running


def auth(daemon: Daemon, account: str = "account_1", **body: Any) -> dict[str, Any]:
    return {"userId": account, "token": daemon.accounts[account], **body}


async def post(daemon: Daemon, path: str, body: Any) -> tuple[int, Any]:
    return await daemon.post(path, body, account=None)  # type: ignore[no-any-return]


async def test_ecounters_answers_in_the_seed_examples_shape(daemon: Daemon) -> None:
    status, body = await post(daemon, ECOUNTERS, auth(daemon, ssid="web-session-1"))
    example = seed_example("000_fb4e17c8c30764ae.txt")
    assert status == 200
    assert shape(body) == shape(example)


async def test_agent_dashboard_answers_in_the_seed_examples_shape(daemon: Daemon) -> None:
    db = daemon.app[keys.DOMAINS].core.db
    await db.execute(
        "INSERT INTO dids (did, account_id, queue) VALUES ('5550100', 'account_1', 'sales')"
    )
    now = int(time.time())
    lines = [
        f"{now - 60}|MANAGER|sales|Local/201@agents/n|ADDMEMBER|",
        f"{now - 50}|NONE|sales|Agent 201|UNPAUSE|",
    ]
    parsed = [parse_line(text, offset * 100) for offset, text in enumerate(lines)]
    await QueueLogRepository(db).store("x", FileState(1, 200, 1), 1, [p for p in parsed if p])
    status, body = await post(daemon, DASHBOARD, auth(daemon, ssid="Agent 201"))
    example = seed_example("001_a5e1bda15253136e.txt")
    assert status == 200
    assert shape(body) == shape(example)
    login = body["message"][0]["l"]
    assert (login["type"], login["duration"][:2]) == ("Web", ["0", "1"])  # 60 s, maybe 61


@pytest.mark.parametrize(
    ("path", "body", "code", "status"),
    [
        (ECOUNTERS, {"token": "x"}, 1002, 400),
        (ECOUNTERS, {"userId": "account_1"}, 1020, 401),
        (ECOUNTERS, {"userId": "account_1", "token": "wrong-token"}, 1014, 401),
        (ECOUNTERS, {"userId": "nobody", "token": "wrong-token"}, 1014, 401),
        (ECOUNTERS, {"userId": 5, "token": "x"}, 1001, 400),
        (ECOUNTERS, ["not", "an", "object"], 1001, 400),
        (DASHBOARD, {"token": "x"}, 1002, 400),
        (DASHBOARD, {"userId": "account_1", "token": ""}, 1020, 401),
        (DASHBOARD, {"userId": "account_1", "token": ACCOUNTS["account_1"]}, 1000, 400),
        (DASHBOARD, {"userId": "account_1", "token": ACCOUNTS["account_1"], "ssid": ""}, 1000, 400),
        (DASHBOARD, {"userId": "account_1", "token": ACCOUNTS["account_1"], "ssid": 7}, 1001, 400),
    ],
)
async def test_authentication_errors_carry_the_seed_codes(
    daemon: Daemon, path: str, body: Any, code: int, status: int
) -> None:
    got_status, got = await post(daemon, path, body)
    assert (got_status, got["status"], got["code"]) == (status, "error", code)


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"Field": "UC"}, 1001),  # not an array
        ({"Field": [1]}, 1001),  # not strings
        ({"Field": ["UC", "NOPE"]}, 1000),  # unknown field
        ({"filter": {"type": "dateRange"}}, 1001),
        ({"filter": ["dateRange"]}, 1001),
        ({"filter": [{"type": "colour"}]}, 1000),
        ({"filter": [{"type": "dateRange", "start": "2026-13-01"}]}, 1000),
        ({"filter": [{"type": "callType", "value": ["XYZ"]}]}, 1000),
        ({"ssid": 42}, 1001),
    ],
)
async def test_bad_filter_and_field_values(
    daemon: Daemon, extra: dict[str, Any], code: int
) -> None:
    status, body = await post(daemon, ECOUNTERS, auth(daemon, **extra))
    assert (status, body["code"]) == (400, code)


async def test_requested_fields_follow_the_seed_keys(daemon: Daemon) -> None:
    _, body = await post(daemon, ECOUNTERS, auth(daemon, Field=["UC", "avgTalkTime"]))
    assert list(body["message"])[-2:] == ["UC", "avgTalkTime"]


async def test_a_suspended_account_with_the_right_token_gets_1039(daemon: Daemon) -> None:
    await daemon.app[keys.DOMAINS].core.db.execute(
        "UPDATE accounts SET disabled = 1 WHERE account_id = 'account_2'"
    )
    _, right = await post(daemon, DASHBOARD, auth(daemon, "account_2"))
    _, wrong = await post(daemon, DASHBOARD, {"userId": "account_2", "token": "guess-guess-1"})
    assert (right["code"], wrong["code"]) == (1039, 1014)


async def test_agent_errors_unknown_agent_and_agent_session(daemon: Daemon) -> None:
    """An unknown ssid agent is 1003; an agent's session may not read Ecounters (1015)."""
    db = daemon.app[keys.DOMAINS].core.db
    await db.execute(
        "INSERT INTO dids (did, account_id, queue) VALUES ('5550100', 'account_1', 'sales')"
    )
    line = parse_line(f"{int(time.time())}|NONE|sales|Agent 201|PAUSE|", 0)
    await QueueLogRepository(db).store("x", FileState(1, 100, 1), 1, [line] if line else [])
    _, unknown = await post(daemon, DASHBOARD, auth(daemon, ssid="Agent 999"))
    _, agent = await post(daemon, ECOUNTERS, auth(daemon, ssid="Agent 201"))
    _, logged_out = await post(daemon, DASHBOARD, auth(daemon, ssid="Agent 201"))
    assert (unknown["code"], agent["code"], logged_out["code"]) == (1003, 1015, 1043)


async def test_each_account_counts_only_its_own_calls(daemon: Daemon) -> None:
    await daemon.app[keys.DOMAINS].core.db.execute(
        "INSERT INTO calls (request_id, account_id, kind, direction, state, created_at)"
        " VALUES ('00000000aa', 'account_2', 'c2c', 'outbound-api', 'originated', ?)",
        (iso(utc_now()),),
    )
    _, mine = await post(daemon, ECOUNTERS, auth(daemon))
    _, theirs = await post(daemon, ECOUNTERS, auth(daemon, "account_2"))
    assert (mine["message"]["TC"], theirs["message"]["TC"]) == (0, 1)
