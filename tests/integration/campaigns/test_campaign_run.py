"""A campaign against the simulated Asterisk: pacing, DND, retries, CDRs and statistics.

Expected numbers are derived from the contact list and the simulator's documented
endpoint behaviour (sim/dialplan/sim.conf: the last digit of a number decides).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cpaas_daemon import keys
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon
from tests.integration.campaigns.helpers import (
    campaign_body,
    create_campaign,
    new_dnd_list,
    new_list,
    number,
    originates,
    upload_prompt,
    wait_completed,
)
from tests.unit.cdr.test_cdr_by_date_hours import COUNTS, COUNTS_FROM_CALLS

SIM_OUTCOME = dict(
    enumerate(
        ["ANSWER"] * 4 + ["BUSY", "CONGESTION", "NOANSWER", "ANSWER", "CHANUNAVAIL", "ANSWER"]
    )
)
STAT_KEY = {
    "ANSWER": "answer_calls",
    "BUSY": "busy_calls",
    "CONGESTION": "congestion_calls",
    "NOANSWER": "noanswer_calls",
    "CHANUNAVAIL": "chanunavail_calls",
    "DND": "dnd_calls",
}


async def test_hundred_contacts_with_dnd_and_busy_retries(
    daemon: Daemon, sim: SimulatedAsterisk, tmp_path: Path
) -> None:
    """100 contacts at 600/min, 10 on the DND list, busy ones retried once: every contact
    is dialled exactly as often as its outcome allows and the CDR API agrees."""
    numbers = [number(i) for i in range(100)]
    dnd = {numbers[i] for i in range(0, 100, 11)}  # ten numbers, one per last digit
    max_retries = 1
    upload_prompt(tmp_path / "uploads")
    list_id = await new_list(daemon, numbers)
    dnd_list_id = await new_dnd_list(daemon, dnd)
    campaign_id = await create_campaign(
        daemon,
        campaign_body(
            list_id, dnd_list_id=dnd_list_id, retry_on_statuses="BUSY", max_retries=str(max_retries)
        ),
    )
    await wait_completed(daemon, campaign_id, within=60)

    def attempts(n: str) -> int:
        if n in dnd:
            return 0
        return 1 + max_retries if SIM_OUTCOME[int(n[-1])] == "BUSY" else 1

    assert originates(sim.actions) == Counter({n: attempts(n) for n in numbers if attempts(n)})

    expected: Counter[str] = Counter()
    for n in numbers:
        expected["DND" if n in dnd else SIM_OUTCOME[int(n[-1])]] += attempts(n) or 1
    status, body = await daemon.post("/api/get_cdr_by_campaign_id", {"campaign_id": campaign_id})
    assert status == 200
    rows = body["response"]["result"]
    assert Counter(row["dial_status"] for row in rows) == expected
    assert len({row["request_id"] for row in rows}) == len(rows)  # one request_id per attempt
    dnd_rows = [row for row in rows if row["dial_status"] == "DND"]
    assert {row["dialed_number"] for row in dnd_rows} == dnd
    assert {(row["is_dnd"], row["uniqueid"], row["call_status"]) for row in dnd_rows} == {
        ("1", "", None)
    }
    assert {(row["list_id"], row["call_direction"]) for row in rows} == {
        (list_id, "outbound-campaign")
    }

    status, body = await daemon.post(
        "/api/get_campaign_cdr_statistics", {"campaign_id": campaign_id}
    )
    result = body["response"]["result"]
    for dial_status, count in expected.items():
        assert result[STAT_KEY[dial_status]] == [count], dial_status
    assert result["total_calls"] == [sum(expected.values())]
    assert result["cancel_calls"] == [0]

    # Pages of get_cdr_by_date, DND CDRs included, hold every CDR once in call_date order:
    # a deep page skips whole hours by the CDR counts the calls' writer keeps.
    span = {"start_call_date": "2000-01-01", "end_call_date": "2100-01-01"}
    status, body = await daemon.post("/api/get_cdr_by_date", span)
    whole = [row["request_id"] for row in body["response"]["result"]]
    assert sorted(whole) == sorted(row["request_id"] for row in rows)
    paged = []
    for offset in range(0, len(whole) + 7, 7):
        status, body = await daemon.post(
            "/api/get_cdr_by_date", {**span, "record_count": "7", "offset": str(offset)}
        )
        assert status == (200 if offset < len(whole) else 404)  # 404: "no cdr found"
        paged += [row["request_id"] for row in body["response"].get("result", [])]
    assert paged == whole
    # ... counts that DND calls (born with their CDR) are in, as the summarised ones are.
    db = daemon.app[keys.DOMAINS].core.db
    counts = [tuple(row) for row in await db.fetchall(COUNTS)]
    assert counts == [tuple(row) for row in await db.fetchall(COUNTS_FROM_CALLS)]
    assert sum(n for _, _, n in counts) == len(whole)
