"""Click-to-call against a real Asterisk: every outcome of each leg, under both cdr.conf
settings an operator may have, ends with exactly one CDR with the right outcome."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.click2call_matrix import MATRIX, cdr_of, place_all
from tests.harness import running_daemon
from tests.real_asterisk.conftest import REAL_ASTERISK, own_asterisk, real_config

pytestmark = REAL_ASTERISK


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
                assert record["billsec"] >= 1, (pair, record)
            if pair[0][-1] in "458":  # refused at once: a built CDR ends at the refusal,
                assert record["call_duration"] < 2, (pair, record)  # not after the grace
        assert seen == MATRIX
        _, stats = await daemon.get("/api/get_cdr_statistics")
        result = stats["response"]["result"]
        assert result["cancel_calls"] == [1]
        assert result["total_calls"] == [len(MATRIX)]
