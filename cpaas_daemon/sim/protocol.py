"""AMI wire format: the banner, ``Key: Value`` frames and action parsing.

Kept free of any call logic so the exact byte layout Asterisk 22 produces (CRLF line ends, an
empty line closing each frame, ``Key: `` with a trailing space for empty values, repeated keys)
lives in one place and can be tested on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

BANNER = b"Asterisk Call Manager/11.0.0\r\n"

Fields = list[tuple[str, str]]
Action = dict[str, str | list[str]]

# Keys that Asterisk accepts several times in one action; they are kept as lists.
REPEATABLE = frozenset({"variable"})


def format_frame(fields: Iterable[tuple[str, str]]) -> bytes:
    """Serialise one frame exactly as manager.c does (latin-1, CRLF, blank line at the end)."""
    body = "".join(f"{key}: {value}\r\n" for key, value in fields)
    return (body + "\r\n").encode("latin-1", errors="replace")


def parse_frame(raw: bytes) -> Fields:
    """Split one received frame (without its terminating blank line) into ordered pairs.

    Lines without a colon are ignored, as Asterisk does for actions.
    """
    pairs: Fields = []
    for line in raw.decode("latin-1").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            pairs.append((key.strip(), value.strip()))
    return pairs


def to_action(pairs: Fields) -> Action:
    """Turn pairs into an action dict; header names are normalised to their first spelling.

    ``Variable`` may repeat, so it always becomes a list; other repeated keys keep the first
    value like astman_get_header() does.
    """
    action: Action = {}
    for key, value in pairs:
        if key.lower() in REPEATABLE:
            existing = action.setdefault(key.capitalize(), [])
            assert isinstance(existing, list)
            existing.append(value)
        else:
            action.setdefault(key, value)
    return action


def header(action: Action, name: str) -> str:
    """Case-insensitive single-valued header lookup, '' when absent (like astman_get_header)."""
    lowered = name.lower()
    for key, value in action.items():
        if key.lower() == lowered:
            return value if isinstance(value, str) else ",".join(value)
    return ""


def variables(action: Action) -> list[tuple[str, str]]:
    """``Variable: NAME=value`` entries; one header may hold several, comma-separated."""
    raw = action.get("Variable", [])
    items = [raw] if isinstance(raw, str) else raw
    result: list[tuple[str, str]] = []
    for item in items:
        for part in item.split(","):
            name, sep, value = part.partition("=")
            if sep and name.strip():
                result.append((name.strip(), value))
    return result


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """Read up to the blank line that ends a frame; None on EOF."""
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    return data[:-4]
