"""Uploaded files on disk: private, short-lived, and never left behind.

An upload holds CPR numbers, so it is never kept: the page writes it to a private folder
beside the store (mode 0700) for the length of one inspection or import, and deletes it in a
``finally``. A process killed in between leaves its file; the next process to open the store
deletes it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "upload-"


def upload_dir(db_path: Path) -> Path:
    """Return the private folder for a store's uploads: ``<store>.uploads`` beside it."""
    return db_path.with_name(db_path.name + ".uploads")


@contextlib.contextmanager
def staged(db_path: Path, data: bytes, suffix: str = "") -> Iterator[Path]:
    """Write an upload to a private file for the block; delete it afterwards, whatever happens."""
    folder = upload_dir(db_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    fd, name = tempfile.mkstemp(prefix=PREFIX, suffix=suffix, dir=folder)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        path.unlink(missing_ok=True)


def clean(db_path: Path) -> int:
    """Delete every upload left beside a store; return how many.

    Call right after opening the store read-write: DuckDB's lock on the file is exclusive, so
    no other process can be reading one of them, and this process has not begun.
    """
    folder = upload_dir(db_path)
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob(f"{PREFIX}*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
