"""Click-to-call against a real Asterisk: every outcome of each leg, under both cdr.conf
settings an operator may have, ends with exactly one CDR with the right outcome."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.harness import Daemon, running_daemon
from tests.real_asterisk.conftest import REAL_ASTERISK, own_asterisk, real_config

pytestmark = REAL_ASTERISK

# (agent, destination) -> (call_status, dial_status); numbers behave by their last digit:
# 0-3 answer and talk 1 s, 4 busy, 5 congestion, 6 ring unanswered, 8 unavailable,
# 9 answer and stay up.
MATRIX = {
    ("919979270019", "918000680020"): ("ANSWERED", "ANSWER"),
    ("919979270014", "918000680020"): ("BUSY", "BUSY"),
    ("919979270015", "918000680020"): ("CONGESTION", "CONGESTION"),
    ("919979270016", "918000680020"): ("NO ANSWER", "NOANSWER"),
    ("919979270018", "918000680020"): ("FAILED", "CHANUNAVAIL"),
    ("919979270019", "918000680024"): ("BUSY", "BUSY"),
    ("919979270019", "918000680025"): ("CONGESTION", "CONGESTION"),
    ("919979270019", "918000680026"): ("NO ANSWER", "NOANSWER"),
    ("919979270019", "918000680028"): ("FAILED", "CHANUNAVAIL"),
    # The agent hangs up after 1 s while the destination still rings: CANCEL.
    ("919979270010", "918000680026"): ("NO ANSWER", "CANCEL"),
}


async def place_all(daemon: Daemon) -> dict[tuple[str, str], str]:
    request_ids = {}
    for agent, destination in MATRIX:
        status, body = await daemon.post(
            "/api/click2call",
            {"agent_number": agent, "destination_number": destination, "caller_id": "15168148111"},
        )
        assert status == 200, body
        request_ids[agent, destination] = body["response"]["request_id"]
    return request_ids


@pytest.mark.parametrize("cdr_unanswered", [True, False], ids=["cdr-all", "cdr-defaults"])
async def test_every_outcome_ends_with_one_cdr(
    asterisk_binary: Path, tmp_path: Path, cdr_unanswered: bool
) -> None:
    """cdr-defaults is Asterisk's own cdr.conf (unanswered=no, congestion=no): no CDR at
    all for a first leg that did not answer, FAILED for a congested destination."""
    async with (
        own_asterisk(asterisk_binary, cdr_unanswered=cdr_unanswered) as rig,
        running_daemon(real_config(rig, tmp_path)) as daemon,
    ):
        request_ids = await place_all(daemon)
        records = await asyncio.gather(
            *(
                daemon.wait_for(lambda r=r: cdr_of(daemon, r), within=30)
                for r in request_ids.values()
            )
        )
        seen = {}
        for (pair, request_id), [record] in zip(request_ids.items(), records, strict=True):
            assert record["request_id"] == request_id
            assert re.fullmatch(r"\d{10}\.\d{14}", record["uniqueid"])
            seen[pair] = (record["call_status"], record["dial_status"])
            if record["dial_status"] != "ANSWER":
                assert record["billsec"] == 0, (pair, record)
            else:
                assert record["billsec"] >= 1
        assert seen == MATRIX
        _, stats = await daemon.get("/api/get_cdr_statistics")
        result = stats["response"]["result"]
        assert result["cancel_calls"] == [1]
        assert result["total_calls"] == [len(MATRIX)]


async def cdr_of(daemon: Daemon, request_id: str) -> list[dict[str, object]] | None:
    status, body = await daemon.post("/api/get_cdr_by_request_id", {"request_id": request_id})
    return body["response"]["result"] if status == 200 else None
