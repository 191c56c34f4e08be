"""Uploaded files on disk: private, short-lived, and never left behind.

An upload holds CPR numbers, so it is never kept: the page writes it to a private folder
beside the store (mode 0700) for the length of one inspection or import, and deletes it in a
``finally``. A process killed in between leaves its file; the next process to open the store
deletes it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from slcore import privacy

PREFIX = "upload-"
MAX_NAME = 200  # characters of the user's file name kept on disk (most file systems: 255 bytes)


def upload_dir(db_path: Path) -> Path:
    """Return the private folder for a store's uploads: ``<store>.uploads`` beside it."""
    return db_path.with_name(db_path.name + ".uploads")


def disk_name(file_name: str) -> str:
    """Return the user's file name as safe on disk: no folders, no CPR number, not too long."""
    name = privacy.mask_cprs(Path(file_name.replace("\\", "/")).name)
    name = re.sub(r"[\x00-\x1f/]", "_", name).strip()
    if len(name) > MAX_NAME:
        stem, suffix = os.path.splitext(name)
        name = stem[: MAX_NAME - len(suffix[:20])] + suffix[:20]
    return name if name.strip(".") else "upload"


@contextlib.contextmanager
def staged(db_path: Path, data: bytes, file_name: str = "upload") -> Iterator[Path]:
    """Write an upload to a private file for the block; delete it afterwards, whatever happens.

    The file keeps the user's name (in a private folder of its own), so every message about
    it names the file the user chose, not a temporary name.
    """
    folder = upload_dir(db_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    own = Path(tempfile.mkdtemp(prefix=PREFIX, dir=folder))
    path = own / disk_name(file_name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        shutil.rmtree(own, ignore_errors=True)


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
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:  # an upload staged by an earlier release, directly in the folder
            path.unlink(missing_ok=True)
        removed += 1
    return removed
