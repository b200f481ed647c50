"""docs/openapi.json stays true: every route is documented and every documented path is
served, each operation names its error dialect, and each example satisfies its schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from cpaas_daemon.app import create_app
from cpaas_daemon.sim.daemon_config import daemon_config
from tests.harness import Daemon
from tests.integration.faults import schema

STATIC_SUFFIX = "/{filename}"  # an add_static resource serves every file under its prefix


def served_routes(app: web.Application) -> set[tuple[str, str]]:
    """(METHOD, path template) of each route; HEAD is implied by GET (add_get adds it)."""
    routes = set()
    for route in app.router.routes():
        resource = route.resource
        assert resource is not None
        path = resource.canonical
        if isinstance(resource, web.StaticResource):
            path += STATIC_SUFFIX
        if route.method != "HEAD":
            routes.add((route.method, path))
    return routes


def documented_routes() -> set[tuple[str, str]]:
    return {(method, path) for method, path, _ in schema.operations()}


def test_every_served_route_is_documented_and_every_documented_route_is_served(
    tmp_path: Path,
) -> None:
    app = create_app(daemon_config(tmp_path, ami_port=1, agi_port=1))
    served, documented = served_routes(app), documented_routes()
    assert served - documented == set(), "routes missing from docs/openapi.json"
    assert documented - served == set(), "docs/openapi.json documents routes nobody serves"


def test_document_is_openapi_3_1_and_every_operation_names_its_dialect_and_errors() -> None:
    doc = schema.document()
    assert doc["openapi"].startswith("3.1")
    ids = [op["operationId"] for _, _, op in schema.operations()]
    assert len(ids) == len(set(ids))
    dialects = {"cpaas", "v2", "v2_agent", "isales", "asternic", "generic"}
    for method, path, op in schema.operations():
        assert op["x-dialect"] in dialects, (method, path)
        for status in op["responses"]:
            if int(status) >= 400:
                assert schema.error_schema(op, int(status)) is not None, (method, path, status)
        for security in op.get("security", []):
            for name in security:
                assert name in doc["components"]["securitySchemes"]


@pytest.mark.parametrize(
    ("method", "path", "op"),
    [entry for entry in schema.operations() if "requestBody" in entry[2]],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_request_examples_satisfy_their_schemas(method: str, path: str, op: dict) -> None:
    for content in op["requestBody"]["content"].values():
        if "example" in content:
            assert schema.errors(content["schema"], content["example"]) == []


def test_schema_check_rejects_what_the_handlers_reject() -> None:
    """The fuzzer trusts this checker to call a value invalid; spot-check its semantics."""
    phone = {"type": "string", "pattern": r"^\+?[0-9]{6,15}$"}
    assert schema.errors(phone, "919979270010") == []
    for bad in ("919979270010\n", "91997&9270010", "9199/79270010", "٩١٩٩٧٩٢٧٠٠١٠", 919979270010):
        assert schema.errors(phone, bad), bad
    body = {"type": "object", "x-strip-whitespace": True, "properties": {"n": phone}}
    assert schema.errors(body, {"n": " 919979270010\n"}) == []
    assert schema.errors(body, {"n": "\x1c919979270010"})  # pydantic does not trim \x1c


async def test_openapi_json_is_served_and_is_the_document(daemon: Daemon) -> None:
    status, body = await daemon.get("/openapi.json", account=None)
    assert status == 200
    assert body == schema.document()
