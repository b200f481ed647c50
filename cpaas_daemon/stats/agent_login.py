"""Agent login, pause and session state, replayed from queue_log membership lines.

Asterisk names an agent two ways: ADDMEMBER/REMOVEMEMBER carry the member *interface*
(``Local/203@agents/n``) while PAUSE and call events carry the member *name*
(``Agent 203``). Where AMI paired the interface with its name
(:mod:`cpaas_daemon.stats.member_names`) the interface becomes that name; otherwise
:func:`agent_key` reduces both to the extension (``203``) so the lines of one agent meet;
docs/counters.md states this rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

LOGIN_EVENTS = {"ADDMEMBER": "Web", "AGENTLOGIN": "Phone"}
"""Login type by the event that started the session: added through the API/AMI
(QueueAdd, i.e. the web/app console) or logged in from the phone (AgentLogin)."""
LOGOUT_EVENTS = frozenset({"REMOVEMEMBER", "AGENTLOGOFF"})
MEMBERSHIP_EVENTS = frozenset(
    {*LOGIN_EVENTS, *LOGOUT_EVENTS, "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL"}
)
AGENT_POOL = ""
"""AGENTLOGIN/AGENTLOGOFF are not about one queue: they log in to the agent pool."""
ALL_QUEUES = "*"


def agent_key(name: str) -> str:
    """``Agent 203``, ``Local/203@agents/n`` and ``PJSIP/203`` all become ``203``."""
    if "/" in name:
        return name.split("/", 1)[1].split("@", 1)[0].split("/", 1)[0]
    return name.rsplit(" ", 1)[-1]


@dataclass(frozen=True)
class MemberLine:
    epoch: int
    queue: str
    agent: str
    event: str


@dataclass
class LoginState:
    queues: set[str] = field(default_factory=set)  # queues (or AGENT_POOL) logged in to
    paused: set[str] = field(default_factory=set)  # queues paused in; ALL_QUEUES for all
    session_start: int | None = None
    session_type: str = ""

    @property
    def logged_in(self) -> bool:
        return bool(self.queues)

    @property
    def available(self) -> bool:
        """Logged in and not paused in at least one queue: can take a call now."""
        return ALL_QUEUES not in self.paused and bool(self.queues - self.paused)

    @property
    def multi_queue(self) -> bool:
        return len(self.queues - {AGENT_POOL}) > 1

    def apply(self, line: MemberLine) -> None:
        was_in = self.logged_in
        if line.event in LOGIN_EVENTS:
            self.queues.add(AGENT_POOL if line.event == "AGENTLOGIN" else line.queue)
        elif line.event in LOGOUT_EVENTS:
            queue = AGENT_POOL if line.event == "AGENTLOGOFF" else line.queue
            self.queues.discard(queue)
            self.paused.discard(queue)
        elif line.event == "PAUSE":
            self.paused.add(line.queue)
        elif line.event == "UNPAUSE":
            self.paused.discard(line.queue)
        elif line.event == "PAUSEALL":
            self.paused.add(ALL_QUEUES)
        elif line.event == "UNPAUSEALL":
            self.paused.clear()
        if not was_in and self.logged_in:
            self.session_start = line.epoch
            self.session_type = LOGIN_EVENTS[line.event]
        elif was_in and not self.logged_in:
            self.session_start, self.session_type = None, ""


def replay(
    lines: Iterable[MemberLine], keys: set[str], name_of: Callable[[str], str] = str
) -> dict[str, LoginState]:
    """Each agent's state after ``lines`` (in log order), for the agents in ``keys``;
    ``name_of`` turns an interface into its member name where that is known."""
    states = {key: LoginState() for key in keys}
    for line in lines:
        state = states.get(agent_key(name_of(line.agent)))
        if state is not None:
            state.apply(line)
    return states


def duration(seconds: int) -> list[str]:
    """``[hours, minutes, seconds]`` as strings, hours unbounded (seed: ["69","15","50"])."""
    seconds = max(seconds, 0)
    return [str(seconds // 3600), str(seconds % 3600 // 60), str(seconds % 60)]
