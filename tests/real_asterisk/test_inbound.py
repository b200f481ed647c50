"""Inbound DIDs on a real Asterisk: the dialplan asks the daemon's FastAGI hook who owns
the DID, the call queues to agents, and every statistics dialect agrees with the
queue_log Asterisk wrote."""

from __future__ import annotations

import base64
from pathlib import Path

from cpaas_daemon import keys
from tests.harness import running_daemon
from tests.real_asterisk.conftest import REAL_ASTERISK, own_asterisk, real_config
from tests.real_asterisk.rig import AmiWatch

pytestmark = REAL_ASTERISK

DID = "5550100"
CALLERS = ("0612345609", "0612345619")  # stay on the line; the agents (20x) talk 1 s
# A dynamic member whose name says nothing of its interface (the queue's static members
# 201/202 are paused, so it takes both calls).
ALICE, ALICE_AT = "Alice", "Local/203@agents/n"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def test_did_calls_queue_and_the_stats_agree_with_queue_log(
    asterisk_binary: Path, tmp_path: Path
) -> None:
    async with (
        own_asterisk(asterisk_binary) as rig,
        running_daemon(real_config(rig, tmp_path)) as daemon,
        AmiWatch(rig.ami_port) as watch,
    ):
        await daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
        await daemon.app[keys.DOMAINS].queue_log.stats.users.add("admin", "*", "admin-password")
        # The operator adds Alice on the PBX's console (the daemon's AMI user may not).
        await rig.cli(f"queue add member {ALICE_AT} to sales penalty 0 as {ALICE}")
        for static in ("Local/201@agents/n", "Local/202@agents/n"):
            await rig.cli(f"queue pause member {static} queue sales")
        await watch.wait(Event="QueueMemberAdded", MemberName=ALICE)
        for caller in CALLERS:
            watch.send(
                Action="Originate", Channel=f"Local/{DID}@cpaas-inbound", Application="Wait",
                Data="30", CallerID=caller, Async="true",
            )  # fmt: skip

        async def inbound_cdrs(account: str = "account_1") -> list[dict[str, object]]:
            _, body = await daemon.post(
                "/api/get_cdr_by_date",
                {"start_call_date": "2000-01-01", "end_call_date": "2100-01-01"},
                account,
            )
            rows = body["response"].get("result", [])
            return rows if len(rows) == len(CALLERS) else []

        cdrs = await daemon.wait_for(inbound_cdrs, within=30)
        assert {c["customer_number"] for c in cdrs} == set(CALLERS)
        assert {(c["call_direction"], c["dialed_number"], c["call_status"]) for c in cdrs} == {
            ("inbound", DID, "ANSWERED")
        }
        _, other = await daemon.post(
            "/api/get_cdr_by_date",
            {"start_call_date": "2000-01-01", "end_call_date": "2100-01-01"},
            "account_2",
        )
        assert other["response"].get("result", []) == []

        # What Asterisk wrote: one CONNECT per answered call, in queue sales.
        lines = [line.split("|") for line in rig.queue_log.read_text().splitlines()]
        connects = [f for f in lines if f[4] == "CONNECT" and f[2] == "sales"]
        assert len(connects) == len(CALLERS)

        async def report(name: str) -> dict[str, object]:
            async with daemon.session.get(
                f"{daemon.url}/stats/rest/index.php?entity=reports/{name}",
                headers=basic("admin", "admin-password"),
            ) as response:
                assert response.status == 200
                return await response.json()  # type: ignore[no-any-return]

        async def tailed() -> bool:
            return (await report("answered_calls_detail"))["records"] == str(len(connects))

        await daemon.wait_for(tailed, within=15)
        by_queue = await report("answered_calls_by_queue")
        assert by_queue["rows"] == [
            {"Queue": "sales", "Received": str(len(connects)), "% Calls": "100.00"}
        ]
        by_agent = await report("answered_calls_by_agent")
        assert sum(int(row["Calls"]) for row in by_agent["rows"]) == len(connects)  # type: ignore[attr-defined,index]

        body = {"userId": "account_1", "token": daemon.accounts["account_1"], "ssid": "s"}
        _, counters = await daemon.post("/api/v2/overallCount/Ecounters", body, account=None)
        assert counters["message"]["DID"] == {DID: len(CALLERS)}

        # queue_log names Alice by interface when she was added and by name on her calls;
        # the agent dashboard (seed 001) shows her logged in from the web with both calls.
        added = [f for f in lines if f[4] == "ADDMEMBER"]
        assert [(f[2], f[3]) for f in added] == [("sales", ALICE_AT)]
        assert {f[3] for f in connects} == {ALICE}
        _, dashboard = await daemon.post(
            "/api/v2/agentDashboard/counters", {**body, "ssid": ALICE}, account=None
        )
        [agent] = dashboard["message"]
        assert (agent["C"], agent["tC"], agent["cmpId"]) == (2, 2, {"sales": 2}), agent
        assert (agent["l"]["type"], agent["ATT"], agent["ml"]) == ("Web", True, "No"), agent
