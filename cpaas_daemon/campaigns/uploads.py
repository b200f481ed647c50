"""The uploads directory (``campaigns.uploads_dir``): CSV lists and recorded prompts.

The seed names files "uploaded to S3"; here clients ``POST /api/upload_csv`` them into one
flat directory. A client-supplied name is only ever a plain file name -- no separators,
no ``..``, no leading dot -- so nothing outside the directory can be read or written,
and the name is also safe inside an AMI variable (the Originator refuses anything else).
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


def file_name(value: object, field: str, suffixes: tuple[str, ...] = UPLOAD_SUFFIXES) -> str:
    """A plain file name with one of ``suffixes``; anything path-like is refused."""
    if not isinstance(value, str) or not _FILE_NAME.match(value) or ".." in value:
        raise ValidationFailed(
            f"{field} must be a plain file name (letters, digits, _ . -), not a path"
        )
    if not value.lower().endswith(suffixes):
        raise ValidationFailed(f"{field} must end with {' or '.join(suffixes)}")
    return value


class Uploads:
    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()

    def existing(self, name: str, field: str, suffixes: tuple[str, ...]) -> Path:
        """The path of an uploaded file, or 404 naming the field."""
        path = self.directory / file_name(name, field, suffixes)
        if not path.is_file():
            raise NotFound(f"{field} {name} was not found in the uploads directory")
        return path

    async def save(self, name: str, chunks: AsyncIterator[bytes]) -> Path:
        """Write to a temporary file, then rename: a half-received upload never shows."""
        target = self.directory / file_name(name, "file name")
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(handle, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        raise ValidationFailed(f"upload exceeds {MAX_UPLOAD_BYTES >> 20} MB")
                    out.write(chunk)
            os.replace(temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)  # only still there if the upload failed
        return target
