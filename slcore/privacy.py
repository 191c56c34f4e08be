"""CPR numbers: keyed pseudonyms, birth months, masking (registrations.md §3).

A CPR number never reaches the store, a log, a message or an export. On import it becomes
``citizen_id`` = HMAC-SHA256(key, the ten digits), truncated, computed in DuckDB SQL over the
whole file at once, and ``birth_date`` = the first day of the birth month by the century rule
of the 7th digit. The key lives outside the database: ``SLCORE_KEY``, or a file beside the
store created with mode 0600 on first use. It is never shown.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

PSEUDONYM_HEX_CHARS = 16  # 64 bits: no collisions in practice among a municipality's citizens


class KeyError_(Exception):  # noqa: N801 - not the builtin KeyError
    """The pseudonymisation key cannot be read; the message is Danish."""


def key_path(db_path: Path) -> Path:
    """Return where the key file lives for a store: ``<store>.key`` beside it."""
    return db_path.with_name(db_path.name + ".key")


def load_key(db_path: Path) -> bytes:
    """Return the pseudonymisation key: ``SLCORE_KEY``, else the key file (created if missing)."""
    env = os.environ.get("SLCORE_KEY")
    if env:
        return env.encode("utf-8")
    path = key_path(db_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once cannot both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    try:
        text = path.read_text().strip()
    except OSError:
        raise KeyError_(
            f"Nøglen til pseudonymisering ({path.name}) kan ikke læses. Tjek filens rettigheder."
        ) from None
    if not text:
        raise KeyError_(f"Nøglefilen {path.name} er tom.")
    return text.encode("utf-8")


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """Return HMAC-SHA256's inner and outer padded keys (RFC 2104)."""
    import hashlib

    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    k = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)


def pseudonym_sql(digits_sql: str) -> str:
    """Return SQL for the pseudonym of a 10-digit CPR expression (params $ipad, $opad)."""
    return (
        f"'P' || left(sha256($opad || unhex(sha256($ipad || encode({digits_sql})))), "
        f"{PSEUDONYM_HEX_CHARS})"
    )


# The century rule of the 7th digit (registrations.md §3), as SQL over yy and the digit.
def cpr_birth_year_sql(yy: str, digit7: str) -> str:
    """Return SQL for the full birth year from the two-digit year and the 7th digit."""
    return f"""CASE
        WHEN {digit7} <= 3 THEN 1900 + {yy}
        WHEN {digit7} IN (4, 9) THEN CASE WHEN {yy} <= 36 THEN 2000 ELSE 1900 END + {yy}
        ELSE CASE WHEN {yy} <= 57 THEN 2000 ELSE 1800 END + {yy}
    END"""


def cpr_birth_year(yy: int, digit7: int) -> int:
    """Return the full birth year by the century rule (the same rule as the SQL)."""
    if digit7 <= 3:
        return 1900 + yy
    if digit7 in (4, 9):
        return (2000 if yy <= 36 else 1900) + yy
    return (2000 if yy <= 57 else 1800) + yy


def mask_cpr_sql(value_sql: str) -> str:
    """Return SQL that masks a CPR-like value as ``DDMMYY-****`` (or all stars)."""
    return (
        f"CASE WHEN {value_sql} IS NULL THEN NULL "
        f"WHEN regexp_matches({value_sql}, '^\\s*\\d{{6}}') "
        f"THEN substr(trim({value_sql}), 1, 6) || '-****' "
        f"ELSE repeat('*', least(length({value_sql}), 10)) END"
    )


def mask_cpr(value: str) -> str:
    """Mask a CPR-like value as ``DDMMYY-****`` (or all stars)."""
    v = value.strip()
    if len(v) >= 6 and v[:6].isdigit():
        return v[:6] + "-****"
    return "*" * min(len(v), 10)


# --- CPR numbers anywhere in a text (registrations.md §3) -----------------------------------

# A CPR-shaped number: DDMMYY then the four-digit serial, written as people and programs do
# (010203-1234, 0102031234, 010203 1234, 010203 - 1234, an en dash or a no-break space from
# Excel, 01 02 03 1234), standing on its own: not inside a run of digits or letters (so never
# in a pseudonym like P3da36d0109911234 or an id like R0102031234), though "CPR" or "nr"
# glued before it counts as a boundary ("CPRnr0102031234"). Days 61-91 are the CPR office's
# substitute numbers. Groups: 1 boundary, 2 day, 3 month, 4 year, 5 serial, 6 boundary. The
# pattern is written once for Python's re and DuckDB's RE2: literal characters, no \s or \u.
_CPR_DAY = "(0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])"
CPR_SEPARATOR = "[ \t\u00a0\u2010-\u2015-]"  # space, tab, no-break space, dashes
_GAP = "[ \u00a0]?"  # between day, month and year
CPR_IN_TEXT = (
    f"(^|[^0-9a-zæøå]|cpr|nr){_CPR_DAY}{_GAP}(0[1-9]|1[0-2]){_GAP}([0-9]{{2}}){CPR_SEPARATOR}{{0,3}}"
    "([0-9]{4})([^0-9a-zæøå]|$)"
)
_CPR_RE = re.compile(CPR_IN_TEXT, re.IGNORECASE)
_CPR_SQL_PATTERN = "(?i)" + CPR_IN_TEXT


def contains_cpr(text: str) -> bool:
    """Return whether a text holds a CPR-shaped number anywhere."""
    return _CPR_RE.search(text) is not None


def mask_cprs(text: str) -> str:
    """Mask every CPR-shaped number in a text as ``DDMMYY-****``."""
    # Twice: two numbers separated by one character share that boundary character.
    for _ in range(2):
        text = _CPR_RE.sub(r"\1\2\3\4-****\6", text)
    return text


def contains_cpr_sql(value_sql: str) -> str:
    """Return SQL: whether a text value holds a CPR-shaped number (NULL for NULL)."""
    return f"regexp_matches({value_sql}, '{_CPR_SQL_PATTERN}')"


def mask_cprs_sql(value_sql: str) -> str:
    """Return SQL masking every CPR-shaped number in a text value as ``DDMMYY-****``."""
    once = f"regexp_replace({value_sql}, '{_CPR_SQL_PATTERN}', '\\1\\2\\3\\4-****\\6', 'g')"
    return f"regexp_replace({once}, '{_CPR_SQL_PATTERN}', '\\1\\2\\3\\4-****\\6', 'g')"


# --- the key's fingerprint -------------------------------------------------------------------


def key_fingerprint(key: bytes) -> str:
    """Return a short fingerprint that identifies a key without revealing it."""
    import hashlib

    return hashlib.sha256(b"slcore key fingerprint\0" + key).hexdigest()[:16]


class _MaskingFormatter(logging.Formatter):
    """A log formatter that masks CPR numbers in what another formatter wrote."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return mask_cprs(self.inner.format(record))


def mask_cprs_in_logs(prefix: str = "streamlit") -> None:
    """Mask CPR numbers in every line the root logger and the ``prefix`` loggers write.

    A bug's traceback can quote a value from a file; the log must not keep it (access.md).
    Idempotent: call it again after loggers were added (the app does on every run).
    """
    loggers = [logging.getLogger()]
    loggers += [
        log
        for name, log in list(logging.Logger.manager.loggerDict.items())
        if isinstance(log, logging.Logger) and (name == prefix or name.startswith(prefix + "."))
    ]
    for log in loggers:
        for handler in log.handlers:
            if not isinstance(handler.formatter, _MaskingFormatter):
                handler.setFormatter(_MaskingFormatter(handler.formatter))
