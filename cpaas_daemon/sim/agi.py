"""AGI(agi://host[:port]/script): a FastAGI client speaking res_agi's protocol.

On start the ``agi_*`` environment is sent, then each command line gets a ``200 result=…``
reply like res_agi gives, with AGIExecStart/AGIExecEnd events around it. There is no audio:
prompts take simulated time, and DTMF input comes from the channel's DTMF queue, except that a
leg whose dialled number ends in 7 (the "DTMF" endpoint) answers every GET DATA / WAIT FOR
DIGIT prompt with ``1``.
"""

from __future__ import annotations

import asyncio
import itertools
import shlex
from urllib.parse import urlsplit

from cpaas_daemon.sim.apps import PLAYBACK_SECONDS, SAY_DIGIT_SECONDS, answer_channel, read_digits
from cpaas_daemon.sim.channel import Channel
from cpaas_daemon.sim.pbx import APPLICATIONS, application, expand, lookup, newexten, set_variable

DEFAULT_PORT = 4573
_command_ids = itertools.count(1)


def environment(chan: Channel, url: str) -> bytes:
    """The agi_* header block, in res_agi's order, ending with a blank line."""
    parts = urlsplit(url)
    env = [
        ("agi_network", "yes"),
        ("agi_network_script", parts.path.lstrip("/")),
        ("agi_request", url),
        ("agi_channel", chan.name),
        ("agi_language", "en"),
        ("agi_type", chan.name.split("/", 1)[0]),
        ("agi_uniqueid", chan.uniqueid),
        ("agi_version", "22.10.1"),
        ("agi_callerid", chan.cid_num or "unknown"),
        ("agi_calleridname", chan.cid_name or "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", chan.context),
        ("agi_extension", chan.exten),
        ("agi_priority", str(chan.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", chan.accountcode),
        ("agi_threadid", str(id(chan))),
    ]
    return ("".join(f"{key}: {value}\n" for key, value in env) + "\n").encode()


async def _digits(chan: Channel, maxdigits: int, wait_for: float) -> str | None:
    if chan.dialed.endswith("7"):
        await chan.sleep(0.2)
        return "1"
    return await read_digits(chan, maxdigits, wait_for)


async def execute(chan: Channel, line: str) -> str:
    """Run one AGI command; returns its reply line."""
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    upper = [w.upper() for w in words]
    if chan.soft_hangup or chan.gone:
        return "511 Command Not Permitted on a dead channel or intercepted"
    if upper[:1] == ["ANSWER"]:
        return f"200 result={0 if await answer_channel(chan) else -1}"
    if upper[:2] == ["STREAM", "FILE"]:
        ok = await chan.sleep(PLAYBACK_SECONDS)
        return "200 result=0 endpos=8000" if ok else "200 result=-1 endpos=0"
    if upper[:2] == ["GET", "DATA"]:
        timeout = int(words[3]) / 1000 if len(words) > 3 and words[3].isdigit() else 5.0
        maxdigits = int(words[4]) if len(words) > 4 and words[4].isdigit() else 0
        await chan.sleep(PLAYBACK_SECONDS)
        got = await _digits(chan, maxdigits, timeout)
        if got is None:
            return "200 result=-1"
        return f"200 result={got}" if got else "200 result= (timeout)"
    if upper[:3] == ["WAIT", "FOR", "DIGIT"]:
        timeout = int(words[3]) / 1000 if len(words) > 3 and words[3].lstrip("-").isdigit() else 5.0
        got = await _digits(chan, 1, max(timeout, 0.0))
        return f"200 result={ord(got) if got else (-1 if got is None else 0)}"
    if upper[:2] == ["SAY", "DIGITS"]:
        ok = await chan.sleep(SAY_DIGIT_SECONDS * len(words[2] if len(words) > 2 else ""))
        return f"200 result={0 if ok else -1}"
    if upper[:2] == ["SET", "VARIABLE"] and len(words) >= 4:
        set_variable(chan, words[2], words[3])
        return "200 result=1"
    if upper[:2] == ["GET", "VARIABLE"] and len(words) >= 3:
        value = expand(chan, f"${{{words[2]}}}") if "(" in words[2] else lookup(chan, words[2])
        return f"200 result=1 ({value})" if value else "200 result=0"
    if upper[:1] == ["EXEC"] and len(words) >= 2:
        return await _exec(chan, words[1], " ".join(words[2:]))
    if upper[:1] == ["VERBOSE"]:
        return "200 result=1"
    if upper[:1] == ["HANGUP"]:
        chan.request_hangup(16)
        return "200 result=1"
    return "510 Invalid or unknown command"


async def _exec(chan: Channel, app: str, data: str) -> str:
    func = APPLICATIONS.get(app.lower())
    if func is None:
        return "200 result=-2"
    newexten(chan, app, data)
    ok = await func(chan, data)
    return f"200 result={0 if ok or not chan.stopped else -1}"


async def run_agi(chan: Channel, url: str) -> str:
    """Run a FastAGI session; returns AGISTATUS (SUCCESS, FAILURE or HANGUP)."""
    parts = urlsplit(url)
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or DEFAULT_PORT)
    except OSError:
        return "FAILURE"
    try:
        writer.write(environment(chan, url))
        await writer.drain()
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            command_id = str(next(_command_ids))
            chan.event("AGIExecStart", [("Command", line), ("CommandId", command_id)], cls="agi")
            reply = await execute(chan, line)
            code, _, result = reply.partition(" ")
            chan.event(
                "AGIExecEnd",
                [
                    ("Command", line),
                    ("CommandId", command_id),
                    ("ResultCode", code),
                    ("Result", result),
                ],
                cls="agi",
            )
            writer.write((reply + "\n").encode())
            await writer.drain()
    except (ConnectionError, OSError):
        return "FAILURE"
    finally:
        writer.close()
    return "HANGUP" if chan.stopped else "SUCCESS"


@application("AGI")
async def agi(chan: Channel, data: str) -> bool:
    """AGI(url[,args]); only FastAGI (agi://) is simulated."""
    url = data.split(",", 1)[0].strip()
    status = await run_agi(chan, url) if url.startswith("agi://") else "FAILURE"
    chan.set_var("AGISTATUS", status)
    return not chan.stopped
