"""Which :class:`~cpaas_daemon.store.db.Database` the configuration names."""

from __future__ import annotations

from pathlib import Path

from cpaas_daemon.config import StoreConfig
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.postgres import PostgresDatabase
from cpaas_daemon.store.sqlite import SqliteDatabase


def database_for(store: StoreConfig) -> Database:
    """``store.url`` (PostgreSQL or a SQLite file) when set, else the SQLite ``store.path``."""
    if store.url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(store.url)
    if store.url.startswith("sqlite:///"):
        return SqliteDatabase(Path(store.url.removeprefix("sqlite:///")))
    return SqliteDatabase(store.path)
