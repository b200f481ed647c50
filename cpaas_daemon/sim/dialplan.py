"""Loader for pbx_config style ``extensions.conf`` files and extension pattern matching.

The simulator runs the real dialplan text (the rig's contexts and the daemon's own
``asterisk/extensions_cpaas.conf``) instead of hard-coding call flows, so the Newexten events,
priorities and AppData it emits are the ones Asterisk would emit for that text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_EXTEN = re.compile(r"^(exten|same)\s*=>?\s*(.*)$", re.I)
_PRIO = re.compile(r"^(?P<prio>\d+|n|hint)(?:\((?P<label>[^)]*)\))?$", re.I)


@dataclass
class Extension:
    """One extension (or pattern) of a context: numbered priorities and their labels."""

    pattern: str
    steps: dict[int, tuple[str, str]] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)

    def matches(self, exten: str) -> bool:
        """Asterisk matching: literal, or ``_`` pattern with X Z N [..] . !"""
        if not self.pattern.startswith("_"):
            return self.pattern == exten
        return _pattern_regex(self.pattern[1:]).fullmatch(exten) is not None


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "[":
            end = pattern.index("]", index)
            parts.append("[" + re.sub(r"([\\^])", r"\\\1", pattern[index + 1 : end]) + "]")
            index = end
        else:
            parts.append(
                {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(
                    char.upper(), re.escape(char)
                )
            )
        index += 1
    return re.compile("".join(parts))


def _split_app(text: str) -> tuple[str, str]:
    """``App(args)`` → (App, args); a bare ``App`` has empty args."""
    name, paren, rest = text.partition("(")
    if not paren:
        return name.strip(), ""
    return name.strip(), rest[: rest.rfind(")")] if ")" in rest else rest


def _strip_comment(line: str) -> str:
    out: list[str] = []
    escaped = False
    for char in line:
        if char == ";" and not escaped:
            break
        escaped = char == "\\" and not escaped
        out.append(char)
    return "".join(out).replace("\\;", ";").strip()


@dataclass
class Dialplan:
    """All contexts plus ``[globals]``; later files extend earlier ones."""

    contexts: dict[str, list[Extension]] = field(default_factory=dict)
    globals: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, files: Iterable[Path], overrides: Mapping[str, str]) -> Dialplan:
        """Parse files in order; ``overrides`` replace ``[globals]`` entries (tests set ports)."""
        plan = cls()
        for path in files:
            plan.parse(path.read_text(encoding="utf-8"))
        plan.globals.update(overrides)
        return plan

    def parse(self, text: str) -> None:
        """Parse one extensions.conf text into this dialplan."""
        section = ""
        current: Extension | None = None
        for raw in text.splitlines():
            line = _strip_comment(raw)
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and "]" in line:
                section, current = line[1 : line.index("]")].strip(), None
                continue
            if section == "globals":
                key, sep, value = line.partition("=")
                if sep:
                    self.globals[key.strip()] = value.strip()
                continue
            match = _EXTEN.match(line)
            if section == "general" or not match:
                continue
            if match.group(1).lower() == "exten":
                pattern, _, rest = match.group(2).partition(",")
                current = self._extension(section, pattern.strip())
            elif current is None:
                continue
            else:
                rest = match.group(2)
            prio_text, _, app_text = rest.partition(",")
            self._add_step(current, prio_text.strip(), app_text)

    def _extension(self, context: str, pattern: str) -> Extension:
        exts = self.contexts.setdefault(context, [])
        for ext in exts:
            if ext.pattern == pattern:
                return ext
        ext = Extension(pattern)
        exts.append(ext)
        return ext

    @staticmethod
    def _add_step(ext: Extension, prio_text: str, app_text: str) -> None:
        prio = _PRIO.match(prio_text)
        if prio is None or prio["prio"].lower() == "hint":
            return
        number = max(ext.steps, default=0) + 1 if prio["prio"].lower() == "n" else int(prio["prio"])
        ext.steps[number] = _split_app(app_text.strip())
        if prio["label"]:
            ext.labels[prio["label"]] = number

    def find(self, context: str, exten: str) -> Extension | None:
        """The extension that handles ``exten`` in ``context``: exact match wins over patterns."""
        exts = self.contexts.get(context, [])
        for ext in exts:
            if ext.pattern == exten:
                return ext
        return next((ext for ext in exts if ext.matches(exten)), None)

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        """Like ast_exists_extension."""
        ext = self.find(context, exten)
        return ext is not None and priority in ext.steps
