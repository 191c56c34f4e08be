"""Uploaded files on disk: private, short-lived, and never left behind.

An upload holds CPR numbers, so it is never kept: the page writes it to a private folder
beside the store (mode 0700) for the length of one inspection or import, and deletes it in a
``finally``. A process killed in between leaves its file; the next start of any process on
the store deletes the files of processes that no longer run.
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
    # The pid in the name tells a later start whether the writer still runs.
    fd, name = tempfile.mkstemp(prefix=f"{PREFIX}{os.getpid()}-", suffix=suffix, dir=folder)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True


def clean_stale(db_path: Path) -> int:
    """Delete uploads left by processes that no longer run; return how many."""
    folder = upload_dir(db_path)
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob(f"{PREFIX}*"):
        pid_text = path.name[len(PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and _running(int(pid_text)):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed
