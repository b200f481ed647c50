"""The OpenAPI document as test data: routes, error shapes, and a small JSON Schema check.

Only the keywords docs/openapi.json uses are implemented (no jsonschema dependency), with
its two extensions: ``x-strip-whitespace`` (pydantic strips Unicode whitespace from every
top-level string before the handler sees it) and ``x-case-insensitive`` (enum matched
ignoring case and spaces, as the speech options are).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
METHODS = ("get", "post", "patch", "delete", "put", "head")
# pydantic-core trims Unicode White_Space; Python's str.isspace() also counts \x1c-\x1f.
PYDANTIC_WS = "".join(
    c for c in map(chr, range(0x3001)) if c.isspace() and c not in "\x1c\x1d\x1e\x1f"
)


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOC_PATH.read_text(encoding="utf-8"))
    return loaded


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation in the document."""
    return [
        (method.upper(), path, op)
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document()["components"]["schemas"][name]
    return schema


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    # ECMA-262 (JSON Schema) -> Python: \p{Nd} is \d in a str pattern; `$` ends the string.
    python = pattern.replace(r"\p{Nd}", r"\d")
    if python.endswith("$") and not python.endswith(r"\$"):
        python = python[:-1] + r"\Z"
    return re.compile(python)


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    checks: dict[str, Any] = {
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    return bool(checks[kind](value))


def errors(schema: dict[str, Any], value: Any, at: str = "$") -> list[str]:
    """Why ``value`` does not satisfy ``schema`` (empty: it does)."""
    schema = resolve(schema)
    found: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_type_ok(value, kind) for kind in kinds):
            return [f"{at}: {type(value).__name__} is not {kinds}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: {value!r} != {schema['const']!r}")
    if "enum" in schema:
        allowed = schema["enum"]
        if schema.get("x-case-insensitive") and isinstance(value, str):
            value_key = value.replace(" ", "").lower()
            ok = any(isinstance(a, str) and a.lower() == value_key for a in allowed)
        else:
            ok = value in allowed
        if not ok:
            found.append(f"{at}: {value!r} not in enum")
    if isinstance(value, str):
        if "pattern" in schema and not _regex(schema["pattern"]).search(value):
            found.append(f"{at}: {value[:40]!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            found.append(f"{at}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{at}: longer than {schema['maxLength']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{at}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{at}: above {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{at}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{at}: more than {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                found += errors(schema["items"], item, f"{at}[{index}]")
    if isinstance(value, dict):
        found += _object_errors(schema, value, at)
    return found


def _object_errors(schema: dict[str, Any], value: dict[str, Any], at: str) -> list[str]:
    found = [f"{at}.{name} is required" for name in schema.get("required", ()) if name not in value]
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    strip = schema.get("x-strip-whitespace", False)
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        found.append(f"{at}: more than {schema['maxProperties']} properties")
    for name, raw in value.items():
        item = raw.strip(PYDANTIC_WS) if strip and isinstance(raw, str) else raw
        if "propertyNames" in schema:
            found += errors({"type": "string", **schema["propertyNames"]}, name, f"{at}:key")
        if name in props:
            found += errors(props[name], item, f"{at}.{name}")
        elif extra is False:
            found.append(f"{at}.{name} is not allowed")
        elif isinstance(extra, dict):
            found += errors(extra, item, f"{at}.{name}")
    return found


def error_schema(op: dict[str, Any], status: int) -> dict[str, Any] | None:
    """The JSON schema the document promises for ``status`` (None: not documented)."""
    response = op["responses"].get(str(status))
    if response is None:
        return None
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]
