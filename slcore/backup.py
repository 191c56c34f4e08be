"""Backups: a consistent copy of the whole store, and a restore that checks the key.

A backup is one DuckDB file: the store as it was at one moment, with in its ``meta`` when
and by whom it was made and the fingerprint of the pseudonymisation key in use
(``privacy.key_fingerprint``), never the key itself. The key is backed up on its own
(README: Running it as a service); without it, later imports would give the same children
new pseudonyms, so a restore refuses a copy made with another key.

The copy is the store's file itself, taken while this process has the file (a command line
job, in turn with the dashboard; ``slcore.store``) and holds the store's write lock: after
a ``CHECKPOINT`` everything committed is in the file, nothing is being written, and a byte
copy is then exactly the store at that moment, whatever the dashboard was doing before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from slcore import access, audit, privacy
from slcore.store import (
    SCHEMA_VERSION,
    Store,
    StoreError,
    exclusive,
    open_store,
    scalar,
    schema_version,
)

# The meta keys a backup adds to its copy; a restore removes them again.
MADE_AT = "backup_made_at"
MADE_BY = "backup_made_by"
KEY_FINGERPRINT = "backup_key_fingerprint"
BACKUP_KEYS = (MADE_AT, MADE_BY, KEY_FINGERPRINT)


class BackupRefused(StoreError):
    """A backup or restore that cannot be done; the message is Danish and says why."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    path: Path
    made_at: str | None
    made_by: str | None
    key_fingerprint: str | None
    registrations: int
    imports: int
    size_bytes: int


def current_key_fingerprint(db_path: Path) -> str | None:
    """Return the fingerprint of the key a store uses now; None when it has none (yet)."""
    env = os.environ.get("SLCORE_KEY")
    if not env and not privacy.key_path(db_path).exists():
        return None
    return privacy.key_fingerprint(privacy.load_key(db_path))


def _copy_private(source: Path, target: Path) -> None:
    """Copy a file to a private (0600) file beside the target, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, length=16 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def backup(store: Store, target: str | os.PathLike[str]) -> BackupInfo:
    """Write a consistent copy of the store to ``target``; return what it holds."""
    store.access.require(access.BACKUP)
    out = Path(target)
    if out.resolve() == store.path.resolve():
        raise BackupRefused("Sikkerhedskopien kan ikke skrives oven i selve databasen.")
    if out.is_dir():
        raise BackupRefused(f"{out} er en mappe; angiv et filnavn til sikkerhedskopien.")
    fingerprint = current_key_fingerprint(store.path) or store.meta("key_fingerprint")
    made = f"Sikkerhedskopi til {out.name}"
    with store.conn.write_lock:  # no write of this process runs during the copy
        store.cursor().execute("CHECKPOINT")
        _copy_private(store.path, out)
    try:
        with contextlib.closing(duckdb.connect(str(out))) as con:
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES "
                "(?, strftime(localtimestamp, '%Y-%m-%d %H:%M:%S')), (?, ?), (?, ?)",
                [MADE_AT, MADE_BY, store.access.who, KEY_FINGERPRINT, fingerprint],
            )
            # The copy's own log says it was made, so a restored store's log does too.
            audit.record(con, store.access.who, "backup", made)
            con.execute("CHECKPOINT")
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    out.with_name(out.name + ".wal").unlink(missing_ok=True)
    with store.write(versioned=False) as cur:
        audit.record(cur, store.access.who, "backup", made)
    return inspect(out)


def inspect(path: str | os.PathLike[str]) -> BackupInfo:
    """Return what a backup file holds; refuse a file that is not a backup of a store."""
    p = Path(path)
    if not p.is_file():
        raise BackupRefused(f"Sikkerhedskopien {p} findes ikke.")
    try:
        con = duckdb.connect(str(p), read_only=True)
    except duckdb.Error:
        raise BackupRefused(f"{p.name} er ikke en sikkerhedskopi af databasen.") from None
    with contextlib.closing(con):
        version = schema_version(con)
        if version == 0:
            raise BackupRefused(f"{p.name} er ikke en sikkerhedskopi af databasen.")
        if version > SCHEMA_VERSION:
            raise BackupRefused(
                f"{p.name} er lavet af en nyere version (skema {version}); opdater programmet."
            )
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if MADE_AT not in meta:
            raise BackupRefused(
                f"{p.name} er en database, men ikke lavet med 'python -m slcore backup'."
            )
        return BackupInfo(
            path=p,
            made_at=meta.get(MADE_AT),
            made_by=meta.get(MADE_BY),
            key_fingerprint=meta.get(KEY_FINGERPRINT) or meta.get("key_fingerprint"),
            registrations=int(scalar(con, "SELECT count(*) FROM registrations")),
            imports=int(scalar(con, "SELECT count(*) FROM import_batches WHERE kind = 'import'")),
            size_bytes=p.stat().st_size,
        )


def before_restore_path(db_path: Path) -> Path:
    """Return where a restore keeps the store it replaced: ``<store>.before-restore``."""
    return db_path.with_name(db_path.name + ".before-restore")


def restore(
    db_path: str | os.PathLike[str], source: str | os.PathLike[str], *, who: access.Access
) -> BackupInfo:
    """Replace the store with a backup made with the same key; keep the replaced one beside.

    Refused (and the store left as it is) when the file is no backup, or when the backup's key
    fingerprint differs from the key in use here, or the key is missing.
    """
    who.require(access.BACKUP)
    p = Path(db_path)
    info = inspect(source)
    here = current_key_fingerprint(p)
    if info.key_fingerprint is not None and here is None:
        raise BackupRefused(
            f"Nøglen til pseudonymisering ({privacy.key_path(p).name}) mangler. Gendan "
            "nøglefilen fra sikkerhedskopien af nøglen først (eller sæt SLCORE_KEY), og prøv igen."
        )
    if info.key_fingerprint is not None and here != info.key_fingerprint:
        raise BackupRefused(
            f"Sikkerhedskopien er lavet med en anden nøgle til pseudonymisering (fingeraftryk "
            f"{info.key_fingerprint}, nøglen her har {here}). Gendan den nøgle, der hørte til "
            "kopien; ellers får de samme børn nye pseudonymer."
        )
    incoming = p.with_name(p.name + ".restore")
    _copy_private(info.path, incoming)
    try:
        with exclusive(p):  # no program has the store while its file is swapped
            kept = before_restore_path(p)
            if p.exists():
                _copy_private(p, kept)
            wal = p.with_name(p.name + ".wal")  # what a killed program left uncheckpointed
            if wal.exists():
                _copy_private(wal, kept.with_name(kept.name + ".wal"))
                wal.unlink()
            os.replace(incoming, p)
    finally:
        incoming.unlink(missing_ok=True)
    store = open_store(p).as_person(who)
    with store.write() as cur:  # a new data version: no figure cached before is served
        cur.execute("DELETE FROM meta WHERE key IN (SELECT unnest(?))", [list(BACKUP_KEYS)])
        audit.record(
            cur,
            who.who,
            "restore",
            f"Gendannet fra {info.path.name} (lavet {info.made_at} af {info.made_by})",
        )
    return info
