"""Users of the /stats/ API: HTTP Basic credentials and the queues each may see.

These are passwords people type, so they are stored as scrypt hashes (n=2^14: ~20-50
ms here). Verifying that on every request would cap the API at a few dozen requests a
second, so a successful check is remembered in memory as a keyed BLAKE2 digest of the
exact credentials (never the password itself) for the life of the process; the CLI
only ever adds users, so a remembered check cannot go stale.

A login must not tell an existing user name from an unknown one, nor let a flood of
wrong passwords starve the daemon (issue 10.5): an unknown name is checked against a
dummy hash (the same scrypt work), scrypt runs on its own one-thread executor (never
the default one that queue stats and CDR recovery use), and at most
:data:`MAX_PENDING_LOGINS` checks may wait for it -- past that a login is 429 at once.
Failed logins are throttled per peer and per name by :class:`AuthThrottle` upstream.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cpaas_daemon.errors import Conflict, TooManyRequests, ValidationFailed
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.queue_log.filters import Scope
from cpaas_daemon.store.db import Database

_T = TypeVar("_T")

USER_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 8
ALL_QUEUES = "*"
_SCRYPT = {"n": 1 << 14, "r": 8, "p": 1, "dklen": 32}
MAX_PENDING_LOGINS = 8
# One thread: scrypt holds ~16 MiB and a core while it runs; more threads would only
# let password guessing take more of the machine from calls.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrypt")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, _ = stored.split("$", 2)
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(hash_password(password, salt_bytes), stored)


def parse_queues(value: str) -> str:
    """``sales,support`` or ``*``, normalised; rejects an empty list."""
    names = sorted({part.strip() for part in value.split(",") if part.strip()})
    if not names:
        raise ValidationFailed("give at least one queue, or * for all queues")
    return ALL_QUEUES if ALL_QUEUES in names else ",".join(names)


def scope_of(queues: str) -> Scope:
    return Scope(None if queues == ALL_QUEUES else frozenset(queues.split(",")))


class StatsUsers:
    def __init__(self, db: Database, metrics: Metrics | None = None) -> None:
        self._db = db
        self._metrics = metrics  # None in the CLI: nothing to export there
        self._cache_key = secrets.token_bytes(32)
        self._verified: dict[str, tuple[bytes, Scope]] = {}
        self._pending = 0
        self._dummy: str | None = None  # hash an unknown name is checked against

    async def _hashing(self, work: Callable[..., _T], *args: Any) -> _T:
        """Run ``work`` on the scrypt executor, or 429 if too many already wait for it."""
        if self._pending >= MAX_PENDING_LOGINS:
            if self._metrics is not None:
                self._metrics.limit_rejections.labels("stats_login_queue").inc()
            raise TooManyRequests("too many logins in progress; try again shortly")
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(_HASHING, work, *args)
        finally:
            self._pending -= 1

    async def add(self, name: str, queues: str, password: str | None = None) -> str:
        """Create a user; returns the password (generated when not given)."""
        if not USER_NAME.match(name):
            raise ValidationFailed("user name must be 1-64 of A-Z a-z 0-9 _ . @ -")
        if password is None:
            password = secrets.token_urlsafe(12)
        elif len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
        queue_list = parse_queues(queues)
        if await self._db.fetchone("SELECT 1 FROM stats_users WHERE name = ?", (name,)):
            raise Conflict(f"stats user {name} already exists")
        hashed = await self._hashing(hash_password, password)
        await self._db.execute(
            "INSERT INTO stats_users (name, password_hash, queues) VALUES (?, ?, ?)",
            (name, hashed, queue_list),
        )
        return password

    async def authenticate(self, name: str, password: str) -> Scope | None:
        """The user's scope when the credentials are right, else None."""
        token = hmac.new(self._cache_key, f"{name}\0{password}".encode(), "blake2b").digest()
        cached = self._verified.get(name)
        if cached is not None and hmac.compare_digest(cached[0], token):
            return cached[1]
        row = await self._db.fetchone(
            "SELECT password_hash, queues FROM stats_users WHERE name = ?", (name,)
        )
        if row is None:
            if self._dummy is None:
                self._dummy = await self._hashing(hash_password, secrets.token_urlsafe(12))
            await self._hashing(verify_password, password, self._dummy)  # equal work
            return None
        if not await self._hashing(verify_password, password, row[0]):
            return None
        scope = scope_of(row[1])
        self._verified[name] = (token, scope)
        return scope
