"""Every AMI action the daemon sends, built in one place.

Services call these functions and hand the result to :meth:`AmiClient.send`; nothing
else builds an ``{"Action": ...}`` mapping. That gives three guarantees one place to live:

* header safety: no value may contain CR or LF (a second header, or a second action, on
  the wire), and values that become part of a dial string or dialplan location are held
  to :data:`_SAFE_VALUE` (live channel names to :func:`channel`). Client input was
  validated long before (``calls/dialstring.py``); this is the last line of defence
  against a programming error producing an injectable action, and it raises
  :class:`UnsafeValue` before anything is sent;
* whether the answer is a list (``as_list``), which panoramisk would otherwise guess
  from the reply's text, wrongly for some actions (see ``ami/client.py``);
* the registry :data:`ACTIONS` of every action name, which
  ``tests/unit/asterisk/test_dialplan_files.py`` checks against manager.conf's privileges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Header = str | Sequence[str]

# name -> whether Asterisk answers with a list of events ending in ``...Complete``.
ACTIONS: dict[str, bool] = {
    "Login": False,
    "Ping": False,
    "Originate": False,
    "BlindTransfer": False,
    "Atxfer": False,
    "Hangup": False,
    "MixMonitor": False,
    "Setvar": False,
    "CoreShowChannels": True,
    "QueueStatus": True,
}

# What a daemon-built value that reaches a dial string or dialplan location may contain.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.@/+:=()\- ]*$")
# A live channel as Asterisk prints it (``PJSIP/101-0000023c``, ``Local/x@y-1;2``).
_CHANNEL = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9_.@+=:-]+(;[12])?$")


class UnsafeValue(ValueError):
    """A value the daemon refuses to put on the wire (nothing was sent)."""


def safe(value: str, what: str) -> str:
    """``value`` if it may be part of a dial string or dialplan location, else raise."""
    if not _SAFE_VALUE.match(value):
        raise UnsafeValue(f"refusing unsafe AMI value for {what}: {value!r}")
    return value


def channel(value: str) -> str:
    """``value`` if it is a channel name, else raise (an action on it would misfire)."""
    if not _CHANNEL.match(value):
        raise UnsafeValue(f"refusing unsafe AMI channel name: {value!r}")
    return value


@dataclass(frozen=True)
class AmiAction:
    """One action ready for :meth:`AmiClient.send`: built only by this module's functions."""

    name: str
    headers: Mapping[str, Header]
    as_list: bool

    def fields(self) -> dict[str, Header]:
        """The frame's headers, ``Action`` first."""
        return {"Action": self.name, **self.headers}


def _action(name: str, **headers: Header) -> AmiAction:
    for key, value in headers.items():
        for item in [value] if isinstance(value, str) else value:
            if "\r" in item or "\n" in item:
                raise UnsafeValue(f"refusing a line break in AMI header {key}")
    return AmiAction(name, headers, ACTIONS[name])


def login(username: str, secret: str, events: str = "on") -> AmiAction:
    """``events``: the event classes the session gets (``on``: all; Asterisk's
    ``Events`` header, intersected with the user's ``read=`` in manager.conf)."""
    return _action("Login", Username=username, Secret=secret, Events=events)


def ping() -> AmiAction:
    return _action("Ping")


def originate(
    *,
    dial: str,
    context: str,
    exten: str,
    timeout_ms: int,
    caller_id: str,
    account: str,
    channel_id: str,
    other_channel_id: str,
    variables: Mapping[str, str],
) -> AmiAction:
    """Async Originate: Asterisk answers ``Originate successfully queued`` at once; the
    call's progress (OriginateResponse, Newchannel ...) arrives as events, correlated by
    ``channel_id`` from the first one and by the ActionID :meth:`AmiClient.send` gives it
    for a call that never made a channel. An empty ``caller_id`` is left out (the
    trunk's own applies)."""
    headers: dict[str, Header] = {
        "Channel": safe(dial, "Channel"),
        "Context": safe(context, "Context"),
        "Exten": safe(exten, "Exten"),
        "Priority": "1",
        "Timeout": str(timeout_ms),
        "CallerID": safe(caller_id, "CallerID"),
        "Account": safe(account, "Account"),
        "ChannelId": safe(channel_id, "ChannelId"),
        "OtherChannelId": safe(other_channel_id, "OtherChannelId"),
        "Variable": [f"{safe(k, 'Variable')}={safe(v, k)}" for k, v in variables.items()],
        "Async": "true",
    }
    if not caller_id:
        del headers["CallerID"]
    return _action("Originate", **headers)


def _transfer(name: str, live: str, context: str, exten: str) -> AmiAction:
    return _action(
        name,
        Channel=channel(live),
        Context=safe(context, "Context"),
        Exten=safe(exten, "transfer_to"),
    )


def blind_transfer(live: str, context: str, exten: str) -> AmiAction:
    """Hand ``live``'s bridge peer to ``exten@context`` and hang ``live`` up."""
    return _transfer("BlindTransfer", live, context, exten)


def atxfer(live: str, context: str, exten: str) -> AmiAction:
    """Put ``live``'s peer on hold while ``live`` consults ``exten@context``."""
    return _transfer("Atxfer", live, context, exten)


def hangup(live: str, cause: int = 16) -> AmiAction:
    """Hang ``live`` up (16: normal clearing)."""
    return _action("Hangup", Channel=channel(live), Cause=str(cause))


def mix_monitor(live: str, file: str, options: str = "b") -> AmiAction:
    """Record ``live`` into ``file`` (``b``: only while bridged)."""
    return _action("MixMonitor", Channel=channel(live), File=file, Options=options)


def set_global(name: str, value: str) -> AmiAction:
    """Set a dialplan global (no ``Channel``)."""
    return _action("Setvar", Variable=safe(name, "Variable"), Value=value)


def set_var(live: str, name: str, value: str) -> AmiAction:
    """Set a channel variable on ``live``."""
    return _action("Setvar", Channel=channel(live), Variable=safe(name, "Variable"), Value=value)


def core_show_channels() -> AmiAction:
    return _action("CoreShowChannels")


def queue_status(queue: str | None = None) -> AmiAction:
    return _action("QueueStatus") if queue is None else _action("QueueStatus", Queue=queue)
