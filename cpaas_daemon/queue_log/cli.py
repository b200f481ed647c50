"""``cpaas-daemon stats-users add NAME --queues sales,support [--password P]``.

Users of the /stats/ API are created by an operator; a generated password is printed
once (only its scrypt hash is stored).
"""

from __future__ import annotations

import argparse

from cpaas_daemon.queue_log.users import StatsUsers
from cpaas_daemon.store.db import Database


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("stats-users", help="manage users of the /stats/ API")
    commands = parser.add_subparsers(dest="stats_users_command", required=True)
    add = commands.add_parser("add", help="create a user; prints a generated password")
    add.add_argument("name")
    add.add_argument("--queues", required=True, help="comma-separated queue names, or * for all")
    add.add_argument("--password", help="password to use (at least 8 characters)")


async def run(db: Database, args: argparse.Namespace) -> int:
    """Carry out the parsed sub-command; returns the exit status (errors raise DomainError)."""
    password = await StatsUsers(db).add(args.name, args.queues, args.password)
    print(f"stats user {args.name} created")
    if args.password is None:
        print(f"password: {password}")
    return 0
