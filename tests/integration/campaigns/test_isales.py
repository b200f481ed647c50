"""Seed 002 iSales statistics: per-campaign and per-batch counts, error codes, 429."""

from __future__ import annotations

import base64

import aiohttp
import pytest

from cpaas_daemon import keys
from cpaas_daemon.api.isales import BUSY_MESSAGE, FlowControl
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import ACCOUNTS, Daemon
from tests.integration.campaigns.helpers import (
    campaign_body,
    create_campaign,
    upload_prompt,
    wait_completed,
    window,
)

PATH = "/rest/isales/v2/openapi/campaigns/{vdn}/statistics"
SEED_KEYS = {
    "calledCount", "batchDetail", "campaignId", "finishCount", "unCallCount", "totalCount",
    "totalCallSucc", "totalCalledCount", "totalFinishCount", "dailyFinishCount",
    "dailyCalledCount", "dailyCallSucc", "dailyCount",
}  # fmt: skip


def basic(account: str) -> dict[str, str]:
    token = base64.b64encode(f"{account}:{ACCOUNTS[account]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def stats(
    daemon: Daemon, query: str = "", vdn: str = "1", headers: dict[str, str] | None = None
) -> tuple[int, dict]:
    url = daemon.url + PATH.format(vdn=vdn) + (f"?{query}" if query else "")
    async with daemon.session.get(
        url, headers=basic("account_1") if headers is None else headers
    ) as r:
        return r.status, await r.json()


async def import_batch(daemon: Daemon, list_id: str, name: str, numbers: list[str]) -> str:
    form = aiohttp.FormData()
    content = "contact_number\n" + "".join(f"{n}\n" for n in numbers)
    form.add_field("file", content.encode(), filename=name)
    async with daemon.session.post(
        daemon.url + "/api/upload_csv", data=form, headers=daemon.headers()
    ) as r:
        assert r.status == 200
    status, body = await daemon.post(
        "/api/import_broadcast_contacts_csv", {"list_id": list_id, "csv_name": name}
    )
    assert status == 200, body
    batch_id: str = body["response"]["batch_id"]
    return batch_id


@pytest.fixture
async def finished_campaign(
    daemon: Daemon, sim: SimulatedAsterisk, tmp_path
) -> tuple[str, dict[str, list[str]]]:
    """Two CSV batches: numbers ending 0 answer, 4 are busy (no retries)."""
    upload_prompt(tmp_path / "uploads")
    _, body = await daemon.post("/api/create_campaign_list", {"list_name": "isales"})
    list_id = body["response"]["list_id"]
    batches = {
        "a": ["919979270010", "919979270020", "919979270014"],
        "b": ["919979270030", "919979270024"],
    }
    ids = {await import_batch(daemon, list_id, f"{k}.csv", v): v for k, v in batches.items()}
    campaign_id = await create_campaign(daemon, campaign_body(list_id))
    await wait_completed(daemon, campaign_id)
    return campaign_id, ids


async def test_counts_per_campaign_and_batch(
    daemon: Daemon, finished_campaign: tuple[str, dict[str, list[str]]]
) -> None:
    campaign_id, batches = finished_campaign
    status, body = await stats(daemon, f"campaignId={campaign_id}")
    assert status == 200
    [detail] = body["countDetail"]
    assert set(detail) == SEED_KEYS
    everyone = [n for numbers in batches.values() for n in numbers]
    answered = [n for n in everyone if n.endswith("0")]
    assert detail["campaignId"] == campaign_id
    assert (detail["totalCount"], detail["totalCalledCount"], detail["totalFinishCount"]) == (
        len(everyone),
        len(everyone),
        len(everyone),
    )
    assert (detail["totalCallSucc"], detail["dailyCallSucc"]) == (len(answered), len(answered))
    assert (detail["unCallCount"], detail["dailyCount"]) == (0, len(everyone))
    by_batch = {b["batchId"]: b for b in detail["batchDetail"]}
    assert {k: v["totalCount"] for k, v in by_batch.items()} == {
        k: len(v) for k, v in batches.items()
    }
    assert set(by_batch[next(iter(batches))]) == SEED_KEYS - {"batchDetail", "campaignId"} | {
        "batchId"
    }

    batch_id, numbers = next(iter(batches.items()))
    _, body = await stats(daemon, f"campaignId={campaign_id}&batchId={batch_id}")
    [detail] = body["countDetail"]
    assert [b["batchId"] for b in detail["batchDetail"]] == [batch_id]
    assert detail["totalCount"] == len(numbers)

    _, body = await stats(daemon)  # no campaignId: every campaign of the account
    assert [d["campaignId"] for d in body["countDetail"]] == [campaign_id]


