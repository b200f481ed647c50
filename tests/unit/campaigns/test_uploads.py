"""Upload names are plain file names: nothing outside the uploads directory is reachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.campaigns import uploads as uploads_module
from cpaas_daemon.campaigns.uploads import Uploads, account_folder, file_name
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

    saved = await uploads.save("acc", "list.csv", chunks())
    assert uploads.existing("acc", "list.csv", "csv_name", (".csv",)) == saved
    assert saved.parent == tmp_path / "up" / "acc"
    assert saved.read_bytes() == b"contact_number\n919979270001\n"
    assert [p.name for p in saved.parent.iterdir()] == ["list.csv"]  # no temp file left
    with pytest.raises(NotFound):
        uploads.existing("acc", "other.csv", "csv_name", (".csv",))
    with pytest.raises(NotFound):
        uploads.existing("other_account", "list.csv", "csv_name", (".csv",))


@pytest.mark.parametrize(("account", "folder"), [("a.b", "a.b"), (".", "%2E"), ("..", "%2E%2E")])
def test_every_account_id_is_a_folder_inside_the_uploads_directory(
    tmp_path: Path, account: str, folder: str
) -> None:
    assert account_folder(account) == folder
    assert Uploads(tmp_path).folder(account).parent == tmp_path.resolve()


async def test_sizes_are_bounded_per_file_and_per_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads_module, "MAX_UPLOAD_BYTES", 10)
    monkeypatch.setattr(uploads_module, "MAX_ACCOUNT_BYTES", 15)
    monkeypatch.setattr(uploads_module, "MAX_ACCOUNT_FILES", 2)
    uploads = Uploads(tmp_path)

    async def data(size: int) -> AsyncIterator[bytes]:
        yield b"x" * size

    with pytest.raises(ValidationFailed, match="exceeds"):
        await uploads.save("a", "big.csv", data(11))
    await uploads.save("a", "one.csv", data(10))
    with pytest.raises(ValidationFailed, match="total at most"):
        await uploads.save("a", "two.csv", data(6))
    await uploads.save("a", "one.csv", data(10))  # replacing counts only the new size
    await uploads.save("a", "two.csv", data(5))
    with pytest.raises(ValidationFailed, match="at most 2 uploads"):
        await uploads.save("a", "three.csv", data(1))
    await uploads.save("b", "three.csv", data(10))  # another account has its own quota
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["one.csv", "two.csv"]
