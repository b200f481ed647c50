"""A campaign contact is claimed once, even by two daemons racing on one store.

Two :class:`Database` objects on the same store stand for two daemons (with
``TEST_STORE=postgresql``: two asyncpg pools on one PostgreSQL database, whose claims
really interleave; on SQLite: two connections to one file, serialised by its writer).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.campaigns.contacts import ContactInput
from cpaas_daemon.campaigns.lists import ListRepository
from cpaas_daemon.campaigns.model import Campaign, CampaignSettings, StoredStatus
from cpaas_daemon.campaigns.repository import CampaignRepository
from cpaas_daemon.campaigns.targets import ClaimLost, TargetStore
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.timefmt import utc_now

CONTACTS = 60
DND_NUMBERS = ("9100000005", "9100000017", "9100000042")


async def new_campaign(db: Database) -> Campaign:
    """A running campaign over ``CONTACTS`` numbers, three of them on its DND list."""
    await AccountRepository(db).add("acme", "acme-secret-123456")
    lists = ListRepository(db)
    list_id = await lists.create_list("acme", "leads")
    numbers = [f"91000000{n:02d}" for n in range(CONTACTS)]
    await lists.add_contacts("acme", list_id, [ContactInput(n) for n in numbers])
    dnd_list_id = await lists.create_dnd_list("acme", "do-not-call")
    await lists.add_dnd_contacts("acme", dnd_list_id, [ContactInput(n) for n in DND_NUMBERS])
    settings = CampaignSettings(
        campaign_name="spring", list_id=list_id, dnd_list_id=dnd_list_id, campaign_type=0,
        caller_id="100", dynamic_announcement=False, recorded_filename="hello",
        announcement_text="", tts_options="{}", repeat_count=1, max_retries=0, retry_time=60,
        retry_on_statuses=(), calls_per_minute=600, max_concurrent_calls=10, time_zone="UTC",
        start_at=utc_now() - timedelta(minutes=1), end_at=utc_now() + timedelta(hours=1),
    )  # fmt: skip
    campaigns = CampaignRepository(db)
    campaign_id = await campaigns.create("acme", settings)
    await campaigns.set_status(campaign_id, StoredStatus.RUNNING)
    return await campaigns.get("acme", campaign_id)


async def claim_all(targets: TargetStore, campaign: Campaign) -> list[tuple[int, bool]]:
    """Claim until nothing is due, as a campaign run does: (contact_id, dnd) per claim."""
    got: list[tuple[int, bool]] = []
    while True:
        try:
            target = await targets.claim_next(campaign, utc_now(), new_request_id())
        except ClaimLost:
            continue
        if target is None:
            return got
        got.append((target.contact_id, target.dnd))


async def test_two_nodes_claiming_at_once_never_get_the_same_contact(
    db: Database, other_node: Database
) -> None:
    campaign = await new_campaign(db)
    claimers = [claim_all(TargetStore(node), campaign) for node in (db, other_node) * 3]

    claimed = [claim for got in await asyncio.gather(*claimers) for claim in got]

    contact_ids = [contact_id for contact_id, _ in claimed]
    assert len(contact_ids) == len(set(contact_ids)) == CONTACTS  # each once, none left out
    assert sum(dnd for _, dnd in claimed) == len(DND_NUMBERS)
    per_contact = await db.fetchall(
        "SELECT contact_id, COUNT(*) AS n FROM campaign_attempts GROUP BY contact_id"
        " HAVING COUNT(*) != 1"
    )
    assert per_contact == []  # one attempt row per dialled contact, never two
    assert await db.fetchval("SELECT COUNT(*) FROM campaign_attempts") == CONTACTS - 3
    assert await db.fetchval("SELECT COUNT(*) FROM calls WHERE is_dnd = 1") == 3
    states = await db.fetchall("SELECT DISTINCT state FROM campaign_targets ORDER BY state")
    assert [row["state"] for row in states] == ["dialing", "done"]


async def test_a_second_live_attempt_is_refused_and_the_racer_backs_off(db: Database) -> None:
    campaign = await new_campaign(db)
    first = await db.fetchval(
        "SELECT MIN(contact_id) FROM campaign_targets WHERE campaign_id = ?",
        (campaign.campaign_id,),
    )
    insert = (
        "INSERT INTO campaign_attempts (request_id, campaign_id, contact_id, attempt,"
        " created_at) VALUES (?, ?, ?, 1, '2026-01-01T00:00:00.000Z')"
    )
    # Another node's live attempt for the first contact, its target not yet 'dialing'.
    await db.execute(insert, ("aaaaaaaaaa", campaign.campaign_id, first))

    with pytest.raises(StoreUnavailable):  # the index itself: never two live attempts
        await db.execute(insert, ("bbbbbbbbbb", campaign.campaign_id, first))
    with pytest.raises(ClaimLost):  # the claim of that contact rolls back, nothing to dial
        await TargetStore(db).claim_next(campaign, utc_now(), "cccccccccc")

    target = await db.fetchone(
        "SELECT state, attempts FROM campaign_targets WHERE contact_id = ?", (first,)
    )
    assert target is not None
    assert (target["state"], target["attempts"]) == ("pending", 0)
    assert await db.fetchval("SELECT COUNT(*) FROM campaign_attempts") == 1
    # Once that attempt has its outcome, a new one for the contact is allowed.
    await db.execute("UPDATE campaign_attempts SET outcome = 'BUSY'")
    claimed = await TargetStore(db).claim_next(campaign, utc_now(), "dddddddddd")
    assert claimed is not None
    assert claimed.contact_id == first


async def test_a_campaign_stopped_through_another_node_gives_out_no_more_contacts(
    db: Database, other_node: Database
) -> None:
    campaign = await new_campaign(db)
    assert await TargetStore(other_node).claim_next(campaign, utc_now(), "aaaaaaaaaa")

    await CampaignRepository(db).set_status(campaign.campaign_id, StoredStatus.STOPPED)

    assert await TargetStore(other_node).claim_next(campaign, utc_now(), "bbbbbbbbbb") is None
    assert await CampaignRepository(other_node).status(campaign.campaign_id) == "stopped"
    assert await db.fetchval("SELECT COUNT(*) FROM campaign_attempts") == 1
