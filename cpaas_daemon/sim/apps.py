"""Simple dialplan applications: the ones that only touch their own channel.

Timings follow the traces: Answer() on a channel that was ringing waits about 20 ms for media
before the next priority (up to 500 ms when the far end sends none; not modelled), SayDigits
takes about 0.82 s per digit (stock ``digits/*`` prompts), SendDTMF as described in
``send_dtmf``. Every duration goes through
``Channel.sleep`` so it is multiplied by ``time_scale`` and cut short by a hang-up.
"""

from __future__ import annotations

import asyncio

from cpaas_daemon.sim import local
from cpaas_daemon.sim.channel import BUSY, UP, Channel
from cpaas_daemon.sim.pbx import application, expand, goto, set_variable

SAY_DIGIT_SECONDS = 0.82
PLAYBACK_SECONDS = 1.0
ANSWER_MEDIA_WAIT = 0.02
DTMF_GAP = 0.1


def _args(data: str) -> list[str]:
    return [part.strip() for part in data.split(",")]


def _float(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


@application("NoOp")
async def noop(chan: Channel, data: str) -> bool:
    """Does nothing; its Newexten is the point."""
    return True


@application("Set")
async def set_(chan: Channel, data: str) -> bool:
    """Set(NAME=value)."""
    name, _, value = data.partition("=")
    set_variable(chan, name.strip(), value)
    return True


async def answer_channel(chan: Channel) -> bool:
    """Answer if not up yet; then the media wait Asterisk does for a freshly answered channel."""
    if chan.state == UP:
        return not chan.stopped
    local.answer(chan)
    await chan.sleep(ANSWER_MEDIA_WAIT)
    return not chan.stopped


@application("Answer")
async def answer(chan: Channel, data: str) -> bool:
    """Answer()."""
    return await answer_channel(chan)


@application("Wait")
async def wait(chan: Channel, data: str) -> bool:
    """Wait(seconds)."""
    return await chan.sleep(_float(data, 0.0)) or not chan.stopped


@application("Hangup")
async def hangup(chan: Channel, data: str) -> bool:
    """Hangup([cause]); the default cause is 16, Normal Clearing."""
    if chan.cause is None:
        chan.cause = int(data) if data.isdigit() else 16
    return False


async def _refuse(chan: Channel, data: str, cause: int, indication: str, disposition: str) -> bool:
    chan.set_state(BUSY)
    chan.cause = cause
    for side in (chan, chan.partner):
        if side is not None and side.cdr is not None:
            side.cdr.unanswered = disposition
    local.indicate(chan, indication)
    await chan.sleep(_float(data, 10.0))
    return False


@application("Busy")
async def busy(chan: Channel, data: str) -> bool:
    """Busy([timeout]): indicate busy (cause 17) then hang up."""
    return await _refuse(chan, data, 17, "busy", "BUSY")


@application("Congestion")
async def congestion(chan: Channel, data: str) -> bool:
    """Congestion([timeout]): indicate congestion (cause 34) then hang up."""
    return await _refuse(chan, data, 34, "congestion", "CONGESTION")


@application("Ringing")
async def ringing(chan: Channel, data: str) -> bool:
    """Ringing(): the caller side goes to Ringing."""
    local.ringing(chan)
    return True


@application("Progress")
async def progress(chan: Channel, data: str) -> bool:
    """Progress(): early media; no AMI event of its own."""
    return True


@application("Goto")
async def goto_(chan: Channel, data: str) -> bool:
    """Goto([[context,]exten,]priority)."""
    return goto(chan, data)


@application("GotoIf")
async def goto_if(chan: Channel, data: str) -> bool:
    """GotoIf(cond?iftrue[:iffalse])."""
    cond, _, branches = data.partition("?")
    yes, _, no = branches.partition(":")
    target = yes if cond.strip() not in ("", "0") else no
    return goto(chan, target) if target.strip() else True


@application("Playback")
async def playback(chan: Channel, data: str) -> bool:
    """Playback(file[&file…]); one second of audio per file."""
    files = [name for name in _args(data)[0].split("&") if name]
    return await chan.sleep(PLAYBACK_SECONDS * len(files))


@application("SayDigits")
async def say_digits(chan: Channel, data: str) -> bool:
    """SayDigits(digits)."""
    return await chan.sleep(SAY_DIGIT_SECONDS * len(_args(data)[0]))


def dtmf_target(chan: Channel) -> Channel | None:
    """Where DTMF sent on ``chan`` is received: its bridge peer or its Local partner."""
    if chan.bridge is not None:
        return chan.bridge.peer_of(chan)
    return chan.partner


async def send_dtmf(chan: Channel, digits: str, duration_ms: int) -> bool:
    """Emit DTMFBegin/DTMFEnd on the receiving side and queue the digits for its Read().

    Trace timing: 100 ms before the first digit, each digit's Begin→End is 100 ms on the
    receiving side, and ``duration`` separates an End from the next Begin (and ends the app).
    """
    pause = duration_ms / 1000
    if not await chan.sleep(DTMF_GAP):
        return False
    for index, digit in enumerate(digits):
        target = dtmf_target(chan)
        if target is None or target.gone or chan.stopped:
            return not chan.stopped
        if index and not await chan.sleep(pause):
            return False
        target.event("DTMFBegin", [("Digit", digit), ("Direction", "Received")], cls="dtmf")
        if not await chan.sleep(DTMF_GAP):
            return False
        target.event(
            "DTMFEnd",
            [("Digit", digit), ("DurationMs", str(duration_ms)), ("Direction", "Received")],
            cls="dtmf",
        )
        target.dtmf.put_nowait(digit)
    return await chan.sleep(pause)


@application("SendDTMF")
async def send_dtmf_app(chan: Channel, data: str) -> bool:
    """SendDTMF(digits[,duration_ms])."""
    args = [*_args(data), ""]
    return await send_dtmf(chan, args[0], int(args[1]) if args[1].isdigit() else 100)


async def read_digits(chan: Channel, maxdigits: int, silence: float) -> str | None:
    """Collect DTMF until ``maxdigits``, ``#`` or ``silence`` seconds; None on hang-up."""
    digits = ""
    while maxdigits <= 0 or len(digits) < maxdigits:
        getter = asyncio.ensure_future(chan.dtmf.get())
        stopper = asyncio.ensure_future(_stopped(chan))
        try:
            done, _ = await asyncio.wait(
                {getter, stopper},
                timeout=silence * chan.core.scale,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:  # also when the call task is cancelled (stop, restart)
            for pending in (getter, stopper):
                pending.cancel()
        if getter in done:
            digit = getter.result()
            if digit == "#":
                break
            digits += digit
        elif stopper in done:
            return None
        else:
            break
    return digits


async def _stopped(chan: Channel) -> None:
    while not chan.stopped:
        chan.interrupt.clear()
        await chan.interrupt.wait()


@application("Read")
async def read(chan: Channel, data: str) -> bool:
    """Read(var,[file],[maxdigits],[opts],[attempts],[timeout]); sets READSTATUS."""
    args = [*_args(data), ""] * 6
    digits = await read_digits(chan, int(args[2] or 0), _float(args[5], 5.0))
    if digits is None:
        set_variable(chan, "READSTATUS", "HANGUP")
        return False
    set_variable(chan, args[0], digits)
    set_variable(chan, "READSTATUS", "OK" if digits else "TIMEOUT")
    return True


def start_mixmonitor(chan: Channel, filename: str) -> None:
    """Shared by the MixMonitor application and action: VarSet then MixMonitorStart."""
    chan.set_var("MIXMONITOR_FILENAME", filename)
    chan.mixmonitor = True
    chan.event("MixMonitorStart")


def stop_mixmonitor(chan: Channel) -> None:
    """StopMixMonitor: MixMonitorStop only if one runs (a plain hang-up sends none)."""
    if chan.mixmonitor:
        chan.mixmonitor = False
        chan.event("MixMonitorStop")


@application("MixMonitor")
async def mixmonitor(chan: Channel, data: str) -> bool:
    """MixMonitor(file[,options])."""
    start_mixmonitor(chan, expand(chan, _args(data)[0]))
    return True


@application("StopMixMonitor")
async def stopmixmonitor(chan: Channel, data: str) -> bool:
    """StopMixMonitor()."""
    stop_mixmonitor(chan)
    return True
