"""Command line: ``cpaas-daemon run | accounts | announcements | webhooks | check-config``.

Exit codes: 0 clean stop, 2 bad usage or configuration, 3 could not start (port in use,
database unreadable), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import structlog

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.announcements import cli as announcements_cli
from cpaas_daemon.app import create_app
from cpaas_daemon.calls import dids as dids_cli
from cpaas_daemon.config import DEFAULT_AMI_SECRET, Config, ConfigError, load_config
from cpaas_daemon.errors import DomainError
from cpaas_daemon.http_server import serving
from cpaas_daemon.log import setup_logging
from cpaas_daemon.queue_log import cli as stats_users_cli
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.store.factory import database_for
from cpaas_daemon.systemd_notify import health_probe, watchdog
from cpaas_daemon.webhooks import cli as webhooks_cli

EXIT_OK, EXIT_CONFIG, EXIT_START, EXIT_INTERRUPTED = 0, 2, 3, 130

log = structlog.get_logger(__name__)


def _global_options(add_help: bool = True) -> argparse.ArgumentParser:
    """``--config`` and ``--db`` apply to every command, before or after its name."""
    parser = argparse.ArgumentParser(prog="cpaas-daemon", description=__doc__, add_help=add_help)
    parser.add_argument("--config", type=Path, help="TOML file (see config/cpaas.toml)")
    parser.add_argument("--db", type=Path, help="SQLite file (overrides store.path and store.url)")
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    options, rest = _global_options(add_help=False).parse_known_args(argv)
    args = _parser().parse_args(rest)
    args.config, args.db = options.config, options.db
    return args


def _parser() -> argparse.ArgumentParser:
    parser = _global_options()
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve HTTP, AMI, FastAGI and the schedulers")
    run.add_argument("--simulate", action="store_true", help="start the simulated PBX too")
    run.add_argument("--http-host")
    run.add_argument("--http-port", type=int)
    accounts = sub.add_parser("accounts", help="manage API accounts")
    acc_sub = accounts.add_subparsers(dest="accounts_command", required=True)
    add = acc_sub.add_parser("add", help="create an account; prints a generated secret")
    add.add_argument("account_id")
    add.add_argument("--auth", help="secret to use (at least 12 characters)")
    acc_sub.add_parser("list", help="list account ids")
    limits = acc_sub.add_parser(
        "limits", help="show or set an account's calls/s and concurrent calls (API calls)"
    )
    limits.add_argument("account_id")
    limits.add_argument("--cps", type=float, help="calls per second (default: [limits])")
    limits.add_argument("--concurrent", type=int, help="calls up at once (default: [limits])")
    limits.add_argument("--default", action="store_true", help="back to the [limits] defaults")
    announcements_cli.add_parser(sub)
    stats_users_cli.add_parser(sub)
    dids_cli.add_parser(sub)
    webhooks_cli.add_parser(sub)
    sub.add_parser("check-config", help="validate the configuration and print it")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.db:
        overrides["store"] = {"path": str(args.db), "url": ""}
    if getattr(args, "simulate", False):
        overrides["simulate"] = True
    http = {
        key: value
        for key, value in (
            ("host", getattr(args, "http_host", None)),
            ("port", getattr(args, "http_port", None)),
        )
        if value is not None
    }
    if http:
        overrides["http"] = http
    return overrides


async def _serve(config: Config) -> int:
    app = create_app(config)
    async with contextlib.AsyncExitStack() as stack:
        try:
            port = await stack.enter_async_context(serving(app, config.http.host, config.http.port))
        except OSError as exc:
            log.error(
                "http.bind_failed", host=config.http.host, port=config.http.port, error=str(exc)
            )
            return EXIT_START
        log.info("daemon.ready", http=f"http://{config.http.host}:{port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            async with watchdog(health_probe(config.http.host, port)):
                await stop.wait()
        finally:
            log.info("daemon.stopping")
    return EXIT_OK


async def _with_db(config: Config, action: Callable[[Database], Awaitable[int]]) -> int:
    db = database_for(config.store)
    await db.open()
    try:
        return await action(db)
    finally:
        await db.close()


async def _accounts(config: Config, args: argparse.Namespace) -> int:
    async def run(db: Database) -> int:
        repo = AccountRepository(db)
        if args.accounts_command == "list":
            print("\n".join(await repo.list_ids()))
            return EXIT_OK
        if args.accounts_command == "limits":
            return await _limits(repo, config, args)
        secret = await repo.add(args.account_id, args.auth)
        print(f"account {args.account_id} created")
        if args.auth is None:
            print(f"auth: {secret}")
        return EXIT_OK

    return await _with_db(config, run)


async def _limits(repo: AccountRepository, config: Config, args: argparse.Namespace) -> int:
    """``accounts limits ID [--cps N] [--concurrent N] [--default]``: set, then print."""
    cps, concurrent = await repo.limits(args.account_id)
    if args.default:
        cps = concurrent = None
    cps = args.cps if args.cps is not None else cps
    concurrent = args.concurrent if args.concurrent is not None else concurrent
    await repo.set_limits(args.account_id, cps, concurrent)
    shown_cps = f"{cps:g}" if cps is not None else f"{config.limits.calls_per_second:g} (default)"
    shown_concurrent = (
        str(concurrent)
        if concurrent is not None
        else f"{config.limits.max_concurrent_calls} (default)"
    )
    print(
        f"{args.account_id}: calls_per_second {shown_cps}, max_concurrent_calls {shown_concurrent}"
    )
    return EXIT_OK


SECRETS: Any = {"ami": {"secret"}, "agi": {"secret"}, "pbx": {"__all__": {"ami": {"secret"}}}}
"""What ``check-config`` never prints."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    try:
        config = load_config(args.config, overrides=_overrides(args))
    except ConfigError as exc:
        print(f"cpaas-daemon: invalid configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(config.log.format, config.log.level)
    if args.command == "check-config":
        print(config.model_dump_json(indent=2, exclude=SECRETS))
        return EXIT_OK
    default_secret = [pbx.id for pbx in config.pbxes() if pbx.ami.secret == DEFAULT_AMI_SECRET]
    if args.command == "run" and not config.simulate and default_secret:
        # A secret everyone can read in this repository must never open a real PBX.
        print(
            "cpaas-daemon: ami.secret is the built-in default (PBX "
            f"{', '.join(default_secret)}); set ami.secret (or CPAAS_AMI__SECRET, or the "
            "[[pbx]] entry's ami.secret) to the secret of manager.conf's user",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        if args.command == "accounts":
            return asyncio.run(_accounts(config, args))
        if args.command == "announcements":
            return asyncio.run(_with_db(config, lambda db: announcements_cli.run(db, args)))
        if args.command == "dids":
            return asyncio.run(_with_db(config, lambda db: dids_cli.run(db, args)))
        if args.command == "webhooks":
            return asyncio.run(_with_db(config, lambda db: webhooks_cli.run(db, args)))
        if args.command == "stats-users":
            return asyncio.run(_with_db(config, lambda db: stats_users_cli.run(db, args)))
        return asyncio.run(_serve(config))
    except (DomainError, StoreUnavailable) as exc:
        print(f"cpaas-daemon: {exc.message}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:
        print(f"cpaas-daemon: {exc}", file=sys.stderr)
        return EXIT_START


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
