"""/stats/rest/index.php as an Asternic client sees it: every entity, paging, filters,
HTTP Basic, and a sales-only user who never sees support."""

from __future__ import annotations

import base64
import shutil
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.app import create_app
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.sim.daemon_config import daemon_config
from tests.fixtures import ASTERISK
from tests.harness import free_port

URL = "/stats/rest/index.php"
DAY = "&start=2026-11-22&end=2026-11-22"  # the capture day of queue_log.txt


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ADMIN = basic("admin", "admin-password")
SALES = basic("sally", "sales-password")


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    """The daemon app on the real fixture queue_log, its PBX unreachable (closed port)."""
    config = daemon_config(tmp_path, ami_port=free_port(), agi_port=free_port())
    shutil.copy(ASTERISK / "queue_log.txt", tmp_path / "queue_log")
    app = create_app(config)
    test_client = await aiohttp_client(app)
    await app[keys.DOMAINS].pbx.pool.get(DEFAULT_PBX_ID).queue_log.poll_once()
    users = app[keys.DOMAINS].queue_log.stats.users
    await users.add("admin", "*", "admin-password")
    await users.add("sally", "sales", "sales-password")
    return test_client


async def get(client, query: str, auth=ADMIN, status: int = 200) -> Any:
    response = await client.get(f"{URL}?{query}", headers=auth)
    assert response.status == status, await response.text()
    return await response.json()


async def test_reports_lists_every_report(client):
    body = await get(client, "entity=reports")
    assert [item["report"] for item in body["data"]] == [
        "answered_calls_detail",
        "answered_calls_by_queue",
        "answered_calls_by_agent",
        "answered_calls_by_url",
        "answered_calls_by_did",
        "answered_calls_by_holdtime",
        "answered_calls_by_event",
        "unanswered_calls_detail",
        "unanswered_calls_by_queue",
    ]


async def test_report_values_are_strings_in_the_seed_grid(client):
    body = await get(client, f"entity=reports/answered_calls_by_queue{DAY}")
    assert body == {
        "page": "1",
        "total": "1",
        "records": "1",
        "rows": [{"Queue": "sales", "Received": "2", "% Calls": "100.00"}],
    }


async def test_without_dates_the_report_covers_today_and_is_empty(client):
    body = await get(client, "entity=reports/answered_calls_detail")
    assert body == {"page": "1", "total": "0", "records": "0", "rows": []}


async def test_paging_with_page_and_rows(client):
    body = await get(client, f"entity=reports/unanswered_calls_detail{DAY}&rows=2&page=2")
    assert (body["page"], body["total"], body["records"]) == ("2", "2", "3")
    assert [row["uniqueid"] for row in body["rows"]] == ["1795363498.81"]


async def test_agent_and_queue_filters(client):
    body = await get(client, f"entity=reports/answered_calls_by_agent{DAY}&agent=Agent%20202")
    assert [row["Agent"] for row in body["rows"]] == ["Agent 202"]
    body = await get(client, f"entity=reports/answered_calls_by_queue{DAY}&queue=support")
    assert body["rows"] == []


async def test_bad_filters_are_400_in_the_stats_error_shape(client):
    body = await get(client, "entity=reports/answered_calls_detail&start=22-11-2026", status=400)
    assert body == {"error": "start must be a date as yyyy-mm-dd", "status": "400"}
    await get(client, "entity=reports/answered_calls_detail&rows=0", status=400)
    await get(client, "entity=reports/answered_calls_detail&tz=Mars/Olympus", status=400)


async def test_unknown_report_or_entity_is_404(client):
    assert (await get(client, "entity=reports/nope", status=404))["status"] == "404"
    await get(client, "entity=nope", status=404)
    await get(client, "", status=404)


