"""Parsing client text into numbers, strictly.

``str.isdigit()`` accepts superscripts (``"²"``) that ``int()`` then refuses, and ``int()``
accepts other scripts' digits, spaces and underscores; a request parameter is ASCII
digits or it is invalid. Every query-string and form number goes through here.
"""

from __future__ import annotations

import re

_WHOLE = re.compile(r"-?[0-9]{1,18}")


def whole_number(text: str) -> int | None:
    """``"42"`` -> 42, ``"-5"`` -> -5; anything else (``"²"``, ``"--5"``, ``" 1"``) -> None."""
    return int(text) if _WHOLE.fullmatch(text) else None
