"""``cpaas-daemon announcements add|list`` against a temporary database."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpaas_daemon.announcements.templates import TEMPLATE_ID
from cpaas_daemon.main import EXIT_CONFIG, EXIT_OK, main


def test_add_prints_the_new_id_and_list_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(tmp_path / "cpaas.sqlite3")]
    assert main([*db, "accounts", "add", "acme"]) == EXIT_OK
    capsys.readouterr()

    assert main([*db, "announcements", "add", "acme", "Your code is {otp}"]) == EXIT_OK
    template_id = capsys.readouterr().out.strip()
    assert TEMPLATE_ID.fullmatch(template_id)

    assert main([*db, "announcements", "list", "acme"]) == EXIT_OK
    listed_id, created_at, text = capsys.readouterr().out.rstrip("\n").split("\t")
    assert (listed_id, text) == (template_id, "Your code is {otp}")
    assert created_at


def test_invalid_template_exits_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(tmp_path / "cpaas.sqlite3")]
    assert main([*db, "accounts", "add", "acme"]) == EXIT_OK
    assert main([*db, "announcements", "add", "acme", "Your code"]) == EXIT_CONFIG
    assert "must contain {otp} exactly once" in capsys.readouterr().err
