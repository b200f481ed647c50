"""``cpaas-daemon announcements add ACCOUNT_ID TEXT | list ACCOUNT_ID``.

Templates are "approved" by an operator (the seed's wording), so creating one is a CLI
action, not an API call.
"""

from __future__ import annotations

import argparse

from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
from cpaas_daemon.store.db import Database


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("announcements", help="manage OTP announce templates")
    commands = parser.add_subparsers(dest="announcements_command", required=True)
    add = commands.add_parser("add", help="create a template; prints its announce_template_id")
    add.add_argument("account_id")
    add.add_argument("text", help='must contain {otp} once, e.g. "Your code is {otp}"')
    listing = commands.add_parser("list", help="one template per line: id, created_at, text")
    listing.add_argument("account_id")


async def run(db: Database, args: argparse.Namespace) -> int:
    """Carry out the parsed sub-command; returns the exit status (errors raise DomainError)."""
    repo = AnnounceTemplateRepository(db)
    if args.announcements_command == "add":
        print(await repo.add(args.account_id, args.text))
        return 0
    for template in await repo.list(args.account_id):
        print(f"{template.template_id}\t{template.created_at}\t{template.text}")
    return 0
