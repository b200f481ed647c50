"""Dialplan variable substitution (``${...}``) and expressions (``$[...]``).

Only what the rig's and the daemon's dialplans use, implemented the way pbx_substitute_variables
and ast_expr2 behave: substrings ``${VAR:offset:length}`` (negative offsets count from the end),
functions through a callback, and ``$[ ]`` with string/number comparison and arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Lookup = Callable[[str], str]
FuncCall = Callable[[str, str], str]

_SUBSTR = re.compile(r"^(?P<name>[^:]+):(?P<offset>-?\d+)(?::(?P<length>-?\d+))?$")
_FUNC = re.compile(r"^(?P<name>[A-Z_a-z0-9]+)\((?P<args>.*)\)$", re.S)


def _closing(text: str, start: int, open_ch: str, close_ch: str) -> int:
    """Index of the bracket closing the one opened just before ``start`` (nesting aware)."""
    depth = 1
    for index in range(start, len(text)):
        if text[index] == open_ch:
            depth += 1
        elif text[index] == close_ch:
            depth -= 1
            if depth == 0:
                return index
    return len(text)


def substitute(text: str, lookup: Lookup, call: FuncCall) -> str:
    """Expand every ``${...}`` and ``$[...]`` in ``text``, innermost first."""
    out: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("${", index) or text.startswith("$[", index):
            open_ch, close_ch = ("{", "}") if text[index + 1] == "{" else ("[", "]")
            end = _closing(text, index + 2, open_ch, close_ch)
            inner = substitute(text[index + 2 : end], lookup, call)
            out.append(_variable(inner, lookup, call) if open_ch == "{" else evaluate(inner))
            index = end + 1
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def _variable(inner: str, lookup: Lookup, call: FuncCall) -> str:
    func = _FUNC.match(inner)
    if func:
        return call(func["name"].upper(), func["args"])
    sub = _SUBSTR.match(inner)
    if not sub:
        return lookup(inner)
    value = lookup(sub["name"])
    offset = int(sub["offset"])
    start = max(len(value) + offset, 0) if offset < 0 else offset
    if sub["length"] is None:
        return value[start:]
    length = int(sub["length"])
    return value[start : start + length] if length >= 0 else value[start:length]


_TOKEN = re.compile(r'\s*("(?:[^"]*)"|!=|<=|>=|[=<>+\-*/&|()]|[^\s=<>!+\-*/&|()"]+)')
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("|",),
    ("&",),
    ("=", "!=", "<", ">", "<=", ">="),
    ("+", "-"),
    ("*", "/"),
)


def _num(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _apply(op: str, left: str, right: str) -> str:
    lnum, rnum = _num(left), _num(right)
    numeric = lnum is not None and rnum is not None
    if op == "|":
        return left if left not in ("", "0") else right
    if op == "&":
        return left if left not in ("", "0") and right not in ("", "0") else "0"
    if op in ("+", "-", "*", "/"):
        a, b = lnum or 0, rnum or 0
        if op == "/":
            return str(int(a / b)) if b else "0"
        return str({"+": a + b, "-": a - b, "*": a * b}[op])
    if numeric and lnum is not None and rnum is not None:
        return "1" if _compare(op, lnum, rnum) else "0"
    return "1" if _compare(op, left, right) else "0"


def _compare(op: str, a: int | str, b: int | str) -> bool:
    """Comparison of two numbers or two strings (never mixed)."""
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    pair = (a, b) if isinstance(a, int) and isinstance(b, int) else (str(a), str(b))
    less, greater = pair[0] < pair[1], pair[0] > pair[1]  # type: ignore[operator]
    return {"<": less, ">": greater, "<=": not greater, ">=": not less}[op]


def evaluate(expression: str) -> str:
    """Evaluate a ``$[ ]`` body; quoted strings compare as their contents."""
    tokens: list[str] = [t for t in _TOKEN.findall(expression) if t]
    pos = 0

    def parse(level: int) -> str:
        nonlocal pos
        if level == len(_LEVELS):
            return atom()
        left = parse(level + 1)
        while pos < len(tokens) and tokens[pos] in _LEVELS[level]:
            op = tokens[pos]
            pos += 1
            left = _apply(op, left, parse(level + 1))
        return left

    def atom() -> str:
        nonlocal pos
        if pos >= len(tokens):
            return ""
        token = tokens[pos]
        pos += 1
        if token == "(":
            value = parse(0)
            pos += 1
            return value
        return token[1:-1] if token.startswith('"') else token

    return parse(0) if tokens else ""
