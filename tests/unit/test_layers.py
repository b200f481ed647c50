"""The layers of issue 12.1: domains never import the API layer, and no handler looks a
service up on the request (handlers are built with the services they use)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cpaas_daemon"
# The HTTP layer and the composition root over it; every other module is a domain's.
HTTP_LAYER = {"api", "app.py", "http_server.py", "keys.py"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_domain_module_imports_the_api_layer() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in _imports(path) if name.startswith("cpaas_daemon.api")
        )
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in HTTP_LAYER
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_no_handler_reads_the_app_of_its_request() -> None:
    readers = sorted(
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "api").rglob("*.py")
        if "request.app" in path.read_text(encoding="utf-8")
    )
    assert readers == []


def test_no_store_row_reaches_the_api_layer() -> None:
    """Handlers get typed records or the documents the domains render (issue 12.3), never
    a store row whose columns they would have to know."""
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "api").rglob("*.py")
        if {"cpaas_daemon.store.db.Row", "sqlite3"} & _imports(path)
    )
    assert importers == []
