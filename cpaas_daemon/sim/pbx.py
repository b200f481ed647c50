"""The dialplan runner (pbx_exec loop) and the application registry.

Each channel that runs dialplan gets one task executing ``run_pbx``: it emits ``Newexten`` for
every priority, expands the arguments, runs the application and moves on, the way
__ast_pbx_run does. Applications register themselves with ``@application``; they return
``False`` to stop the dialplan (Hangup, or the channel went away).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cpaas_daemon.sim.channel import Channel
from cpaas_daemon.sim.expr import substitute

Application = Callable[[Channel, str], Awaitable[bool]]
APPLICATIONS: dict[str, Application] = {}


def application(name: str) -> Callable[[Application], Application]:
    """Register a dialplan application under its (case-insensitive) name."""

    def register(func: Application) -> Application:
        APPLICATIONS[name.lower()] = func
        return func

    return register


def lookup(chan: Channel, name: str) -> str:
    """Variable lookup: channel (incl. inherited ``_``/``__`` names), builtins, then globals."""
    for candidate in (name, f"_{name}", f"__{name}"):
        if candidate in chan.variables:
            return chan.variables[candidate]
    builtins = {
        "EXTEN": chan.exten,
        "CONTEXT": chan.context,
        "PRIORITY": str(chan.priority),
        "CHANNEL": chan.name,
        "UNIQUEID": chan.uniqueid,
        "HANGUPCAUSE": str(chan.cause or 0),
    }
    if name in builtins:
        return builtins[name]
    return chan.core.dialplan.globals.get(name, "")


def call_function(chan: Channel, name: str, args: str) -> str:
    """Dialplan functions used by the shipped dialplans: IF, CALLERID, CDR, CHANNEL, LEN,
    STRREPLACE."""
    if name == "IF":
        cond, _, branches = args.partition("?")
        yes, _, no = branches.partition(":")
        return yes if cond.strip() not in ("", "0") else no
    if name == "CALLERID":
        key = args.strip().lower()
        return {"num": chan.cid_num, "name": chan.cid_name}.get(
            key, f'"{chan.cid_name}" <{chan.cid_num}>'
        )
    if name == "CDR":
        if args.strip().lower() == "userfield" and chan.cdr is not None:
            return chan.cdr.userfield
        return ""
    if name == "CHANNEL":  # func_channel's read-only items the daemon's hooks use
        return {
            "linkedid": chan.linkedid,
            "uniqueid": chan.uniqueid,
            "name": chan.name,
            "accountcode": chan.accountcode,
        }.get(args.strip().lower(), "")
    if name == "LEN":
        return str(len(args))
    if name == "STRREPLACE":  # STRREPLACE(varname,find[,replace])
        variable, _, rest = args.partition(",")
        find, _, replace = rest.partition(",")
        return lookup(chan, variable.strip()).replace(find, replace)
    return ""


def expand(chan: Channel, text: str) -> str:
    """Substitute variables and expressions in the context of ``chan``."""
    return substitute(text, lambda var: lookup(chan, var), lambda f, a: call_function(chan, f, a))


def set_variable(chan: Channel, name: str, value: str) -> None:
    """Set(): ``CDR(userfield)`` goes to the CDR, everything else is a channel variable."""
    if name.upper() == "CDR(USERFIELD)":
        if chan.cdr is not None:
            chan.cdr.userfield = value
        return
    if name.upper() == "CHANNEL(ACCOUNTCODE)":
        chan.set_account(value)
        return
    chan.set_var(name, value)


def goto(chan: Channel, target: str) -> bool:
    """Goto([[context,]exten,]priority|label); positions *before* the target, like Asterisk."""
    parts = [part.strip() for part in target.split(",")]
    context, exten = chan.context, chan.exten
    if len(parts) == 3:
        context, exten = parts[0], parts[1]
    elif len(parts) == 2:
        exten = parts[0]
    ext = chan.core.dialplan.find(context, exten)
    if ext is None:
        return False
    label = parts[-1]
    priority = int(label) if label.isdigit() else ext.labels.get(label)
    if priority is None:
        return False
    chan.context, chan.exten, chan.priority = context, exten, priority - 1
    return True


def newexten(chan: Channel, app: str, data: str) -> None:
    """The Newexten event for one priority; also the CDR's LastApplication/LastData."""
    chan.event(
        "Newexten", [("Extension", chan.exten), ("Application", app), ("AppData", data)], "dialplan"
    )
    if chan.cdr is not None:
        chan.cdr.app(app, data)


async def run_pbx(chan: Channel) -> None:
    """Execute dialplan from the channel's current location until it stops, then hang up."""
    chan.runs_pbx = True
    while not chan.gone and not chan.soft_hangup:
        if chan.redirect_to is not None:
            chan.context, chan.exten, chan.priority = chan.redirect_to
            chan.redirect_to = None
        ext = chan.core.dialplan.find(chan.context, chan.exten)
        step = ext.steps.get(chan.priority) if ext is not None else None
        if step is None:
            break
        app_name, raw = step
        data = expand(chan, raw)
        if chan.placeholder:
            newexten(chan, chan.placeholder, "(Outgoing Line)")
            chan.placeholder = ""
        else:
            newexten(chan, app_name, data)
        func = APPLICATIONS.get(app_name.lower())
        keep_going = await func(chan, data) if func is not None else True
        if chan.redirect_to is not None:
            continue
        if not keep_going:
            break
        chan.priority += 1
    chan.hangup()


def start_pbx(chan: Channel) -> None:
    """Start dialplan on ``chan`` in its own task (a new PBX thread in Asterisk)."""
    chan.runs_pbx = True
    chan.core.spawn(run_pbx(chan))
