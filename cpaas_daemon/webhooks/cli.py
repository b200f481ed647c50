"""``cpaas-daemon webhooks add|list|remove|dead|redeliver``: the API's operations for an
operator, on the store directly (a running daemon picks changes up within a poll)."""

from __future__ import annotations

import argparse

from cpaas_daemon.store.db import Database
from cpaas_daemon.webhooks.events import ALL
from cpaas_daemon.webhooks.repository import WebhookRepository


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("webhooks", help="manage webhook endpoints and dead letters")
    commands = parser.add_subparsers(dest="webhooks_command", required=True)
    add = commands.add_parser("add", help="create an endpoint; prints its id and secret")
    add.add_argument("account_id")
    add.add_argument("url")
    add.add_argument("--events", default=ALL, help="comma-separated event types (default *)")
    listing = commands.add_parser("list", help="one endpoint per line")
    listing.add_argument("account_id")
    remove = commands.add_parser("remove", help="delete an endpoint and its deliveries")
    remove.add_argument("account_id")
    remove.add_argument("webhook_id")
    dead = commands.add_parser("dead", help="deliveries that exhausted their retries")
    dead.add_argument("account_id")
    dead.add_argument("--webhook", help="only this endpoint")
    again = commands.add_parser("redeliver", help="send dead deliveries again (same ids)")
    again.add_argument("account_id")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("--delivery", type=int, help="one delivery id (from dead)")
    which.add_argument("--webhook", help="every dead delivery of this endpoint")


async def run(db: Database, args: argparse.Namespace) -> int:
    """Carry out the parsed sub-command; returns the exit status (errors raise DomainError)."""
    repo = WebhookRepository(db)
    command = args.webhooks_command
    if command == "add":
        subscription, secret = await repo.add(args.account_id, args.url, args.events)
        print(f"webhook_id: {subscription.webhook_id}\nsecret: {secret}")
    elif command == "list":
        for s in await repo.of_account(args.account_id):
            state = "enabled" if s.enabled else f"disabled ({s.disabled_reason or 'by request'})"
            print(f"{s.webhook_id}\t{state}\t{' '.join(s.event_types)}\t{s.url}")
    elif command == "remove":
        await repo.remove(args.account_id, args.webhook_id)
        print(f"webhook {args.webhook_id} removed")
    elif command == "dead":
        for d in await repo.dead(args.account_id, args.webhook):
            print(
                f"{d['delivery_id']}\t{d['webhook_id']}\t{d['event_id']}\t{d['type']}"
                f"\t{d['attempts']}\t{d['last_error']}"
            )
    else:
        count = await repo.redeliver(
            args.account_id, delivery_id=args.delivery, webhook_id=args.webhook
        )
        print(f"{count} deliveries queued again")
    return 0
