"""``announce_templates`` table: every query is scoped by account, so one account can
neither read nor even detect another's templates (both answer "not found")."""

from __future__ import annotations

from cpaas_daemon.announcements.templates import (
    TEMPLATE_ID,
    AnnounceTemplate,
    new_template_id,
    validate_template_text,
)
from cpaas_daemon.errors import Conflict, NotFound, ValidationFailed
from cpaas_daemon.store.db import Database, Row

_COLUMNS = "template_id, account_id, text, created_at"
# 40 random bits: a clash is rare but possible over years of templates, so retry.
_ID_ATTEMPTS = 3


def _template(row: Row) -> AnnounceTemplate:
    return AnnounceTemplate(
        template_id=row["template_id"],
        account_id=row["account_id"],
        text=row["text"],
        created_at=row["created_at"],
    )


class AnnounceTemplateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, account_id: str, text: str) -> str:
        """Store a validated template for an existing account; returns its new id."""
        text = validate_template_text(text)
        known = await self._db.fetchone(
            "SELECT 1 FROM account_records WHERE account_id = ?", (account_id,)
        )
        if known is None:
            raise NotFound(f"account {account_id} not found")
        for _ in range(_ID_ATTEMPTS):
            template_id = new_template_id()
            inserted = await self._db.execute(
                "INSERT INTO announce_templates (template_id, account_id, text) VALUES (?, ?, ?)"
                " ON CONFLICT (template_id) DO NOTHING",
                (template_id, account_id, text),
            )
            if inserted:
                return template_id
        raise Conflict("could not allocate a unique announce_template_id; try again")

    async def get(self, account_id: str, template_id: str) -> AnnounceTemplate:
        if not TEMPLATE_ID.fullmatch(template_id):
            raise ValidationFailed(
                "announce_template_id must be AN followed by 10 hex digits",
                details={"field": "announce_template_id"},
            )
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM announce_templates WHERE account_id = ? AND template_id = ?",
            (account_id, template_id),
        )
        if row is None:
            raise NotFound(f"announce_template_id {template_id} not found")
        return _template(row)

    async def list(self, account_id: str) -> tuple[AnnounceTemplate, ...]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM announce_templates WHERE account_id = ?"
            " ORDER BY created_at, rowid",  # rowid: two added in the same millisecond
            (account_id,),
        )
        return tuple(_template(row) for row in rows)
