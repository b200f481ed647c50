"""The click-to-call outcome matrix, run against the simulator and a real Asterisk alike:
the same numbers must give the same CDR on both."""

from __future__ import annotations

from cpaas_daemon import keys
from tests.harness import Daemon

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
    """Every pair at once (the account may: its calls-per-second limit is raised)."""
    await daemon.app[keys.DOMAINS].core.accounts.set_limits("account_1", 100.0, None)
    request_ids = {}
    for agent, destination in MATRIX:
        status, body = await daemon.post(
            "/api/click2call",
            {"agent_number": agent, "destination_number": destination, "caller_id": "15168148111"},
        )
        assert status == 200, body
        request_ids[agent, destination] = body["response"]["request_id"]
    return request_ids


async def cdr_of(daemon: Daemon, request_id: str) -> list[dict[str, object]] | None:
    status, body = await daemon.post("/api/get_cdr_by_request_id", {"request_id": request_id})
    return body["response"]["result"] if status == 200 else None
