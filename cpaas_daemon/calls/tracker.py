"""Live channel state, rebuilt from AMI events (and from CoreShowChannels on reconnect).

Every leg of a call shares the Linkedid of the first channel. Calls we originate get the
Uniqueid :func:`channel_id_for` mints from the request_id, so any channel's Linkedid
names its request; inbound calls are linked by the FastAGI hook with :meth:`link`.
That is what lets ``modify_call`` refuse another account's channel and the live
counters split calls by kind.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cpaas_daemon.ami.bus import Event, EventBus
from cpaas_daemon.calls.model import CallKind, request_id_from_uniqueid
from cpaas_daemon.metrics import Metrics


@dataclass
class LiveChannel:
    name: str
    uniqueid: str
    linkedid: str
    account_code: str
    state: str
    since: float = 0.0  # wall clock (epoch seconds) when the channel came up


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    account_id: str
    kind: CallKind


class CallTracker:
    def __init__(self, bus: EventBus, metrics: Metrics) -> None:
        self._metrics = metrics
        self._by_name: dict[str, LiveChannel] = {}
        self._by_uniqueid: dict[str, LiveChannel] = {}
        self._requests: dict[str, RequestInfo] = {}
        self._links: dict[str, str] = {}  # Linkedid of an inbound call -> request_id
        self._legs: Counter[str] = Counter()  # live channels per Linkedid
        self._awaited: dict[str, list[asyncio.Future[LiveChannel]]] = {}  # by Uniqueid
        bus.subscribe(self._on_newchannel, "Newchannel")
        bus.subscribe(self._on_hangup, "Hangup")
        bus.subscribe(self._on_update, "Newstate", "NewAccountCode")
        bus.subscribe(self._on_rename, "Rename")

    # -- registration -------------------------------------------------------------
    def register(self, info: RequestInfo) -> None:
        """Called before the Originate is sent, so the first event already resolves."""
        self._requests[info.request_id] = info

    def link(self, linkedid: str, info: RequestInfo) -> bool:
        """An inbound call (Asterisk's own Linkedid) now belongs to ``info``. A call that
        already belongs to a request (one we originated, or linked before) is never
        moved: returns False and changes nothing (issue 10.1)."""
        if request_id_from_uniqueid(linkedid) is not None or linkedid in self._links:
            return False
        self._requests[info.request_id] = info
        self._links[linkedid] = info.request_id
        return True

    async def seen(self, uniqueid: str, within: float) -> LiveChannel | None:
        """The live channel with this Uniqueid, waiting up to ``within`` seconds for its
        Newchannel (a FastAGI session can beat the AMI event by a few milliseconds)."""
        channel = self._by_uniqueid.get(uniqueid)
        if channel is not None or not uniqueid:
            return channel
        future: asyncio.Future[LiveChannel] = asyncio.get_running_loop().create_future()
        waiting = self._awaited.setdefault(uniqueid, [])
        waiting.append(future)
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            return None
        finally:
            waiting.remove(future)
            if not waiting:
                self._awaited.pop(uniqueid, None)

    def forget(self, request_id: str) -> None:
        self._requests.pop(request_id, None)

    # -- queries ------------------------------------------------------------------
    def request_of(self, channel: LiveChannel) -> RequestInfo | None:
        request_id = request_id_from_uniqueid(channel.linkedid) or self._links.get(channel.linkedid)
        return None if request_id is None else self._requests.get(request_id)

    def channel(self, name: str) -> LiveChannel | None:
        return self._by_name.get(name)

    def owner(self, name: str) -> str | None:
        """The account a live channel belongs to, or None if unknown / not live."""
        channel = self._by_name.get(name)
        if channel is None:
            return None
        info = self.request_of(channel)
        return info.account_id if info is not None else (channel.account_code or None)

    def live_requests(self) -> set[str]:
        """Requests with at least one live channel, in one pass over the channels (the
        campaign sweep asks about every attempt in flight each second)."""
        return {
            info.request_id
            for channel in self._by_name.values()
            if (info := self.request_of(channel)) is not None
        }

    def live_calls(self, account_id: str | None = None) -> Counter[CallKind]:
        """Calls (not channels) currently up, by kind; one call may have many legs."""
        seen: dict[str, CallKind] = {}
        for channel in self._by_name.values():
            info = self.request_of(channel)
            if info is not None and (account_id is None or info.account_id == account_id):
                seen[info.request_id] = info.kind
        return Counter(seen.values())

    def live_channels(self) -> Iterable[LiveChannel]:
        return self._by_name.values()

    def calls_of(self, account_id: str) -> dict[str, tuple[RequestInfo, list[LiveChannel]]]:
        """The account's live calls: request_id -> its request and live channels, in the
        order they appeared (``_by_uniqueid`` keeps it; a Rename reorders ``_by_name``)."""
        calls: dict[str, tuple[RequestInfo, list[LiveChannel]]] = {}
        for channel in self._by_uniqueid.values():
            info = self.request_of(channel)
            if info is not None and info.account_id == account_id:
                calls.setdefault(info.request_id, (info, []))[1].append(channel)
        return calls

    # -- event handlers -----------------------------------------------------------
    def reset(self, listing: Iterable[Mapping[str, str]]) -> None:
        """Replace the state with a CoreShowChannels listing (after a reconnect)."""
        self._by_name.clear()
        self._by_uniqueid.clear()
        self._legs.clear()
        for item in listing:
            if item.get("Event") == "CoreShowChannel":
                self._add(item)
        self._metrics.live_channels.set(len(self._by_name))

    def _add(self, event: Mapping[str, str]) -> None:
        channel = LiveChannel(
            name=event.get("Channel", ""),
            uniqueid=event.get("Uniqueid", ""),
            linkedid=event.get("Linkedid", "") or event.get("Uniqueid", ""),
            account_code=event.get("AccountCode", ""),
            state=event.get("ChannelStateDesc", ""),
            since=time.time() - _duration(event.get("Duration", "")),
        )
        self._by_name[channel.name] = channel
        self._by_uniqueid[channel.uniqueid] = channel
        self._legs[channel.linkedid] += 1
        if self._awaited:
            for future in self._awaited.get(channel.uniqueid, ()):
                if not future.done():
                    future.set_result(channel)

    def _on_newchannel(self, event: Event) -> None:
        self._add(event)
        self._metrics.live_channels.set(len(self._by_name))

    def _on_hangup(self, event: Event) -> None:
        """Drop the channel; when a call's last leg is gone, forget the call too."""
        channel = self._by_uniqueid.pop(event.get("Uniqueid", ""), None)
        if channel is None:
            return
        self._by_name.pop(channel.name, None)
        self._metrics.live_channels.set(len(self._by_name))
        self._legs[channel.linkedid] -= 1
        if self._legs[channel.linkedid] <= 0:
            del self._legs[channel.linkedid]
            info = self.request_of(channel)
            self._links.pop(channel.linkedid, None)
            if info is not None:
                self.forget(info.request_id)

    def _on_update(self, event: Event) -> None:
        channel = self._by_uniqueid.get(event.get("Uniqueid", ""))
        if channel is not None:
            channel.state = event.get("ChannelStateDesc", channel.state)
            channel.account_code = event.get("AccountCode", channel.account_code)

    def _on_rename(self, event: Event) -> None:
        channel = self._by_uniqueid.get(event.get("Uniqueid", ""))
        if channel is not None:
            self._by_name.pop(channel.name, None)
            channel.name = event.get("Newname", channel.name)
            self._by_name[channel.name] = channel


def _duration(text: str) -> int:
    """CoreShowChannel's ``Duration`` (``HH:MM:SS``) in seconds; 0 for a Newchannel (which
    has none: the channel is new) or anything unreadable."""
    parts = text.split(":")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        return 0
    hours, minutes, seconds = (int(part) for part in parts)
    return hours * 3600 + minutes * 60 + seconds
