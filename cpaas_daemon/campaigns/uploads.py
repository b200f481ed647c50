"""The uploads directory (``campaigns.uploads_dir``): CSV lists and recorded prompts.

The seed names files "uploaded to S3"; here clients ``POST /api/upload_csv`` them into
their own account's folder, ``<uploads_dir>/<account_id>/``. One account can therefore
neither read (import) another's contact list, nor overwrite the audio another's running
campaign plays: every lookup is made inside the caller's folder (docs/security.md).

A client-supplied name is only ever a plain file name -- no separators, no ``..``, no
leading dot -- so nothing outside the folder can be read or written, and the name is
also safe inside an AMI variable (the Originator refuses anything else). Sizes are
bounded per file and per account, so one tenant cannot fill the disk the others share.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from cpaas_daemon.errors import NotFound, ValidationFailed

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
UPLOAD_SUFFIXES = (".csv", ".wav")
MAX_UPLOAD_BYTES = 20 << 20
MAX_ACCOUNT_BYTES = 500 << 20
MAX_ACCOUNT_FILES = 1000


def file_name(value: object, field: str, suffixes: tuple[str, ...] = UPLOAD_SUFFIXES) -> str:
    """A plain file name with one of ``suffixes``; anything path-like is refused."""
    if not isinstance(value, str) or not _FILE_NAME.match(value) or ".." in value:
        raise ValidationFailed(
            f"{field} must be a plain file name (letters, digits, _ . -), not a path"
        )
    if not value.lower().endswith(suffixes):
        raise ValidationFailed(f"{field} must end with {' or '.join(suffixes)}")
    return value


def account_folder(account_id: str) -> str:
    """The folder name of an account. Account ids are ``[A-Za-z0-9_.-]{1,64}``, so the
    only ids that are not safe path components are ``.`` and ``..``; their dots are
    spelled ``%2E`` (``%`` never occurs in an id, so no two accounts share a folder)."""
    if "/" in account_id or "\\" in account_id or not account_id:
        raise ValueError(f"not an account id: {account_id!r}")
    return account_id.replace(".", "%2E") if not account_id.strip(".") else account_id


def _usage(folder: Path) -> tuple[int, int]:
    """(files, bytes) already stored in an account's folder, temporary files included."""
    files = size = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                files += 1
                size += entry.stat(follow_symlinks=False).st_size
    return files, size


class Uploads:
    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()

    def folder(self, account_id: str) -> Path:
        return self.directory / account_folder(account_id)

    def existing(self, account_id: str, name: str, field: str, suffixes: tuple[str, ...]) -> Path:
        """The path of a file this account uploaded, or 404 naming the field (the same
        answer whether the name is free or another account's: names leak nothing)."""
        path = self.folder(account_id) / file_name(name, field, suffixes)
        if not path.is_file():
            raise NotFound(f"{field} {name} was not found in the uploads directory")
        return path

    async def save(self, account_id: str, name: str, chunks: AsyncIterator[bytes]) -> Path:
        """Write to a temporary file, then rename: a half-received upload never shows.

        Refused (400, nothing kept) past :data:`MAX_UPLOAD_BYTES` for the file, or past
        the account's :data:`MAX_ACCOUNT_FILES` / :data:`MAX_ACCOUNT_BYTES`; a file
        replacing one of the same name counts only its new size."""
        folder = self.folder(account_id)
        target = folder / file_name(name, "file name")
        folder.mkdir(parents=True, exist_ok=True)
        files, used = _usage(folder)
        if target.is_file():
            files, used = files - 1, used - target.stat().st_size
        if files >= MAX_ACCOUNT_FILES:
            raise ValidationFailed(f"an account may keep at most {MAX_ACCOUNT_FILES} uploads")
        limit = min(MAX_UPLOAD_BYTES, MAX_ACCOUNT_BYTES - used)
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(handle, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise ValidationFailed(
                            f"upload exceeds {MAX_UPLOAD_BYTES >> 20} MB"
                            if limit == MAX_UPLOAD_BYTES
                            else f"uploads of an account may total at most "
                            f"{MAX_ACCOUNT_BYTES >> 20} MB"
                        )
                    out.write(chunk)
            os.replace(temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)  # only still there if the upload failed
        return target