async def test_another_account_sees_nothing(
    daemon: Daemon, finished_campaign: tuple[str, dict[str, list[str]]]
) -> None:
    campaign_id, _ = finished_campaign
    status, body = await stats(daemon, f"campaignId={campaign_id}", headers=basic("account_2"))
    assert (status, body["resultCode"]) == (400, "02000007")
    _, body = await stats(daemon, headers=basic("account_2"))
    assert body == {"countDetail": []}


@pytest.mark.parametrize(
    ("vdn", "query", "code"),
    [
        ("abc", "", "02000006"),
        ("0", "", "02000007"),
        ("1", "batchId=123456", "02000009"),
        ("1", "campaignId=CM%27;--", "02000002"),
        ("1", "campaignId=" + "x" * 65, "02000003"),
        ("1", "campaignId=1798316116", "02000007"),
        ("1", "campaignId=a&batchId=b&extra=c", "02000011"),
    ],
)
async def test_parameter_errors_use_the_vendor_codes(
    daemon: Daemon, vdn: str, query: str, code: str
) -> None:
    status, body = await stats(daemon, query, vdn=vdn)
    assert (status, body["resultCode"]) == (400, code)
    assert body["resultDesc"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Basic " + base64.b64encode(b"account_1:wrong-secret").decode()},
    ],
)
async def test_authentication_is_required(daemon: Daemon, headers: dict[str, str]) -> None:
    status, body = await stats(daemon, headers=headers)
    assert (status, body["resultCode"]) == (401, "401")


async def test_flow_control_answers_429(daemon: Daemon) -> None:
    daemon.app[keys.API].isales_flow.limit = 3
    for _ in range(3):
        assert (await stats(daemon))[0] == 200
    status, body = await stats(daemon)
    assert (status, body["resultDesc"]) == (429, BUSY_MESSAGE)
    status, _ = await stats(daemon, headers=basic("account_2"))  # per client
    assert status == 200


def test_flow_control_window_resets() -> None:
    now = [0.0]
    flow = FlowControl(limit=1, window=300, clock=lambda: now[0])
    flow.check("a")
    now[0] = 299.0
    with pytest.raises(Exception, match="frequently"):
        flow.check("a")
    now[0] = 300.0
    flow.check("a")


async def test_a_campaign_not_dialled_yet_counts_zero(daemon: Daemon, tmp_path) -> None:
    """Every daily count of a campaign whose window has not opened is 0, not a 500 (SQL
    SUM over only NULL times was NULL); the whole-account query includes it."""
    upload_prompt(tmp_path / "uploads")
    _, body = await daemon.post("/api/create_campaign_list", {"list_name": "later"})
    list_id = body["response"]["list_id"]
    await import_batch(daemon, list_id, "later.csv", ["919979270010", "919979270020"])
    later = window(minutes_before=-60, minutes_after=120)  # opens in an hour
    campaign_id = await create_campaign(daemon, campaign_body(list_id, **later))

    status, body = await stats(daemon, f"campaignId={campaign_id}")
    assert status == 200, body
    [detail] = body["countDetail"]
    assert set(detail) == SEED_KEYS
    assert (detail["totalCount"], detail["unCallCount"], detail["dailyCount"]) == (2, 2, 2)
    zero = SEED_KEYS - {"batchDetail", "campaignId", "totalCount", "unCallCount", "dailyCount"}
    assert {key: detail[key] for key in zero} == dict.fromkeys(zero, 0)
    [batch] = detail["batchDetail"]
    assert (batch["dailyCalledCount"], batch["dailyFinishCount"]) == (0, 0)

    status, body = await stats(daemon, "campaignId=")  # empty: every campaign (the seed)
    assert (status, [d["campaignId"] for d in body["countDetail"]]) == (200, [campaign_id])
