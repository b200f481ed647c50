"""Campaigns of both types on a real Asterisk: DND, retries, the IVR's DTMF, and an
Asterisk restart in the middle of one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cpaas_daemon import keys
from cpaas_daemon.calls.model import is_originated_leg
from tests.harness import Daemon, running_daemon
from tests.integration.campaigns.helpers import (
    campaign_body,
    create_campaign,
    new_dnd_list,
    new_list,
    upload_prompt,
    wait_completed,
)
from tests.real_asterisk.conftest import REAL_ASTERISK, own_asterisk, real_config
from tests.real_asterisk.rig import AmiWatch

pytestmark = REAL_ASTERISK


def dialled(watch: AmiWatch) -> Counter[str]:
    """Originated channels per number, as the PBX saw them."""
    return Counter(
        e["Channel"].split("/", 1)[1].split("@", 1)[0]
        for e in watch.matching(
            lambda e: is_originated_leg(e.get("Uniqueid", "")), Event="Newchannel"
        )
    )


async def cdrs(daemon: Daemon, campaign_id: str) -> dict[str, dict[str, str]]:
    _, body = await daemon.post("/api/get_cdr_by_campaign_id", {"campaign_id": campaign_id})
    return {row["dialed_number"]: row for row in body["response"]["result"]}


async def test_announcement_campaign_with_dnd_and_busy_retry(
    real_daemon: Daemon, asterisk: object, tmp_path: Path
) -> None:
    upload_prompt(real_daemon.app[keys.DOMAINS].core.config.campaigns.uploads_dir)
    answer, busy, unavailable, dnd = "919900000010", "919900000014", "919900000018", "919900000011"
    async with AmiWatch(asterisk.ami_port) as watch:  # type: ignore[attr-defined]
        list_id = await new_list(real_daemon, [answer, busy, unavailable, dnd])
        dnd_list_id = await new_dnd_list(real_daemon, [dnd])
        body = campaign_body(
            list_id, dnd_list_id=dnd_list_id, max_retries="1", retry_on_statuses="BUSY"
        )
        campaign_id = await create_campaign(real_daemon, body)
        await wait_completed(real_daemon, campaign_id, within=60)
        assert dialled(watch) == {answer: 1, busy: 2, unavailable: 1}
        rows = await cdrs(real_daemon, campaign_id)
        assert {n: r["dial_status"] for n, r in rows.items()} == {
            answer: "ANSWER", busy: "BUSY", unavailable: "CHANUNAVAIL", dnd: "DND",
        }  # fmt: skip


async def test_ivr_campaign_stores_the_key_the_customer_pressed(
    real_daemon: Daemon, asterisk: object
) -> None:
    upload_prompt(real_daemon.app[keys.DOMAINS].core.config.campaigns.uploads_dir)
    presses, silent = "919900000017", "919900000010"  # 7 sends DTMF 1234#
    list_id = await new_list(real_daemon, [presses, silent])
    campaign_id = await create_campaign(real_daemon, campaign_body(list_id, campaign_type="1"))
    await wait_completed(real_daemon, campaign_id, within=60)
    rows = await cdrs(real_daemon, campaign_id)
    assert {n: r["dtmf_inputs"] for n, r in rows.items()} == {presses: "1", silent: ""}
    assert rows[presses]["dial_status"] == "ANSWER"


async def test_asterisk_restarted_mid_campaign_dials_nobody_twice(
    asterisk_binary: Path, tmp_path: Path
) -> None:
    """``core restart now`` while contacts are being dialled: calls up then are cut,
    the daemon reconnects, and every contact ends with one outcome, none dialled twice."""
    # Every third contact stays on the line (9), the others talk 1 s (0).
    numbers = [f"91990001{i:02d}{9 if i % 3 == 0 else 0}" for i in range(12)]
    async with (
        own_asterisk(asterisk_binary) as rig,
        running_daemon(real_config(rig, tmp_path)) as daemon,
    ):
        upload_prompt(daemon.app[keys.DOMAINS].core.config.campaigns.uploads_dir)
        list_id = await new_list(daemon, numbers)
        async with AmiWatch(rig.ami_port) as watch:
            campaign_id = await create_campaign(
                daemon, campaign_body(list_id, calls_per_minute="120")
            )
            await watch.wait(
                lambda e: is_originated_leg(e.get("Uniqueid", "")) and numbers[3] in e["Channel"],
                Event="Newchannel",
            )
            before = dialled(watch)
        await rig.cli("core restart now")
        await rig.booted()
        async with AmiWatch(rig.ami_port) as after_restart:
            await wait_completed(daemon, campaign_id, within=90)
            after = dialled(after_restart)
        rows = await cdrs(daemon, campaign_id)
        assert set(rows) == set(numbers)
        assert all(row["dial_status"] for row in rows.values()), rows
        assert max((before + after).values()) == 1  # nobody dialled twice
        assert set(before) | set(after) <= set(numbers)
        assert daemon.app[keys.DOMAINS].pbx.pool.connected
