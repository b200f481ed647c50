"""Sessions, restart, network faults, queue_log/Master.csv files and the control API."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cpaas_daemon.sim import SimulatedAsterisk
from tests.integration.sim.sim_ami_client import AmiClient, get
from tests.integration.sim.sim_trace import FIXTURES, load, received


async def test_login_failure_is_delayed_closed_and_reported(sim: SimulatedAsterisk) -> None:
    """Wrong secret: Error after ~1 s, socket closed; an observer sees InvalidPassword."""
    observer = await AmiClient.connect(sim.port)
    await observer.login()
    intruder = await AmiClient.connect(sim.port)
    started = time.monotonic()
    reply = await intruder.login(secret="wrong")
    assert (get(reply, "Response"), get(reply, "Message")) == ("Error", "Authentication failed")
    assert time.monotonic() - started >= 0.9
    await asyncio.wait_for(intruder.eof.wait(), 2)
    event = await observer.wait_for(lambda f: get(f, "Event") == "InvalidPassword")
    assert [k for k, _ in event] == [
        k for k, _ in _first_event("login_failure_observer", "InvalidPassword")
    ]
    for client in (observer, intruder):
        await client.close()


def _first_event(scenario: str, name: str) -> list[tuple[str, str]]:
    return next(f for f in received(load(scenario)) if get(f, "Event") == name)


async def test_restart_drops_sessions_refuses_then_comes_back_fresh(
    sim: SimulatedAsterisk, tmp_path: Path
) -> None:
    """Shutdown (Restart: True) → EOF → connection refused → Uptime 0, counters and QUEUESTART."""
    client = await AmiClient.connect(sim.port)
    await client.login()
    client.send(
        ("Action", "Originate"),
        ("ActionID", "o"),
        ("Channel", "Local/1009@sim-endpoints"),
        ("Application", "Wait"),
        ("Data", "60"),
        ("Async", "true"),
    )
    await client.wait_for(lambda f: get(f, "Event") == "OriginateResponse")
    restart = asyncio.ensure_future(sim.restart(down_for=0.5))
    shutdown = await client.wait_for(lambda f: get(f, "Event") == "Shutdown")
    assert [(k, v) for k, v in shutdown if k in ("Shutdown", "Restart")] == [
        ("Shutdown", "Cleanly"),
        ("Restart", "True"),
    ]
    await asyncio.wait_for(client.eof.wait(), 2)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", sim.port)
    await restart
    again = await AmiClient.connect(sim.port)
    await again.login()
    booted = await again.wait_for(lambda f: get(f, "Event") == "FullyBooted")
    assert get(booted, "Uptime") == "0"
    assert not sim.channels
    again.send(
        ("Action", "Originate"),
        ("ActionID", "p"),
        ("Channel", "Local/1001@sim-endpoints"),
        ("Application", "Wait"),
        ("Data", "1"),
        ("Async", "true"),
    )
    first = await again.wait_for(lambda f: get(f, "Event") == "Newchannel")
    assert get(first, "Channel") == "Local/1001@sim-endpoints-00000000;1"
    assert (tmp_path / "queue_log").read_text().count("|QUEUESTART|") == 2
    await asyncio.wait_for(sim.wait_idle(), 5)
    await again.close()
    await client.close()


async def test_drop_connections_keeps_calls_running(sim: SimulatedAsterisk) -> None:
    """A network fault closes every AMI socket; the PBX keeps its calls."""
    client = await AmiClient.connect(sim.port)
    await client.login()
    client.send(
        ("Action", "Originate"),
        ("ActionID", "o"),
        ("Channel", "Local/1009@sim-endpoints"),
        ("Application", "Wait"),
        ("Data", "60"),
        ("Async", "true"),
    )
    await client.wait_for(lambda f: get(f, "Event") == "OriginateResponse")
    sim.drop_connections()
    await asyncio.wait_for(client.eof.wait(), 2)
    assert len(sim.channels) == 2
    back = await AmiClient.connect(sim.port)
    await back.login()
    back.send(("Action", "CoreShowChannels"), ("ActionID", "list"))
    done = await back.wait_for(lambda f: get(f, "Event") == "CoreShowChannelsComplete")
    assert get(done, "ListItems") == "2"
    await back.close()
    await client.close()


async def test_logger_rotate_is_sequential(sim: SimulatedAsterisk, tmp_path: Path) -> None:
    """queue_log → queue_log.0, then .1 (newest highest); the new file starts with CONFIGRELOAD."""
    log = tmp_path / "queue_log"
    sim.logger_rotate()
    sim.logger_rotate()
    assert "|QUEUESTART|" in (tmp_path / "queue_log.0").read_text()
    assert (tmp_path / "queue_log.1").read_text().endswith("|NONE|NONE|NONE|CONFIGRELOAD|\n")
    assert log.read_text().endswith("|NONE|NONE|NONE|CONFIGRELOAD|\n")


def _shape(line: str) -> tuple[str, ...]:
    """EVENT plus which data fields are empty/numeric, the agent and queue."""
    parts = line.rstrip("\n").split("|")
    data = tuple("num" if p.isdigit() else ("" if not p else "text") for p in parts[5:])
    return (parts[2], parts[3], parts[4], *data)


async def test_inbound_queue_call_writes_queue_log_like_asterisk(
    sim: SimulatedAsterisk, tmp_path: Path
) -> None:
    """An inbound call into [inbound]: ENTERQUEUE, CONNECT, COMPLETEAGENT keyed by its ;2."""
    callid = await sim.inbound_call("5550100", "0612345678", context="inbound")
    await asyncio.wait_for(sim.wait_idle(), 10)
    lines = [line for line in (tmp_path / "queue_log").read_text().splitlines() if callid in line]
    want = (FIXTURES / "queue_call_answered.queue_log.txt").read_text().splitlines()
    assert [_shape(line) for line in lines] == [_shape(line) for line in want]
    assert lines[0].split("|")[6] == "0612345678"


async def test_master_csv_matches_cdr_csv_format(sim: SimulatedAsterisk, tmp_path: Path) -> None:
    """Master.csv rows quote text, leave duration/billsec bare, 18 columns."""
    client = await AmiClient.connect(sim.port)
    await client.login()
    client.send(
        ("Action", "Originate"),
        ("ActionID", "o"),
        ("Channel", "Local/1004@sim-endpoints"),
        ("Context", "click2call"),
        ("Exten", "1002"),
        ("Async", "true"),
    )
    await client.wait_for(lambda f: get(f, "Event") == "OriginateResponse")
    await asyncio.wait_for(sim.wait_idle(), 5)
    await client.close()
    rows = (tmp_path / "Master.csv").read_text().splitlines()
    want = (FIXTURES / "originate_async_busy.cdr.csv").read_text().splitlines()
    assert len(rows) == len(want)
    pattern = lambda row: [c.startswith('"') for c in row.split(",")]  # noqa: E731
    assert sorted(map(pattern, rows)) == sorted(map(pattern, want))
    assert all(',"BUSY","DOCUMENTATION",' in row for row in rows)


async def test_login_events_mask_sends_only_whole_classes_asked_for(
    sim: SimulatedAsterisk,
) -> None:
    """As manager.c: a session gets an event only if Login's ``Events`` classes hold its
    Privilege class; ``off`` gets none. FullyBooted answers the Login itself, whatever
    the mask."""
    everything, calls, none = [await AmiClient.connect(sim.port) for _ in range(3)]
    for client, mask in ((everything, None), (calls, "call"), (none, "off")):
        client.send(
            ("Action", "Login"),
            ("ActionID", "login"),
            ("Username", "cpaas"),
            ("Secret", "cpaas-secret"),
            *([("Events", mask)] if mask else []),
        )
        await client.wait_for(lambda f: get(f, "Event") == "FullyBooted")
    everything.send(
        ("Action", "Originate"),
        ("ActionID", "o"),
        ("Channel", "Local/1009@sim-endpoints"),
        ("Application", "Wait"),
        ("Data", "0"),
        ("Async", "true"),
    )
    await everything.wait_for(lambda f: get(f, "Event") == "Cdr")
    for client in (calls, none):  # a session's frames arrive in order: all came before
        client.send(("Action", "Ping"), ("ActionID", "ping"))
        await client.wait_for(lambda f: get(f, "ActionID") == "ping")

    def classes(client: AmiClient) -> set[str]:
        return {get(f, "Privilege") for f in client.frames if get(f, "Event")}

    assert {"call,all", "dialplan,all", "cdr,all"} <= classes(everything)
    assert classes(calls) == {"call,all", "system,all"}  # system: the FullyBooted
    assert classes(none) == {"system,all"}
    for client in (everything, calls, none):
        await client.close()
