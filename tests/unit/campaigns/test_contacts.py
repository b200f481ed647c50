"""Contact validation and CSV parsing: bad rows are reported by line and skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpaas_daemon.campaigns.contacts import contact, parse_csv
from cpaas_daemon.errors import ValidationFailed


def write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_become_contacts_with_extra_columns_as_fields(tmp_path: Path) -> None:
    parsed = parse_csv(
        write(
            tmp_path,
            "\ufeffcontact_name,contact_number,field1,field2\nankit,919979270001,Ankit,500\n",
        )
    )
    assert parsed.errors == []
    [only] = parsed.contacts
    assert (only.name, only.number, only.fields) == (
        "ankit",
        "919979270001",
        {"field1": "Ankit", "field2": "500"},
    )


def test_bad_rows_are_reported_by_line_number_and_skipped(tmp_path: Path) -> None:
    text = (
        "contact_number,contact_name\n"
        "919979270001,ok\n"
        "91997927XXXX,letters\n"
        "\n"
        "123&PJSIP/9,injection\n"
        "919979270002,ok,extra\n"
        "919979270003,ok\n"
    )
    parsed = parse_csv(write(tmp_path, text))
    assert [c.number for c in parsed.contacts] == ["919979270001", "919979270003"]
    assert [(e.line, e.error.split(" ")[0]) for e in parsed.errors] == [
        (3, "number"),
        (5, "number"),
        (6, "more"),
    ]


def test_a_file_without_a_number_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="contact_number"):
        parse_csv(write(tmp_path, "name,phone\na,919979270001\n"))


def test_dnd_files_accept_either_column_name(tmp_path: Path) -> None:
    dnd = parse_csv(
        write(tmp_path, "dnd_contact_name,dnd_contact_number\nx,919979270001\n"), dnd=True
    )
    plain = parse_csv(write(tmp_path, "contact_number\n919979270002\n", "b.csv"), dnd=True)
    assert [c.number for c in dnd.contacts + plain.contacts] == ["919979270001", "919979270002"]


def test_field_values_lose_control_characters() -> None:
    got = contact("919979270001", "a\nb", {"field1": "x\r\ny"}, "contacts[0]")
    assert (got.name, got.fields) == ("a b", {"field1": "x  y"})


def test_errors_name_the_contact() -> None:
    with pytest.raises(ValidationFailed, match=r"contacts\[3\]: number"):
        contact("12", "", None, "contacts[3]")
