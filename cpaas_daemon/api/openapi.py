"""``GET /openapi.json``: the OpenAPI 3.1 document of every endpoint (docs/openapi.json).

The document is maintained by hand next to the other docs; tests/integration/faults/test_openapi.py
fails when a route is added or removed without it. It is read once, on first request.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.errors import NotFound

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


async def openapi_json(request: web.Request) -> web.Response:
    try:
        body = document()
    except FileNotFoundError:
        raise NotFound("the OpenAPI document is not installed with this copy") from None
    return json_response(body)
