"""One page of rows, and the page-size rules every paged entity shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.parsing import whole_number

DEFAULT_ROWS = 100
MAX_ROWS = 1000

Document = dict[str, Any]


@dataclass(frozen=True)
class PageRequest:
    """``page`` is 1-based; ``rows`` is the page size (jqGrid's names, as Asternic uses)."""

    page: int = 1
    rows: int = DEFAULT_ROWS

    @classmethod
    def parse(cls, page: str | None, rows: str | None) -> PageRequest:
        return cls(_positive("page", page, 1), min(_positive("rows", rows, DEFAULT_ROWS), MAX_ROWS))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.rows


@dataclass(frozen=True)
class Page:
    page: int
    total_pages: int
    records: int
    rows: list[Document]
    """The page's records as the dialect prints them (never store rows)."""

    @classmethod
    def of(cls, request: PageRequest, records: int, rows: list[Document]) -> Page:
        return cls(request.page, -(-records // request.rows), records, rows)

    @classmethod
    def slice(cls, request: PageRequest, everything: Sequence[Document]) -> Page:
        """Page through rows computed in full (aggregate reports have few rows)."""
        chunk = list(everything[request.offset : request.offset + request.rows])
        return cls.of(request, len(everything), chunk)


def _positive(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    number = whole_number(value)
    if number is None or number < 1:
        raise ValidationFailed(f"{name} must be a positive integer")
    return number
