"""Templates are stored per account and invisible to every other account."""

from __future__ import annotations

import pytest

from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
from cpaas_daemon.errors import NotFound, ValidationFailed
from cpaas_daemon.store.db import Database


async def test_added_template_can_be_fetched_and_listed(db: Database) -> None:
    repo = AnnounceTemplateRepository(db)
    first = await repo.add("acme", "Your one time password is {otp}")
    second = await repo.add("acme", "Your code is {otp}")
    template = await repo.get("acme", first)
    assert (template.account_id, template.text) == ("acme", "Your one time password is {otp}")
    assert template.created_at.endswith("Z")
    assert [t.template_id for t in await repo.list("acme")] == [first, second]


async def test_another_accounts_template_is_not_found(db: Database) -> None:
    repo = AnnounceTemplateRepository(db)
    template_id = await repo.add("acme", "Your code is {otp}")
    with pytest.raises(NotFound, match=f"announce_template_id {template_id} not found"):
        await repo.get("globex", template_id)
    assert await repo.list("globex") == ()


async def test_unknown_account_cannot_own_templates(db: Database) -> None:
    with pytest.raises(NotFound, match="account initech not found"):
        await AnnounceTemplateRepository(db).add("initech", "Your code is {otp}")


async def test_invalid_text_is_not_stored(db: Database) -> None:
    repo = AnnounceTemplateRepository(db)
    with pytest.raises(ValidationFailed):
        await repo.add("acme", "no placeholder")
    assert await repo.list("acme") == ()


async def test_malformed_template_id_is_a_validation_error(db: Database) -> None:
    with pytest.raises(ValidationFailed, match="AN followed by 10 hex digits"):
        await AnnounceTemplateRepository(db).get("acme", "'; DROP TABLE x; --")
