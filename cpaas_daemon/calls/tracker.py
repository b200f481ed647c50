"""Live channel state, rebuilt from AMI events (and from CoreShowChannels on reconnect).

Every leg of a call shares the Linkedid of the first channel. Calls we originate get the
Uniqueid :func:`channel_id_for` mints from the request_id, so any channel's Linkedid
names its request; inbound calls are linked by the FastAGI hook with :meth:`link`.
That is what lets ``modify_call`` refuse another account's channel and the live
counters split calls by kind.

Several PBXs feed one tracker: every event names its PBX (:data:`PBX_KEY`), and channel
names, Uniqueids and Asterisk's own Linkedids are unique per PBX only, so they are kept
per PBX. A reconnect to one PBX replaces that PBX's channels and no other's
(:meth:`reset`), and :meth:`load` says how many calls a PBX carries (originate placement).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cpaas_daemon.ami.bus import PBX_KEY, Event, EventBus
from cpaas_daemon.calls.model import CallKind, request_id_from_uniqueid
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.metrics import Metrics


@dataclass
class LiveChannel:
    name: str
    uniqueid: str
    linkedid: str
    account_code: str
    state: str
    since: float = 0.0  # wall clock (epoch seconds) when the channel came up
    pbx_id: str = DEFAULT_PBX_ID

    @property
    def key(self) -> tuple[str, str]:
        return self.pbx_id, self.uniqueid


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    account_id: str
    kind: CallKind


class CallTracker:
    def __init__(self, bus: EventBus, metrics: Metrics) -> None:
        self._metrics = metrics
        # Keyed by (pbx_id, name) and (pbx_id, Uniqueid): both are unique per PBX only.
        self._by_name: dict[tuple[str, str], LiveChannel] = {}
        self._by_uniqueid: dict[tuple[str, str], LiveChannel] = {}
        self._pbx_ids: list[str] = []  # every PBX a channel was seen on, in that order
        self._requests: dict[str, RequestInfo] = {}
        self._links: dict[tuple[str, str], str] = {}  # (pbx, Linkedid) of inbound -> request
        self._legs: Counter[tuple[str, str]] = Counter()  # live channels per (pbx, Linkedid)
        self._calls: Counter[str] = Counter()  # live Linkedids (calls) per PBX
        self._placing: dict[str, str] = {}  # request_id -> PBX, Originate sent, no channel yet
        self._placing_on: Counter[str] = Counter()  # the same, counted per PBX (load is O(1))
        # By (PBX or None for any, Uniqueid): FastAGI sessions waiting for their channel.
        self._awaited: dict[tuple[str | None, str], list[asyncio.Future[LiveChannel]]] = {}
        bus.subscribe(self._on_newchannel, "Newchannel")
        bus.subscribe(self._on_hangup, "Hangup")
        bus.subscribe(self._on_update, "Newstate", "NewAccountCode")
        bus.subscribe(self._on_rename, "Rename")
        bus.subscribe(self._on_originate_response, "OriginateResponse")

    # -- registration -------------------------------------------------------------
    def register(self, info: RequestInfo, pbx_id: str | None = None) -> None:
        """Called before the Originate is sent, so the first event already resolves.
        With ``pbx_id`` (the PBX it is sent to), the call counts in that PBX's
        :meth:`load` from now on, before its first channel exists."""
        self._requests[info.request_id] = info
        if pbx_id is not None:
            self._unplace(info.request_id)
            self._placing[info.request_id] = pbx_id
            self._placing_on[pbx_id] += 1

    def link(self, linkedid: str, info: RequestInfo, pbx_id: str = DEFAULT_PBX_ID) -> bool:
        """An inbound call (Asterisk's own Linkedid on ``pbx_id``) now belongs to ``info``.
        A call that already belongs to a request (one we originated, or linked before) is
        never moved: returns False and changes nothing (issue 10.1)."""
        key = pbx_id, linkedid
        if request_id_from_uniqueid(linkedid) is not None or key in self._links:
            return False
        self._requests[info.request_id] = info
        self._links[key] = info.request_id
        return True

    async def seen(
        self, uniqueid: str, within: float, pbx_id: str | None = None
    ) -> LiveChannel | None:
        """The live channel with this Uniqueid on ``pbx_id`` (None: on any PBX, for a
        FastAGI session that names none), waiting up to ``within`` seconds for its
        Newchannel (a FastAGI session can beat the AMI event by a few milliseconds)."""
        if pbx_id is None:
            channel = self._any_pbx(self._by_uniqueid, uniqueid)
        else:
            channel = self._by_uniqueid.get((pbx_id, uniqueid))
        if channel is not None or not uniqueid:
            return channel
        future: asyncio.Future[LiveChannel] = asyncio.get_running_loop().create_future()
        waiting = self._awaited.setdefault((pbx_id, uniqueid), [])
        waiting.append(future)
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            return None
        finally:
            waiting.remove(future)
            if not waiting:
                self._awaited.pop((pbx_id, uniqueid), None)

    def forget(self, request_id: str) -> None:
        self._requests.pop(request_id, None)
        self._unplace(request_id)

    def placed(self, request_id: str) -> None:
        """The Originate's answer will never come (the link dropped): the call counts in
        its PBX's load by its channels only, if any appear."""
        self._unplace(request_id)

    def _unplace(self, request_id: str) -> None:
        pbx_id = self._placing.pop(request_id, None)
        if pbx_id is not None:
            self._placing_on[pbx_id] -= 1

    # -- queries ------------------------------------------------------------------
    def request_of(self, channel: LiveChannel) -> RequestInfo | None:
        request_id = request_id_from_uniqueid(channel.linkedid) or self._links.get(
            (channel.pbx_id, channel.linkedid)
        )
        return None if request_id is None else self._requests.get(request_id)

    def channel(self, name: str) -> LiveChannel | None:
        """The live channel of that name, on whichever PBX it lives (the API names a
        channel, not its PBX; if two PBXs have one of that name, the one seen first)."""
        return self._any_pbx(self._by_name, name)

    def channel_of(self, account_id: str, name: str) -> LiveChannel | None:
        """The account's live channel of that name, on whichever PBX (None: not live, or
        another account's)."""
        for pbx_id in self._pbx_ids:
            found = self._by_name.get((pbx_id, name))
            if found is not None and self._account(found) == account_id:
                return found
        return None

    def load(self, pbx_id: str) -> int:
        """Calls on this PBX now: its live Linkedids, and the calls sent to it whose first
        channel has not appeared yet (so a burst of Originates is counted at once)."""
        return self._calls[pbx_id] + self._placing_on[pbx_id]

    def _any_pbx(self, index: dict[tuple[str, str], LiveChannel], key: str) -> LiveChannel | None:
        for pbx_id in self._pbx_ids:
            found = index.get((pbx_id, key))
            if found is not None:
                return found
        return None

    def owner(self, name: str) -> str | None:
        """The account a live channel belongs to, or None if unknown / not live."""
        channel = self.channel(name)
        return None if channel is None else self._account(channel)

    def _account(self, channel: LiveChannel) -> str | None:
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

    def originated_live_on(self, pbx_id: str) -> set[str]:
        """Requests we originated (on any node: the Linkedid names the request) with at
        least one live channel on this PBX, registered here or not."""
        return {
            request_id
            for (pbx, _), channel in self._by_uniqueid.items()
            if pbx == pbx_id and (request_id := request_id_from_uniqueid(channel.linkedid))
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
    def reset(self, listing: Iterable[Mapping[str, str]], pbx_id: str = DEFAULT_PBX_ID) -> None:
        """Replace one PBX's channels with its CoreShowChannels listing (after a
        reconnect to it); the other PBXs' channels stay."""
        for key in [key for key in self._by_uniqueid if key[0] == pbx_id]:
            channel = self._by_uniqueid.pop(key)
            self._by_name.pop((pbx_id, channel.name), None)
        for key in [key for key in self._legs if key[0] == pbx_id]:
            del self._legs[key]
        self._calls.pop(pbx_id, None)
        # Originates sent before the link dropped: their answers are lost; any channel
        # they made is in the listing.
        self._placing = {rid: pbx for rid, pbx in self._placing.items() if pbx != pbx_id}
        self._placing_on.pop(pbx_id, None)
        for item in listing:
            if item.get("Event") == "CoreShowChannel":
                self._add({**item, PBX_KEY: pbx_id})
        self._metrics.live_channels.set(len(self._by_name))

    def _add(self, event: Mapping[str, str]) -> None:
        channel = LiveChannel(
            name=event.get("Channel", ""),
            uniqueid=event.get("Uniqueid", ""),
            linkedid=event.get("Linkedid", "") or event.get("Uniqueid", ""),
            account_code=event.get("AccountCode", ""),
            state=event.get("ChannelStateDesc", ""),
            since=time.time() - _duration(event.get("Duration", "")),
            pbx_id=event.get(PBX_KEY, DEFAULT_PBX_ID),
        )
        if channel.pbx_id not in self._pbx_ids:
            self._pbx_ids.append(channel.pbx_id)
        self._by_name[channel.pbx_id, channel.name] = channel
        self._by_uniqueid[channel.key] = channel
        call = channel.pbx_id, channel.linkedid
        self._legs[call] += 1
        if self._legs[call] == 1:
            self._calls[channel.pbx_id] += 1
            if self._placing:
                self._unplace(request_id_from_uniqueid(channel.linkedid) or "")
        if self._awaited:
            for pbx_id in (channel.pbx_id, None):
                for future in self._awaited.get((pbx_id, channel.uniqueid), ()):
                    if not future.done():
                        future.set_result(channel)

    def _on_newchannel(self, event: Event) -> None:
        self._add(event)
        self._metrics.live_channels.set(len(self._by_name))

    def _on_hangup(self, event: Event) -> None:
        """Drop the channel; when a call's last leg is gone, forget the call too."""
        pbx_id = event.get(PBX_KEY, DEFAULT_PBX_ID)
        channel = self._by_uniqueid.pop((pbx_id, event.get("Uniqueid", "")), None)
        if channel is None:
            return
        self._by_name.pop((pbx_id, channel.name), None)
        self._metrics.live_channels.set(len(self._by_name))
        call = pbx_id, channel.linkedid
        self._legs[call] -= 1
        if self._legs[call] <= 0:
            del self._legs[call]
            self._calls[pbx_id] -= 1
            info = self.request_of(channel)
            self._links.pop(call, None)
            if info is not None:
                self.forget(info.request_id)

    def _on_originate_response(self, event: Event) -> None:
        """An Originate that failed may have made no channel at all (a PJSIP endpoint
        that is not registered): it stops counting in its PBX's load. One that
        succeeded has its channels by now."""
        if self._placing:
            self._unplace(event.get("ActionID", "").rpartition(".")[2])

    def of_event(self, event: Event) -> LiveChannel | None:
        """The live channel an event is about (its PBX's channel of that Uniqueid)."""
        return self._by_uniqueid.get(
            (event.get(PBX_KEY, DEFAULT_PBX_ID), event.get("Uniqueid", ""))
        )

    def _on_update(self, event: Event) -> None:
        channel = self.of_event(event)
        if channel is not None:
            channel.state = event.get("ChannelStateDesc", channel.state)
            channel.account_code = event.get("AccountCode", channel.account_code)

    def _on_rename(self, event: Event) -> None:
        channel = self.of_event(event)
        if channel is not None:
            self._by_name.pop((channel.pbx_id, channel.name), None)
            channel.name = event.get("Newname", channel.name)
            self._by_name[channel.pbx_id, channel.name] = channel


def _duration(text: str) -> int:
    """CoreShowChannel's ``Duration`` (``HH:MM:SS``) in seconds; 0 for a Newchannel (which
    has none: the channel is new) or anything unreadable."""
    parts = text.split(":")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        return 0
    hours, minutes, seconds = (int(part) for part in parts)
    return hours * 3600 + minutes * 60 + seconds
