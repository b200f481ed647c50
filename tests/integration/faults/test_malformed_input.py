"""Malformed input the fuzzer found: each must be a 4xx in the endpoint's dialect.

Each was a 500 once (a nested body too deep for json, a broken multipart part, numbers
that ``str.isdigit()`` accepts but ``int()`` refuses, such as ``"²"``); they stay here as
regressions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cpaas_daemon import keys
from tests.harness import Daemon
from tests.integration.faults import schema
from tests.integration.faults.fuzz import STATS_PASSWORD, STATS_USER, basic

BOUNDARY = "zz"


async def raw(
    daemon: Daemon, method: str, path: str, body: bytes, **headers: str
) -> tuple[int, bytes]:
    async with daemon.session.request(method, daemon.url + path, data=body, headers=headers) as r:
        return r.status, await r.read()


def op(op_id: str) -> dict[str, Any]:
    return next(o for _, _, o in schema.operations() if o["operationId"] == op_id)


def assert_in_dialect(op_id: str, status: int, body: bytes) -> None:
    assert 400 <= status < 500, (status, body)
    promised = schema.error_schema(op(op_id), status)
    assert promised is not None
    assert schema.errors(promised, json.loads(body)) == []


async def test_multipart_part_with_control_characters_in_its_headers_is_a_400(
    daemon: Daemon,
) -> None:
    """Was a 500: aiohttp's InvalidHeader escaped the error middleware. Nothing stored."""
    body = (
        b'--zz\r\nContent-Disposition: form-data; name="file"; filename="\x01\x10"\r\n\r\n'
        b"contact_number\n918000680020\n\r\n--zz--\r\n"
    )
    status, answer = await raw(
        daemon, "POST", "/api/upload_csv", body,
        **daemon.headers(), **{"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )  # fmt: skip
    assert_in_dialect("upload_csv", status, answer)


async def test_multipart_part_with_a_broken_content_disposition_is_a_400(
    daemon: Daemon,
) -> None:
    """Was a 500 under warnings-as-errors (the fuzzer drew it once): aiohttp warns
    BadContentDispositionHeader for an unterminated quoted filename. Nothing stored."""
    body = (
        b'--zz\r\nContent-Disposition: form-data; name="file"; filename=";;-\\"\r\n\r\n'
        b"contact_number\n918000680020\n\r\n--zz--\r\n"
    )
    status, answer = await raw(
        daemon, "POST", "/api/upload_csv", body,
        **daemon.headers(), **{"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )  # fmt: skip
    assert_in_dialect("upload_csv", status, answer)
    uploads = daemon.app[keys.DOMAINS].core.config.campaigns.uploads_dir
    assert not any(uploads.rglob("*.csv"))


@pytest.mark.parametrize(
    "path", ["/api/v2/overallCount/Ecounters", "/api/v2/agentDashboard/counters"]
)
async def test_v2_body_nested_deeper_than_the_json_parser_allows_is_a_400(
    daemon: Daemon, path: str
) -> None:
    """Was a 500: json.loads raised RecursionError, which v2_base did not catch."""
    depth = 5_000  # under the 64 KiB body limit
    status, answer = await raw(daemon, "POST", path, b"[" * depth + b"]" * depth)
    assert_in_dialect(
        "ecounters" if "overall" in path else "agent_dashboard_counters", status, answer
    )


@pytest.mark.parametrize("field", ["max_retries", "retry_time", "calls_per_minute", "repeat"])
async def test_create_campaign_with_a_superscript_digit_is_a_400(
    daemon: Daemon, field: str
) -> None:
    body = {
        **op("create_campaign")["requestBody"]["content"]["application/json"]["example"],
        field: "²",
    }
    status, answer = await daemon.post("/api/create_campaign", body)
    assert 400 <= status < 500, (status, answer)


@pytest.mark.parametrize("vdn", ["%C2%B2", "--5"])
async def test_isales_vdn_id_that_isdigit_accepts_but_int_refuses_is_a_400(
    daemon: Daemon, vdn: str
) -> None:
    async with daemon.session.get(
        f"{daemon.url}/rest/isales/v2/openapi/campaigns/{vdn}/statistics",
        headers={"Authorization": basic("account_1", daemon.accounts["account_1"])},
    ) as response:
        assert_in_dialect("isales_campaign_statistics", response.status, await response.read())


@pytest.mark.parametrize("param", ["page", "rows", "secondsstart", "secondsend"])
async def test_asternic_paging_and_seconds_with_a_superscript_digit_are_a_400(
    daemon: Daemon, param: str
) -> None:
    await daemon.app[keys.DOMAINS].queue_log.stats.users.add(STATS_USER, "*", STATS_PASSWORD)
    async with daemon.session.get(
        f"{daemon.url}/stats/rest/index.php?entity=search&{param}=%C2%B2",
        headers={"Authorization": basic(STATS_USER, STATS_PASSWORD)},
    ) as response:
        assert_in_dialect("asternic_stats_rest", response.status, await response.read())
