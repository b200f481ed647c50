"""Upload names are plain file names: nothing outside the uploads directory is reachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.campaigns.uploads import Uploads, file_name
from cpaas_daemon.errors import NotFound, ValidationFailed


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd.csv",
        "a/b.csv",
        "/abs.csv",
        ".hidden.csv",
        "x..csv",
        "a\\b.csv",
        "a b.csv",
        "",
    ],
)
def test_path_like_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed, match="plain file name"):
        file_name(name, "csv_name")


def test_suffix_is_checked() -> None:
    with pytest.raises(ValidationFailed, match=r"\.csv"):
        file_name("list.txt", "csv_name", (".csv",))


async def test_save_then_find(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path / "up")

    async def chunks() -> AsyncIterator[bytes]:
        yield b"contact_number\n"
        yield b"919979270001\n"

    saved = await uploads.save("list.csv", chunks())
    assert uploads.existing("list.csv", "csv_name", (".csv",)) == saved
    assert saved.read_bytes() == b"contact_number\n919979270001\n"
    assert [p.name for p in saved.parent.iterdir()] == ["list.csv"]  # no temp file left
    with pytest.raises(NotFound):
        uploads.existing("other.csv", "csv_name", (".csv",))
