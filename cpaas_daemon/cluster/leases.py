"""The ``leases`` table's one writer: which node works a PBX or a running campaign.

Several daemons share one store (docs/scaling.md). A lease (``kind``, ``name``) names
its holder node and a fencing token, and expires ``lease_seconds`` after its last
renewal. Expiry is judged on the DATABASE's clock, in SQL (:func:`db_now`): every node
asks the same clock, so two nodes whose clocks disagree still agree on who holds what.

* :meth:`LeaseRepository.acquire` takes a lease that is free, expired, or already this
  node's (a restarted node takes its own back at once); the token grows by one on every
  take, so it increases on every change of holder.
* :meth:`LeaseRepository.renew` is a conditional UPDATE on (holder, token): it changes
  nothing, and says so, once another node has taken the lease.
* :meth:`LeaseRepository.release` expires it now, keeping the row (and its token).
* :meth:`Lease.check` is the fence: run inside a write transaction, it fails that
  transaction unless the lease still has this holder and token (on PostgreSQL it also
  locks the row ``FOR SHARE``, so a takeover waits until that transaction has committed).

Single-node SQLite is the same SQL: the one node always finds its leases free or its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.store.db import Database, Transaction
from cpaas_daemon.store.errors import StoreUnavailable

PBX = "pbx"
CAMPAIGN = "campaign"
NODE = "node"
"""Each node holds ('node', its id) while it runs: the live nodes are those leases."""
WEBHOOKS = "webhooks"
"""('webhooks', 'delivery'): the one node that delivers the webhook outbox."""

_NOW = {
    # Seconds since the epoch (a double): julianday's day 2440587.5 is 1970-01-01.
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgres": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)",
}


def db_now(dialect: str) -> str:
    """The database's clock as SQL: seconds since the epoch."""
    return _NOW[dialect]


class LeaseLost(StoreUnavailable):
    """The fence refused a write: the lease has another holder or a newer token."""


@dataclass(frozen=True)
class Lease:
    """A lease as this node took it: the fencing token is what its work is checked by."""

    kind: str
    name: str
    holder: str
    token: int

    async def check(self, conn: Transaction) -> None:
        """Fail the transaction ``conn`` (:class:`LeaseLost`) unless this node still
        holds the lease with this token. Expiry alone does not fail it: a token nobody
        has replaced means no other node has worked under the lease."""
        sql = "SELECT 1 FROM leases WHERE kind = ? AND name = ? AND holder = ? AND token = ?" + (
            " FOR SHARE" if conn.dialect == "postgres" else ""
        )
        if not await conn.fetchall(sql, (self.kind, self.name, self.holder, self.token)):
            raise LeaseLost(f"lease {self.kind}/{self.name} token {self.token} was taken over")


@dataclass(frozen=True)
class Fences:
    """Several leases, all checked in one transaction: a campaign call's row is fenced by
    its PBX's lease and by its campaign's (a node that took the campaign over reconciles
    its open attempts; a row the old holder writes after that would be dialled twice)."""

    leases: tuple[Lease, ...]

    async def check(self, conn: Transaction) -> None:
        for lease in self.leases:
            await lease.check(conn)


@dataclass(frozen=True)
class Holding:
    """Who holds a lease now (for /health and for forwarding to the holder's API)."""

    name: str
    holder: str
    token: int
    holder_url: str
    live: bool


class LeaseRepository:
    def __init__(self, db: Database, node_id: str, node_url: str = "") -> None:
        self._db = db
        self.node_id = node_id
        self._url = node_url

    async def acquire(self, kind: str, name: str, seconds: float) -> Lease | None:
        """The lease, with a new token, if it was free, expired or this node's; else None."""
        now = db_now(self._db.dialect)
        sql = (
            "INSERT INTO leases (kind, name, holder, token, expires_at, holder_url)"
            f" VALUES (?, ?, ?, 1, {now} + ?, ?)"
            " ON CONFLICT (kind, name) DO UPDATE SET holder = excluded.holder,"
            " token = leases.token + 1, expires_at = excluded.expires_at,"
            " holder_url = excluded.holder_url"
            f" WHERE leases.expires_at <= {now} OR leases.holder = excluded.holder"
            " RETURNING token"
        )
        async with self._db.transaction() as conn:
            rows = await conn.fetchall(sql, (kind, name, self.node_id, seconds, self._url))
        return Lease(kind, name, self.node_id, int(rows[0][0])) if rows else None

    async def renew(self, lease: Lease, seconds: float) -> bool:
        """Extend ``lease``; False when another node has taken it (nothing changed)."""
        now = db_now(self._db.dialect)
        changed = await self._db.execute(
            f"UPDATE leases SET expires_at = {now} + ?"
            " WHERE kind = ? AND name = ? AND holder = ? AND token = ?",
            (seconds, lease.kind, lease.name, lease.holder, lease.token),
        )
        return changed == 1

    async def release(self, lease: Lease) -> None:
        """Expire ``lease`` now if it is still ours, so another node may take it at once."""
        now = db_now(self._db.dialect)
        await self._db.execute(
            f"UPDATE leases SET expires_at = {now}"
            " WHERE kind = ? AND name = ? AND holder = ? AND token = ?",
            (lease.kind, lease.name, lease.holder, lease.token),
        )

    async def holdings(self, kind: str) -> dict[str, Holding]:
        """Every lease of ``kind`` by name; ``live`` is False once expired."""
        now = db_now(self._db.dialect)
        rows = await self._db.fetchall(
            "SELECT name, holder, token, holder_url,"
            f" CASE WHEN expires_at > {now} THEN 1 ELSE 0 END AS live"
            " FROM leases WHERE kind = ? ORDER BY name",
            (kind,),
        )
        return {
            row["name"]: Holding(
                row["name"], row["holder"], int(row["token"]), row["holder_url"], row["live"] == 1
            )
            for row in rows
        }

    async def live_nodes(self) -> int:
        """How many nodes hold their ('node', id) lease now (at least this one)."""
        live = [h for h in (await self.holdings(NODE)).values() if h.live]
        return max(1, len(live))