async def test_queues_and_one_queue(client):
    body = await get(client, "entity=queues")
    assert [item["queue"] for item in body["data"]] == ["ALL", "NONE", "sales", "support"]
    sales = next(item for item in body["data"] if item["queue"] == "sales")
    assert set(sales) == {"queue_id", "queue", "queue_name"}
    one = await get(client, f"entity=queues/{sales['queue_id']}")
    assert one == {"data": [sales]}
    await get(client, "entity=queues/999", status=404)


async def test_agents_are_member_names(client):
    body = await get(client, "entity=agents")
    assert [item["agent"] for item in body["data"]] == [
        "ALL",
        "Agent 201",
        "Agent 202",
        "Agent 203",
        "Agent 301",
        "Agent 302",
    ]
    assert (await get(client, "entity=agents/-1"))["data"][0]["agent_name"] == "ALL"


async def test_call_shows_the_callflow(client):
    body = await get(client, "entity=call/1795363404.35")
    assert (body["totalpages"], body["currpage"], body["totalrecords"]) == ("1", "1", "3")
    assert [row["event"] for row in body["data"]] == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    assert body["data"][1] == {
        "id": "2",
        "uniqueid": "1795363404.35",
        "datetime": "2026-11-22 16:03:24",
        "queue": "sales",
        "agent": "Agent 201",
        "event": "CONNECT",
        "info1": "0",
        "info2": "1795363404.36",
        "info3": "0",
        "info4": "",
        "info5": "",
        "agentName": "Agent 201",
        "queueName": "sales",
    }


async def test_search_finds_calls_of_every_outcome(client):
    body = await get(client, f"entity=search{DAY}")
    assert body["records"] == "5"
    assert [row["event"] for row in body["rows"]] == [
        "COMPLETEAGENT",
        "COMPLETECALLER",
        "ABANDON",
        "ABANDON",
        "ABANDON",
    ]
    first = body["rows"][0]
    assert (first["dateStart"], first["dateEnd"], first["talkTime"], first["overflow"]) == (
        "2026-11-22 16:03:24",
        "2026-11-22 16:03:29",
        "5",
        "1",
    )
    agent = await get(client, f"entity=search{DAY}&agent=Agent%20201")
    assert [row["uniqueid"] for row in agent["rows"]] == ["1795363404.35"]


async def test_realtime_with_the_pbx_down_is_a_503(client):
    body = await get(client, "entity=realtime", status=503)
    assert body["status"] == "503"


@pytest.mark.parametrize("auth", [{}, basic("admin", "wrong"), basic("nobody", "x" * 8)])
async def test_missing_or_wrong_credentials_are_401_with_a_basic_challenge(client, auth):
    response = await client.get(f"{URL}?entity=reports", headers=auth)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="stats"'
    assert (await response.json())["status"] == "401"


async def test_malformed_authorization_header_is_401(client):
    response = await client.get(f"{URL}?entity=reports", headers={"Authorization": "Basic %%%"})
    assert response.status == 401


async def test_a_sales_user_never_sees_support(client):
    queues = await get(client, "entity=queues", SALES)
    assert [item["queue"] for item in queues["data"]] == ["ALL", "sales"]
    agents = await get(client, "entity=agents", SALES)
    assert [item["agent"] for item in agents["data"]] == [
        "ALL",
        "Agent 201",
        "Agent 202",
        "Agent 203",
    ]
    unanswered = await get(client, f"entity=reports/unanswered_calls_by_queue{DAY}", SALES)
    assert unanswered["rows"] == []
    asked = await get(client, f"entity=reports/unanswered_calls_detail{DAY}&queue=support", SALES)
    assert asked["records"] == "0"
    search = await get(client, f"entity=search{DAY}", SALES)
    assert {row["queue"] for row in search["rows"]} == {"sales"}
    flow = await get(client, "entity=call/1795363423.43", SALES)
    assert (flow["totalrecords"], flow["data"]) == ("0", [])
    support = next(
        item for item in (await get(client, "entity=queues"))["data"] if item["queue"] == "support"
    )
    await get(client, f"entity=queues/{support['queue_id']}", SALES, status=404)
