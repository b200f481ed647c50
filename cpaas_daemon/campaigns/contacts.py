"""Contact input from JSON bodies and CSV files, validated before anything is stored.

A number that is not a valid phone number never reaches the database (it would later be
part of a dial string). Names and ``contact_fields`` values are free text that only ever
reaches the TTS engine, so control characters are stripped and lengths are capped.

CSV files have a header line. The number column is ``contact_number`` (DND files:
``dnd_contact_number``; ``contact_number`` is accepted there too), the name column is
``contact_name`` / ``dnd_contact_name``, and every other column of a contact list becomes
a ``contact_fields`` entry named by its header (``field1``, ``field2`` ...).

A file is parsed on a worker thread (:func:`read_csv`): 100,000 rows take seconds of
CPU, and on the event loop that would outlast the AMI ping timeout. A cell larger than
the csv module's field limit is a 400 naming its line, and nothing of the file is kept.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cpaas_daemon.announcements.text import strip_control
from cpaas_daemon.calls.dialstring import phone_number
from cpaas_daemon.errors import ValidationFailed

MAX_NAME, MAX_FIELD_VALUE, MAX_FIELDS = 128, 256, 32
MAX_CSV_ROWS = 100_000
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")


@dataclass(frozen=True)
class ContactInput:
    number: str
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    line: int
    error: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "error": self.error}


@dataclass(frozen=True)
class CsvContacts:
    contacts: list[ContactInput]
    errors: list[RowError]


def text(value: object, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValidationFailed(f"{what} must be a string")
    cleaned = strip_control(str(value))
    if len(cleaned) > limit:
        raise ValidationFailed(f"{what} must be at most {limit} characters")
    return cleaned


def contact_fields(value: object, what: str = "contact_fields") -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{what} must be an object of field name -> text")
    if len(value) > MAX_FIELDS:
        raise ValidationFailed(f"{what} may have at most {MAX_FIELDS} fields")
    fields = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise ValidationFailed(f"{what} names must be 1-32 of A-Z a-z 0-9 _")
        fields[name] = text(raw, f"{what}.{name}", MAX_FIELD_VALUE)
    return fields


def contact(number: object, name: object, fields: object, where: str) -> ContactInput:
    """One validated contact; errors are prefixed with ``where`` (``contacts[3]``)."""
    try:
        return ContactInput(
            number=phone_number(number.strip() if isinstance(number, str) else number, "number"),
            name=text(name, "name", MAX_NAME),
            fields=contact_fields(fields),
        )
    except ValidationFailed as exc:
        raise ValidationFailed(f"{where}: {exc.message}") from None


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in header), None)


async def read_csv(path: Path, dnd: bool = False) -> CsvContacts:
    """:func:`parse_csv` on a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(parse_csv, path, dnd)


def parse_csv(path: Path, dnd: bool = False) -> CsvContacts:
    """Every valid row, and the line number and reason of every row that was skipped."""
    try:
        return _parse(path, dnd)
    except csv.Error as exc:  # e.g. "field larger than field limit (131072)"
        raise ValidationFailed(f"{path.name}: not a readable CSV file ({exc})") from None


def _parse(path: Path, dnd: bool) -> CsvContacts:
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{path.name} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    number_names = ("dnd_contact_number", "contact_number") if dnd else ("contact_number",)
    name_names = ("dnd_contact_name", "contact_name") if dnd else ("contact_name",)
    number_col, name_col = _column(header, number_names), _column(header, name_names)
    if number_col is None:
        raise ValidationFailed(f"{path.name}: the header line must name a {number_names[0]} column")
    extra = [] if dnd else [name for name in header if name not in (number_col, name_col)]
    if bad := [name for name in extra if not _FIELD_NAME.match(name)]:
        raise ValidationFailed(f"{path.name}: column names must be A-Z a-z 0-9 _ (got {bad})")
    contacts: list[ContactInput] = []
    errors: list[RowError] = []
    for row in reader:
        line = reader.line_num
        if len(contacts) + len(errors) >= MAX_CSV_ROWS:
            raise ValidationFailed(f"{path.name}: more than {MAX_CSV_ROWS} rows")
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # blank line
        if None in row:
            errors.append(RowError(line, "more values than header columns"))
            continue
        fields = {name: row[name] or "" for name in extra}
        try:
            contacts.append(
                contact(row[number_col], row.get(name_col) if name_col else "", fields, "row")
            )
        except ValidationFailed as exc:
            errors.append(RowError(line, exc.message.removeprefix("row: ")))
    return CsvContacts(contacts, errors)
