"""The wallboard page: static HTML with the first board inlined as JSON.

Inlining the board means the page is complete when it loads (no blank screen until the
stream's first event; a headless browser's ``--dump-dom`` sees it too); the stream then
keeps it current. Scripts and styles are plain files under ``static/``: no build step,
nothing fetched from the internet.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).parent / "static"
_MARKER = "{{BOARD}}"


@cache
def _template() -> str:
    return resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")


def render(document: dict[str, Any]) -> str:
    """Escape ``<`` so no caller name can close the ``<script>`` element."""
    data = json.dumps(document, separators=(",", ":")).replace("<", "\\u003c")
    return _template().replace(_MARKER, data, 1)
