"""Queue member interface -> member name, as Asterisk announces members on AMI.

queue_log names a member two ways: ADDMEMBER, REMOVEMEMBER and PENALTY carry the member's
*interface* (``PJSIP/101``, ``Local/101@agents/n``; app_queue.c logs ``m->interface``
unless queues.conf sets ``log_membername_as_agent``), while PAUSE and every call event
carry its *member name* (``Alice``). The line itself never holds both, so the pairing
comes from AMI: QueueMemberAdded and QueueMemberStatus (``Interface``/``MemberName``)
and the QueueStatus list's QueueMember (``Location``/``Name``). A pairing is kept after
the member leaves: its REMOVEMEMBER line still has to meet its name.

Kept in memory: after a daemon restart a member is known again from its next status
event (every call and device state change sends one); until then the extension rule of
:func:`cpaas_daemon.stats.agent_login.agent_key` still matches ``Agent 101`` to
``PJSIP/101``.
"""

from __future__ import annotations

from cpaas_daemon.ami.bus import Event, EventBus

EVENTS = ("QueueMemberAdded", "QueueMemberStatus", "QueueMember")


class MemberNames:
    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(self.learn, *EVENTS)

    def learn(self, event: Event) -> None:
        """Record the pairing an event states (both field spellings Asterisk uses)."""
        interface = event.get("Interface") or event.get("Location", "")
        name = event.get("MemberName") or event.get("Name", "")
        if interface and name:
            self._names[interface] = name

    def name_of(self, agent: str) -> str:
        """The member name for a queue_log agent field: an interface Asterisk has paired
        with a name, else the field as it is."""
        return self._names.get(agent, agent)
