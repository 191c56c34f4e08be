"""Read an uploaded extract into a staging table of text, as the analyst sees the file.

Frames and budgets files are read the same way: ``Columns`` says which headers a kind of file
has (``REGISTRATIONS`` for extracts), and ``values.read_table`` parses their values.

``read_to_raw`` leaves a temp table ``raw_rows`` on the cursor: ``line_no`` (the line in a CSV,
the row in Excel, the row number in Parquet, as the analyst would find it) and one VARCHAR
column per header. It detects the format from the bytes (not the file name), the encoding
(UTF-8 with or without BOM, else Windows-1252; never a mix), the delimiter and the header row
(a title line above it is skipped). CSV is read by DuckDB with explicit options over the whole
file; XLSX by python-calamine (DuckDB 2.0 has no Excel reader here) in batches; Parquet by
DuckDB. Anything unreadable raises ``ImportRefused`` with one Danish message that names the line
where it can and never quotes a value (it may hold a CPR number).

Hostile and careless files are refused before the work on them grows, against the resource
bounds in ``slcore.bounds``: the number of columns, the header's size, a field's size and the
line breaks inside one quoted field (a stray quote would otherwise swallow the rest of the file
silently); an XLSX sheet's cell block is measured from its XML before calamine allocates it.
No decoded copy of a file is written to disk: DuckDB reads a Windows-1252 file as Latin-1 when
the two agree on its bytes, and its UTF-8 text from memory when they do not.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import html
import os
import re
import threading
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slcore import bounds, privacy, sql
from slcore.columns import COLUMN_LABELS, HEADER_ALIASES, match_headers
from slcore.fmt import number
from slcore.store import alias_key

HEADER_SEARCH_LINES = 30
MIN_HEADER_MATCHES = 2  # a title line is one cell; two known names make a header
XLSX_BATCH_CELLS = 1_000_000  # cells turned into Python objects at a time
SCAN_CHUNK = 1 << 24  # bytes per vectorised pass: 16 MB of temporaries, not the file's size

UTF8_BOM = b"\xef\xbb\xbf"
BINARY_MAGIC = {
    b"\x89PNG": "et PNG-billede",
    b"\xff\xd8\xff": "et JPEG-billede",
    b"GIF8": "et GIF-billede",
    b"%PDF": "en PDF-fil",
    b"\xd0\xcf\x11\xe0": "et gammelt Excel-/Office-dokument (.xls); gem det som .xlsx eller CSV",
    b"\x1f\x8b": "en komprimeret fil (gzip)",
}


class ImportRefused(Exception):
    """The file is refused as a whole; the message is Danish and safe to show."""


@dataclass(frozen=True)
class Columns:
    """The columns of one kind of file: the names each may have, and its word in messages.

    Headers are matched after ``alias_key`` (case, spaces, dots, dashes and underscores
    ignored). ``required`` are named when no header row is found; ``examples`` otherwise.
    """

    aliases: dict[str, tuple[str, ...]]
    labels: dict[str, str]
    required: tuple[str, ...] = ()
    examples: str = "Bevillings-id, Indsatstype, Startdato, Takst"

    def match(self, headers: list[str]) -> dict[str, str]:
        """Return canonical column -> header for the headers that name one (the first wins)."""
        return match_headers(self.aliases, headers)

    def missing(self, headers: list[str]) -> list[str]:
        """Return the required columns the headers do not name."""
        found = self.match(headers)
        return [c for c in self.required if c not in found]


# Registration extracts (registrations.md §1).
REGISTRATIONS = Columns(HEADER_ALIASES, COLUMN_LABELS)


@dataclass
class Detection:
    """What was detected about a file, shown to the analyst before importing."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    header_line: int | None = None
    headers: tuple[str, ...] = ()
    columns: tuple[str, ...] = field(default=(), repr=False)  # staging column names

    @property
    def delimiter_label(self) -> str | None:
        """Return the delimiter in words."""
        names = {";": "semikolon (;)", ",": "komma (,)", "\t": "tabulator"}
        return names.get(self.delimiter or "", self.delimiter)


def sniff_format(path: Path) -> str:
    """Return 'xlsx', 'parquet' or 'text' from the file's first bytes; refuse anything else."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        raise ImportRefused(f"Filen {path.name} er tom.")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    for magic, what in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise ImportRefused(
                f"Filen {path.name} er {what}, ikke et udtræk. Brug CSV, XLSX eller Parquet."
            )
    if b"\x00" in head:
        raise ImportRefused(
            f"Filen {path.name} er en binær fil, ikke CSV. Brug CSV, XLSX eller Parquet."
        )
    return "text"


def read_to_raw(
    cur: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None = None,
    columns: Columns = REGISTRATIONS,
) -> Detection:
    """Read a file (an extract, or frames or budgets) into temp table ``raw_rows``."""
    kind = sniff_format(path)
    if kind == "xlsx":
        det = _read_xlsx(cur, path, sheet, columns)
    elif kind == "parquet":
        det = _read_parquet(cur, path, columns)
    else:
        det = _read_csv(cur, path, columns)
    _drop_empty_rows(cur, det.columns)
    return det


# --- header detection and checks -----------------------------------------------------------


def _find_header(rows: list[list[str]], columns: Columns) -> tuple[int, list[str]] | None:
    """Return (index, cells) of the first row that names enough known columns."""
    for i, cells in enumerate(rows[:HEADER_SEARCH_LINES]):
        if len(columns.match([c for c in cells if c])) >= MIN_HEADER_MATCHES:
            return i, cells
    return None


def _no_header(path: Path, columns: Columns, rows: list[list[str]]) -> ImportRefused:
    """Refuse a file without a header row; name the required columns it lacks."""
    # The row that names the most columns is the header meant (a title may be above it).
    best = max(rows[:HEADER_SEARCH_LINES], key=lambda r: len(columns.match(r)), default=[])
    missing = columns.missing([c.strip() for c in best])
    if missing:
        names = ", ".join(f"{c} ({columns.labels[c]})" for c in missing)
        return ImportRefused(f"Filen {path.name} mangler kolonnen/kolonnerne: {names}.")
    return ImportRefused(
        f"Filen {path.name} har ingen genkendelig overskriftsrække (fx {columns.examples}) "
        f"blandt de første {HEADER_SEARCH_LINES} linjer."
    )


def _kb(n: int) -> str:
    return f"{number(n / 1024)} KB"


def _too_many_columns(where: str, n: int) -> ImportRefused:
    return ImportRefused(
        f"Overskriften i {where} har {number(n)} kolonner; grænsen er "
        f"{number(bounds.MAX_COLUMNS)}. Slet de overflødige kolonner, og prøv igen."
    )


def _check_header(cells: list[str], where: str, name: str, columns: Columns) -> list[str]:
    """Return the header cells without empty trailing ones; refuse too many or a repeated one.

    A known column written twice (the same name up to case, spaces, dots, dashes and
    underscores: ``Startdato`` and ``Start dato``) is ambiguous, so it is refused with both
    names. Two different aliases of one column (``Team`` and ``Afdeling``) are not: the first
    is used, and the page's mapping shows it and lets the analyst choose the other. Unknown
    and empty headers may repeat; they are not imported.
    """
    cells = [c.strip() for c in cells]
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > bounds.MAX_COLUMNS:
        raise _too_many_columns(where, len(cells))
    first: dict[str, str] = {}  # normalised name of a known column -> the first header
    for header in cells:
        if not header or not columns.match([header]):
            continue
        key = alias_key(header)
        if key not in first:
            first[key] = header
            continue
        other = first[key]
        if other == header:
            raise ImportRefused(
                f"Kolonnen '{header}' står to gange i overskriften i {name}. Slet eller omdøb "
                "den ene, og prøv igen."
            )
        canonical = next(iter(columns.match([header])))
        raise ImportRefused(
            f"Kolonnerne '{other}' og '{header}' i {name} betyder begge "
            f"{columns.labels[canonical]}. Slet eller omdøb den ene, og prøv igen."
        )
    return cells


def _staging_names(headers: list[str]) -> list[str]:
    """Return unique, non-empty staging column names for the headers.

    DuckDB's names ignore case, and ``line_no`` is the reader's own column.
    """
    names: list[str] = []
    taken = {"line_no", "rec_no"}
    for i, h in enumerate(headers, start=1):
        name = h.strip() or f"kolonne {i}"
        while name.casefold() in taken:
            name = f"{name} ({i})"
        taken.add(name.casefold())
        names.append(name)
    return names


def _q(name: str, names: Collection[str]) -> str:
    """Quote one of a file's column names (the file's own header is the whitelist)."""
    return sql.quote_ident(name, names)


# --- CSV -----------------------------------------------------------------------------------

# UTF-8 for what Danish text has beyond ASCII (æøå and the other Latin-1 letters, no-break
# space, §, °, dashes, curly quotes, …, €). Read as Windows-1252 these pairs are "Ã¸", "Â§",
# "â€“", never real text: in a file that is not UTF-8 throughout they mean mixed encodings.
_UTF8_TEXT = {
    b"\xc3": re.compile(rb"\xc3[\x80-\xbf]"),
    b"\xc2": re.compile(rb"\xc2[\xa0-\xbf]"),
    b"\xe2": re.compile(rb"\xe2(?:\x80[\x90-\xbf]|\x82\xac)"),
}
_NOT_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")  # the bytes Windows-1252 lacks


@dataclass
class _Lines:
    """The physical lines of a file: where each starts and ends (before its line break)."""

    starts: np.ndarray
    ends: np.ndarray

    @overload
    def of(self, offset: int) -> int: ...
    @overload
    def of(self, offset: np.ndarray) -> np.ndarray: ...
    def of(self, offset: int | np.ndarray) -> int | np.ndarray:
        """Return the 1-based line holding a byte offset (or each of an array of them)."""
        found = np.searchsorted(self.starts, offset, side="right")
        return int(found) if np.ndim(found) == 0 else found


def _positions(buf: np.ndarray, byte: int) -> np.ndarray:
    """Return the offsets of one byte value, comparing 16 MB at a time.

    Offsets are 32-bit when the file allows it: half the memory and time for a file quoting
    every field (40 million quotes in a million rows).
    """
    kind = np.int32 if len(buf) < 2**31 - 1 else np.int64
    parts = [
        (np.flatnonzero(buf[i : i + SCAN_CHUNK] == byte) + i).astype(kind, copy=False)
        for i in range(0, len(buf), SCAN_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=kind)


def _split_lines(buf: np.ndarray) -> _Lines:
    """Split at LF, CRLF and a lone CR, as DuckDB does (a lone CR is an old Mac line end)."""
    n = len(buf)
    lf = _positions(buf, 10)
    ends, nexts = lf, lf + 1
    cr = _positions(buf, 13)
    if len(cr):
        ends = lf - (buf[np.maximum(lf - 1, 0)] == 13) * (lf > 0)  # CRLF ends before the CR
        lone = cr[(cr == n - 1) | (buf[np.minimum(cr + 1, n - 1)] != 10)]
        if len(lone):
            ends = np.sort(np.concatenate((ends, lone)))
            nexts = np.sort(np.concatenate((nexts, lone + 1)))
    starts = np.concatenate(([0], nexts))
    ends = np.concatenate((ends, [n]))
    if len(nexts) and nexts[-1] == n:  # a final line break ends the last line, starts none
        starts, ends = starts[:-1], ends[:-1]
    return _Lines(starts, ends)


def _first_bad_utf8(raw: bytes) -> int | None:
    """Return the offset of the first byte that is not UTF-8, decoding 16 MB at a time."""
    view = memoryview(raw)
    start = 0
    while start < len(raw):
        end = min(start + SCAN_CHUNK, len(raw))
        for _ in range(3):  # end the slice on a character boundary
            if end < len(raw) and raw[end] & 0xC0 == 0x80:
                end -= 1
        try:
            codecs.utf_8_decode(view[start:end], "strict", True)
        except UnicodeDecodeError as exc:
            return start + exc.start
        start = end
    return None


def _first_utf8_text(raw: bytes) -> int | None:
    """Return the offset of the first UTF-8 encoded character of Danish text, if any."""
    first = None
    for lead, pattern in _UTF8_TEXT.items():
        # bytes.find skips through a file without the lead byte at memory speed; after a few
        # false starts ("Ã" followed by a space) the regex searches the rest.
        pos = raw.find(lead)
        for _ in range(100):
            if pos < 0 or pattern.match(raw, pos):
                break
            pos = raw.find(lead, pos + 1)
        else:
            m = pattern.search(raw, pos)
            pos = m.start() if m else -1
        if pos >= 0 and (first is None or pos < first):
            first = pos
    return first


# Windows-1252 and Latin-1 differ only in 0x80-0x9F (€, curly quotes, dashes in Windows-1252;
# control characters in Latin-1). A file without those bytes reads the same either way.
_C1_BYTES = bytes(range(0x80, 0xA0))
_NOT_C1 = bytes(b for b in range(256) if b not in _C1_BYTES)


def _has_c1_bytes(raw: bytes) -> bool:
    """Return whether any byte is in 0x80-0x9F, looking at 16 MB at a time."""
    # translate() deleting every other byte runs at memory speed and keeps only the hits.
    return any(
        raw[i : i + SCAN_CHUNK].translate(None, _NOT_C1) for i in range(0, len(raw), SCAN_CHUNK)
    )


def _encoding(raw: bytes, lines: _Lines, path: Path) -> tuple[str, bool]:
    """Return the file's one encoding: UTF-8 (BOM or not), else Windows-1252; refuse a mix.

    Decoding a mixed file either way garbles one part; when that part is the header, a column
    is lost without a word (``Leverandør`` read as ``LeverandÃ¸r`` is no known column). Also
    return whether the file is Latin-1 as well (Windows-1252 without bytes in 0x80-0x9F).
    """
    bad = _first_bad_utf8(raw)
    bom = raw.startswith(UTF8_BOM)
    if bad is None:
        return ("UTF-8 med BOM" if bom else "UTF-8"), False
    utf8 = 0 if bom else _first_utf8_text(raw)
    if utf8 is not None:
        # The line where the file starts to mix: the later of the two encodings' first bytes.
        raise ImportRefused(
            f"Filen {path.name} blander tegnsættene UTF-8 og Windows-1252 (første gang i linje "
            f"{lines.of(max(bad, utf8))}). Gem den igen som UTF-8."
        )
    c1 = _has_c1_bytes(raw)
    if c1 and any(byte in raw for byte in _NOT_CP1252):  # they are in 0x80-0x9F
        raise ImportRefused(
            f"Filen {path.name} er hverken UTF-8 eller Windows-1252 tekst. Gem den som CSV "
            "(UTF-8) og prøv igen."
        )
    return "Windows-1252", not c1


def _csv_cells(line: str, delim: str) -> list[str]:
    """Return the cells of one line; a line too long for a header is cut to the header limit.

    The cut keeps every field under csv's own limit (128 KB), which raises rather than refuses.
    """
    return next(csv.reader([line[: bounds.MAX_HEADER_BYTES]], delimiter=delim), [])


def _detect_header(
    raw: bytes, lines: _Lines, encoding: str, path: Path, columns: Columns
) -> tuple[int, str, list[str]]:
    """Return (line index, delimiter, cells) of the header among the first lines; refuse none."""
    codec = "cp1252" if encoding == "Windows-1252" else "utf-8"
    head = [
        raw[s:e].decode(codec)
        for s, e in zip(
            lines.starts[:HEADER_SEARCH_LINES], lines.ends[:HEADER_SEARCH_LINES], strict=True
        )
    ]
    if head:
        head[0] = head[0].removeprefix("\ufeff")
    best: tuple[int, int, str, list[str]] | None = None  # (matches, -line, delim, cells)
    for delim in (";", ",", "\t"):
        found = _find_header([_csv_cells(line, delim) for line in head], columns)
        if found:
            i, cells = found
            score = (len(columns.match([c for c in cells if c])), -i)
            if best is None or score > best[:2]:
                best = (score[0], score[1], delim, cells)
    if best is None:
        widest = max((";", ",", "\t"), key=lambda d: len(_csv_cells(head[0], d)) if head else 0)
        raise _no_header(path, columns, [_csv_cells(line, widest) for line in head])
    header_idx, delim = -best[1], best[2]
    size = int(lines.ends[header_idx] - lines.starts[header_idx])
    if size > bounds.MAX_HEADER_BYTES:
        where = f"linje {header_idx + 1} i {path.name}"
        n_columns = head[header_idx].count(delim) + 1
        if n_columns > bounds.MAX_COLUMNS:
            raise _too_many_columns(where, n_columns)
        raise ImportRefused(
            f"Overskriften i {where} fylder {_kb(size)}; grænsen er "
            f"{_kb(bounds.MAX_HEADER_BYTES)}. Tjek at det er udtrækkets overskriftsrække, og "
            "prøv igen."
        )
    return header_idx, delim, best[3]


def _quoted_fields(buf: np.ndarray, delim: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the offsets of the opening and closing quote of every quoted field, in order.

    A field is quoted when its first character is ``"`` (DuckDB allows spaces before it); a
    quote inside an unquoted value is a plain character, ``""`` inside a quoted one is an
    escaped quote. The offsets span the field's quoted part; a field left open at the end of
    the file closes at its length.
    """
    q = _positions(buf, 34)
    if not len(q):
        return q, q
    n, d = len(buf), ord(delim)
    if len(q) % 2 == 0:
        # The fast path, for a file whose quotes pair up as quoted fields: each opening quote
        # starts a field and each closing one ends it (or is half of an escaped "").
        o, c = q[0::2], q[1::2]
        before = buf[o - 1]  # o = 0 reads the last byte, but counts as a field start anyway
        ok_open = (before == d) | (before == 10) | (before == 13)
        ok_open[0] |= o[0] == 0
        escaped = o[1:] == c[:-1] + 1  # "" inside a field: a closing quote, then an opening one
        ok_open[1:] |= escaped
        after = buf[np.minimum(c + 1, n - 1)]
        ok_close = (after == d) | (after == 10) | (after == 13)
        ok_close[-1] |= c[-1] == n - 1
        ok_close[:-1] |= escaped
        if ok_open.all() and ok_close.all():
            # "a""b" is two pairs of one field: join a pair to the one before it.
            if not escaped.any():
                return o, c
            new = np.concatenate(([True], ~escaped))
            return o[new], c[np.concatenate((~escaped, [True]))]
    # A stray quote somewhere: find the quoted fields one by one, as DuckDB reads them. Slower,
    # but only for such files, and the regex runs in C (about 3 million fields a second). Like
    # DuckDB, a quote after the closing one ("a"b"c) opens the field's quoted part again; the
    # field ends at a delimiter or line break outside quotes.
    sep = re.escape(delim.encode())
    pattern = re.compile(
        rb"(?:\A|(?<=[" + sep + rb'\r\n])) *(")(?:[^"]*+"[^"' + sep + rb'\r\n]*+")*+[^"]*+("?)'
    )
    opens: list[int] = []
    closes: list[int] = []
    for m in pattern.finditer(buf.data):
        opens.append(m.start(1))
        closes.append(m.end() - 1 if m.end(2) > m.start(2) else n)
    return np.array(opens, dtype=np.int64), np.array(closes, dtype=np.int64)


def _stray_quote(line: int, path: Path) -> ImportRefused:
    return ImportRefused(
        f'Linje {line} i {path.name} har et anførselstegn ("), der ikke lukkes, så de følgende '
        "linjer ville blive læst som én værdi. Fjern eller luk anførselstegnet, og prøv igen."
    )


def _too_big_field(line: int, path: Path) -> ImportRefused:
    return ImportRefused(
        f"Linje {line} i {path.name} har et felt på over {_kb(bounds.MAX_FIELD_BYTES)}, og det "
        "har ingen bevilling. Tjek at filen er et udtræk af bevillinger."
    )


_DATE_FIELD = re.compile(rb"\s*(\d{1,2}[-./]\d{1,2}[-./]\d{4}|\d{4}-\d{2}-\d{2})\s*")


def _swallows_records(raw: bytes, field: tuple[int, int], delim: str, n_header: int) -> bool:
    """Tell whether a quoted field over line breaks has taken in whole records.

    A line inside it that looks like a record (the header's number of fields, one of them a
    date) is what a stray quote does, never a note over a few lines, however many commas its
    sentences have. The quick count in C comes first; nearly every field stops there.
    """
    (o, c), sep = field, delim.encode()
    if raw.count(sep, o, c) < n_header - 1:
        return False
    return any(
        part.count(sep) == n_header - 1
        and any(_DATE_FIELD.fullmatch(cell) for cell in part.split(sep))
        for part in re.split(rb"\r\n|\r|\n", raw[o + 1 : c])
    )


def _text_after_quote(line: int, path: Path) -> ImportRefused:
    return ImportRefused(
        f'Linje {line} i {path.name} har tekst efter et afsluttende anførselstegn (fx "Nord" '
        "Øst), og den ville gå tabt. Sæt hele værdien i anførselstegn, eller fjern dem, og "
        "prøv igen."
    )


def _check_after_closes(raw: bytes, buf: np.ndarray, closes: np.ndarray, delim: str) -> int | None:
    """Return the offset of a closing quote followed by more of its value, if there is one.

    DuckDB (not strict) drops what follows a closing quote up to the delimiter: ``"Nord" x``
    would be read as ``Nord``. Spaces there are harmless.
    """
    n = len(buf)
    inner = closes[closes < n - 1]
    after = buf[inner + 1]
    suspects = inner[(after != ord(delim)) & (after != 10) & (after != 13)]
    for c in suspects.tolist():
        rest = re.split(
            rb"[\r\n" + re.escape(delim.encode()) + rb"]", raw[c + 1 : c + 1 + 4096], maxsplit=1
        )
        if rest[0].strip(b" \t"):
            return int(c)
    return None


def _unquoted(
    buf: np.ndarray, start: int, end: int, byte: int, opens: np.ndarray, closes: np.ndarray
) -> np.ndarray:
    """Return the offsets of a byte in buf[start:end] that lie outside every quoted field."""
    hits = np.flatnonzero(buf[start:end] == byte) + start
    if len(opens) and len(hits):
        k = np.searchsorted(opens, hits, side="left") - 1
        hits = hits[(k < 0) | (closes[np.maximum(k, 0)] < hits)]
    return hits


def _check_fields(
    raw: bytes, buf: np.ndarray, lines: _Lines, delim: str, n_header: int, path: Path
) -> np.ndarray:
    """Refuse a stray quote or an oversized field; return which lines start inside a quote.

    A quoted field may hold a few line breaks (a note over three lines). One that is never
    closed, spans more than ``MAX_FIELD_LINES`` line breaks or has taken in whole records is a
    stray quote that would read the following lines as one value. ``n_header`` is the number
    of fields in the header row.
    """
    base = 3 if raw.startswith(UTF8_BOM) else 0  # DuckDB reads a BOM as nothing
    if b'"' in raw:
        opens, closes = _quoted_fields(buf[base:], delim)
        opens, closes = opens + base, closes + base
    else:  # most extracts quote nothing; bytes.find says so at memory speed
        opens = closes = np.zeros(0, dtype=np.int64)
    starts = lines.starts
    in_quotes = np.zeros(len(starts), dtype=bool)
    if len(opens):
        inside = np.searchsorted(opens, starts, side="left") - 1
        in_quotes = (inside >= 0) & (closes[np.maximum(inside, 0)] >= starts)
        # Only the fields over a line break (few, usually none) are looked at one by one.
        multi = np.unique(inside[in_quotes])
        open_lines, close_lines = lines.of(opens[multi]), lines.of(closes[multi])
        for k, first, last in zip(
            multi.tolist(), open_lines.tolist(), close_lines.tolist(), strict=True
        ):
            if last - first > bounds.MAX_FIELD_LINES or _swallows_records(
                raw, (int(opens[k]), int(closes[k])), delim, n_header
            ):
                raise _stray_quote(first, path)
        if closes[-1] >= len(buf):  # left open at the end of the file: only the last can be
            raise _stray_quote(lines.of(int(opens[-1])), path)
        lost = _check_after_closes(raw, buf, closes, delim)
        if lost is not None:
            raise _text_after_quote(lines.of(lost), path)
        big = np.flatnonzero(closes - opens - 1 > bounds.MAX_FIELD_BYTES)
        if len(big):
            raise _too_big_field(lines.of(int(opens[big[0]])), path)
    # An unquoted field can only be too big on a long line; those are few, look at each.
    for i in np.flatnonzero(lines.ends - starts > bounds.MAX_FIELD_BYTES):
        s, e = int(starts[i]), int(lines.ends[i])
        cuts = _unquoted(buf, s, e, ord(delim), opens, closes)
        if np.diff(np.concatenate(([s - 1], cuts, [e]))).max() - 1 > bounds.MAX_FIELD_BYTES:
            raise _too_big_field(int(i) + 1, path)
    return in_quotes


@contextlib.contextmanager
def _csv_source(raw: bytes, path: Path, encoding: str, latin1: bool) -> Iterator[tuple[str, str]]:
    """Yield a path and an encoding from which DuckDB reads the file, with no copy on disk.

    DuckDB reads UTF-8 (a BOM it skips) and Latin-1 only, as the ``encodings`` extension is not
    here, and wants a path (a file object needs fsspec). A Windows-1252 file without bytes in
    0x80-0x9F is Latin-1 text and is read as such, straight from the file (nearly every
    extract: æøå, § and the no-break space are the same in both). One with €, curly quotes or
    dashes is handed over as UTF-8 in an anonymous in-memory file (memfd), which vanishes with
    the process, even a killed one; a system without memfd gets a pipe fed by a thread. Never a
    temp file full of CPR numbers. ``latin1`` says the file is Latin-1 too (see _encoding).
    """
    if encoding != "Windows-1252":
        yield str(path), "utf-8"
        return
    if latin1:
        yield str(path), "latin-1"
        return

    def utf8_chunks() -> Iterator[bytes]:
        for i in range(0, len(raw), SCAN_CHUNK):  # one byte is one character: cut anywhere
            yield raw[i : i + SCAN_CHUNK].decode("cp1252").encode("utf-8")

    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("slcore-import", os.MFD_CLOEXEC)
        try:
            with open(fd, "wb", closefd=False) as fh:
                for chunk in utf8_chunks():
                    fh.write(chunk)
            yield f"/dev/fd/{fd}", "utf-8"
        finally:
            os.close(fd)
        return
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        # DuckDB may stop reading early (an error): the closed pipe then ends the feeding.
        with contextlib.suppress(BrokenPipeError), open(write_fd, "wb") as fh:
            for chunk in utf8_chunks():
                fh.write(chunk)

    feeder = threading.Thread(target=feed, name="slcore-csv-feed", daemon=True)
    feeder.start()
    try:
        yield f"/dev/fd/{read_fd}", "utf-8"
    finally:
        os.close(read_fd)
        feeder.join()


def _read_csv(cur: duckdb.DuckDBPyConnection, path: Path, columns: Columns) -> Detection:
    raw = path.read_bytes()
    buf = np.frombuffer(raw, dtype=np.uint8)
    lines = _split_lines(buf)
    too_long = np.flatnonzero(lines.ends - lines.starts > bounds.MAX_LINE_BYTES)
    if len(too_long):
        raise ImportRefused(
            f"Linje {too_long[0] + 1} i {path.name} er over 1 MB lang og kan ikke være en "
            "bevilling. Tjek at filen er et udtræk af bevillinger."
        )
    encoding, latin1 = _encoding(raw, lines, path)
    header_idx, delim, header_cells = _detect_header(raw, lines, encoding, path, columns)
    cells = _check_header(header_cells, f"linje {header_idx + 1} i {path.name}", path.name, columns)
    names = _staging_names(cells)
    in_quotes = _check_fields(raw, buf, lines, delim, len(header_cells), path)
    if in_quotes[header_idx]:
        raise _stray_quote(int(np.flatnonzero(~in_quotes[:header_idx])[-1]) + 1, path)
    # A record starts on each line that is neither inside a quoted field nor blank (DuckDB
    # skips blank lines). DuckDB reads from the first line, title and header included, and
    # those records are dropped after: in the mode used here its skip counts a CRLF as two
    # lines and would miss the header.
    blank = lines.ends == lines.starts
    record_lines = np.flatnonzero(~in_quotes & ~blank)
    before_data = int(np.searchsorted(record_lines, header_idx, side="right"))
    types = "{" + ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for n in names) + "}"
    data_lines = record_lines[before_data:]
    # The common case: one line per record, no blank lines in between, so a record's line is
    # its number plus an offset, and the file is read straight into raw_rows.
    regular = not len(data_lines) or data_lines[-1] - data_lines[0] == len(data_lines) - 1
    offset = int(data_lines[0]) - before_data if len(data_lines) else 0
    table, rec_no = (
        ("raw_rows", f"{offset} + rec_no AS line_no") if regular else ("raw_records", "rec_no")
    )
    # new_line '\n' puts DuckDB in its one-character mode, where LF, CRLF and a lone CR each
    # end a line, as in _split_lines. (Left to detect CRLF, DuckDB takes a lone CR and the
    # character after it for one line break, and that character is lost.) One thread reads, so
    # that row_number() counts the records in the file's order.
    with _csv_source(raw, path, encoding, latin1) as (source, source_encoding):
        try:
            n = cur.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT {rec_no}, * EXCLUDE (rec_no) FROM (
                    SELECT row_number() OVER () AS rec_no, *
                    FROM read_csv(?, delim = ?, quote = '"', escape = '"', header = false,
                                  auto_detect = false, columns = {types}, encoding = ?,
                                  new_line = '\\n', compression = 'none', null_padding = true,
                                  strict_mode = false, parallel = false,
                                  max_line_size = {bounds.MAX_LINE_BYTES * 4}))
                """,
                [source, delim, source_encoding],
            ).fetchall()[0][0]
        except duckdb.Error as exc:
            # DuckDB's message may quote the line: never a CPR number in a message.
            detail = privacy.mask_cprs(str(exc).splitlines()[0])[:120]
            raise ImportRefused(f"Filen {path.name} kunne ikke læses som CSV ({detail}).") from None
    _check_record_count(cur, table, n, len(record_lines), path)
    if regular:
        # The title and header records: the first before_data, numbered up to the header line.
        cur.execute(f"DELETE FROM raw_rows WHERE line_no <= {offset + before_data}")
    else:
        _number_records(cur, data_lines, before_data)
    return Detection(
        format="CSV",
        encoding=encoding,
        delimiter=delim,
        header_line=header_idx + 1,
        headers=tuple(names),
        columns=tuple(names),
    )


def _check_record_count(
    cur: duckdb.DuckDBPyConnection, table: str, n: int, starts: int, path: Path
) -> None:
    """Refuse the file unless DuckDB read as many records as lines begin one.

    The lines come from the file's bytes, the records from DuckDB: the same count is the
    proof that both read quotes and line breaks alike, so no line number can drift.
    """
    if n != starts:
        cur.execute(f"DROP TABLE {table}")  # the file's text, CPR numbers among it
        raise ImportRefused(
            f"Filen {path.name} kunne ikke læses entydigt: {number(starts)} linjer "
            f"begynder en række, men {number(n)} rækker blev læst. Gem filen igen som CSV fra "
            "Excel, og prøv igen."
        )


def _number_records(
    cur: duckdb.DuckDBPyConnection, data_lines: np.ndarray, before_data: int
) -> None:
    """Keep the records of ``raw_records`` after the header, each with the line it starts on.

    Record ``before_data + k`` starts on line ``data_lines[k - 1]`` (0-based); the first
    ``before_data`` are the title and header lines.
    """
    line_map = pa.table(
        {
            "rec_no": np.arange(before_data + 1, before_data + len(data_lines) + 1, dtype=np.int64),
            "line_no": data_lines.astype(np.int64) + 1,
        }
    )
    # DuckDB 2.0 refuses register() while an earlier result on this cursor is half-read.
    cur.complete()
    cur.register("csv_line_map", line_map)
    try:
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT m.line_no, "
            "r.* EXCLUDE (rec_no) FROM raw_records r JOIN csv_line_map m "
            "ON r.rec_no = m.rec_no ORDER BY r.rec_no"
        )
    finally:
        cur.unregister("csv_line_map")
    cur.execute("DROP TABLE raw_records")


# --- XLSX ----------------------------------------------------------------------------------


def check_zip(path: Path) -> None:
    """Refuse a damaged zip, a zip that is no workbook, or a likely zip bomb."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused(
            f"Filen {path.name} ligner en Excel-fil, men er beskadiget (ikke en gyldig zip). "
            "Åbn og gem den igen i Excel."
        ) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise ImportRefused(f"Filen {path.name} er en zip-fil, men ikke et Excel-regneark.")
    # Two parts of one name (calamine ignores case) would let the part checked below differ
    # from the part calamine reads.
    if len({i.filename.lower() for i in infos}) < len(infos):
        raise ImportRefused(
            f"Filen {path.name} ligner en Excel-fil, men er beskadiget (to dele med samme navn). "
            "Åbn og gem den igen i Excel."
        )
    unpacked = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if unpacked > bounds.MAX_XLSX_UNPACKED or unpacked / packed > bounds.MAX_XLSX_RATIO:
        raise ImportRefused(
            f"Filen {path.name} fylder {number(unpacked / 1e6)} MB udpakket "
            f"({number(unpacked / packed)} gange sin egen størrelse) og afvises som en mulig "
            "zip-bombe. Gem arket som CSV, hvis det er et rigtigt udtræk."
        )


def _too_big_xlsx(path: Path) -> ImportRefused:
    return ImportRefused(
        f"Excel-filen {path.name} er for stor til at blive læst som Excel. Gem arket som CSV, og "
        "prøv igen."
    )


def _unusual_sheet(sheet: str, path: Path) -> ImportRefused:
    return ImportRefused(
        f"Arket '{sheet}' i {path.name} er gemt på en måde, hvor cellernes placering ikke kan "
        "kontrolleres. Åbn filen i Excel, gem den igen, og prøv igen."
    )


def _member(infos: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    """Return the part calamine opens for a name: the first one that matches, ignoring case."""
    name = name.lower()
    return next((i for i in infos if i.filename.lower() == name), None)


def _xml_blocks(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield a part's XML in blocks of about 16 MB, each cut before a '<' so no tag is split."""
    carry = b""
    with z.open(info) as fh:
        while chunk := fh.read(SCAN_CHUNK):
            data = carry + chunk
            cut = data.rfind(b"<")
            if cut <= 0 and len(data) < 4 * SCAN_CHUNK:
                carry = data
                continue
            if cut <= 0:  # a text or tag of over 48 MB: no cell is that big; pass it on
                cut = len(data)
            yield data[:cut]
            carry = data[cut:]
    if carry:
        yield carry


_SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?sheet\b([^>]*)>")
_REL_TAG = re.compile(rb"<(?:[\w.-]+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)


def _attrs(tag: bytes) -> dict[str, str]:
    return {
        m[1].decode(): html.unescape(
            (m[2] if m[2] is not None else m[3]).decode("utf-8", "replace")
        )
        for m in _ATTR.finditer(tag)
    }


def _sheet_parts(
    z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], sheet: str
) -> list[zipfile.ZipInfo]:
    """Return the part calamine reads for a sheet, as it finds it; every worksheet when unsure."""

    def xml(name: str) -> bytes:
        info = _member(infos, name)
        return _COMMENT.sub(b"", z.read(info)) if info else b""

    rels = {
        a.get("Id"): a.get("Target", "")
        for a in map(_attrs, _REL_TAG.findall(xml("xl/_rels/workbook.xml.rels")))
    }
    for a in map(_attrs, _SHEET_TAG.findall(xml("xl/workbook.xml"))):
        if a.get("name") != sheet:
            continue
        target = rels.get(a.get("r:id") or a.get("relationships:id"))
        if target:
            part = (
                target[1:]
                if target.startswith("/xl/")
                else target
                if target.startswith("xl/")
                else f"xl/{target}"
            )
            info = _member(infos, part)
            if info is not None:
                return [info]
        break
    return [i for i in infos if i.filename.lower().startswith("xl/worksheets/")]


def _check_workbook_parts(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], path: Path) -> None:
    """Refuse parts calamine reads whole when it opens a workbook, before it does."""
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
        info = _member(infos, name)
        if info is not None and info.file_size > bounds.MAX_XLSX_PART_BYTES:
            raise _too_big_xlsx(path)
    info = _member(infos, "xl/sharedStrings.xml")
    if info is None:
        return
    if info.file_size > bounds.MAX_XLSX_STRINGS_BYTES:
        raise _too_big_xlsx(path)
    strings = 0
    for block in _xml_blocks(z, info):
        strings += sum(block.count(tag) for tag in (b"<si>", b"<si ", b":si>", b":si "))
        if strings > bounds.MAX_XLSX_STRINGS:
            raise _too_big_xlsx(path)


def _ref_text(row: int, col: int) -> str:
    """Return the A1-style address of a 1-based row and column."""
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _cell_refs(block: bytes, tags: list[bytes]) -> tuple[list[int], np.ndarray, np.ndarray, bool]:
    """Return (cells per tag, rows, columns, readable) of the ``<c r="B7">`` cells in a block.

    ``tags`` are the cell tag with each prefix in use (``<c``, ``<x:c``). A cell whose address
    is not its first attribute, or is no A1 address, makes the block unreadable here. Rows and
    columns are those of the cells that may hold a value, in file order.
    """
    # Zero padding: an address is read at most 20 bytes past its '<', so no index runs off.
    arr = np.frombuffer(block + bytes(32), dtype=np.uint8)
    counts, starts = [], []
    for tag in tags:
        hit = np.flatnonzero((arr[:-1] == tag[0]) & (arr[1:] == tag[1]))
        for k, ch in enumerate(tag[2:], start=2):
            hit = hit[arr[hit + k] == ch]
        nxt = arr[hit + len(tag)]
        hit = hit[(nxt == 32) | (nxt == 62) | (nxt == 47) | (nxt == 9) | (nxt == 10) | (nxt == 13)]
        counts.append(len(hit))
        for k, ch in enumerate(b' r="', start=len(tag)):
            hit = hit[arr[hit + k] == ch]
        starts.append(hit + len(tag) + 4)
    s = np.concatenate(starts) if len(starts) > 1 else starts[0]
    if len(s) < sum(counts):
        return counts, s, s, False
    s = np.sort(s).astype(np.int32 if len(arr) < 2**31 else np.int64)  # in file order
    # The address: one to three letters, then one to seven digits, then the closing quote.
    col = np.zeros(len(s), dtype=np.int32)
    alive = np.ones(len(s), dtype=bool)
    for _ in range(3):
        ch = arr[s]
        alive &= (ch >= 65) & (ch <= 90)
        col[alive] = col[alive] * 26 + ch[alive] - 64
        s += alive
    ch = arr[s]
    ok = (col > 0) & ((ch < 65) | (ch > 90))
    row = np.zeros(len(s), dtype=np.int32)
    digits = np.zeros(len(s), dtype=np.int8)
    alive = np.ones(len(s), dtype=bool)
    for _ in range(7):
        alive &= (ch >= 48) & (ch <= 57)
        if not alive.any():
            break
        row[alive] = row[alive] * 10 + ch[alive] - 48
        digits += alive
        s += alive
        ch = arr[s]
    ok &= (digits >= 1) & (ch == 34)
    if b"/>" not in block:
        return counts, row, col, bool(ok.all())
    # An empty cell written as <c r="XFD1048576" s="3"/> (formatting left behind) holds no
    # value, and calamine leaves it out of the block: so does the bound.
    gts = np.flatnonzero(arr == 62)
    valued = arr[gts[np.minimum(np.searchsorted(gts, s), len(gts) - 1)] - 1] != 47
    return counts, row[valued], col[valued], bool(ok.all())


def _check_sheet(z: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, path: Path) -> None:
    """Refuse a worksheet whose cells would make calamine allocate too much, before it reads it.

    calamine keeps a sheet as one dense block from the first to the last row with a value and
    across the columns in use: one value in A1 and one in XFD1048576 ask for 17 billion cells,
    and a failed allocation in Rust aborts the whole process. The cells' addresses (r="B7") are
    read straight from the XML, 16 MB at a time with numpy; the block's size, the number of
    cells and the rows' order (calamine takes the first and last cell as its corners) are
    checked as they come, so a hostile sheet is stopped early.
    """
    tags = [b"<c"]
    first_row, last_row, min_col, max_col, cells = 0, 0, 1 << 30, 0, 0
    for block in _xml_blocks(z, info):
        if tags == [b"<c"]:
            root = re.search(rb"<([\w.-]+):worksheet\b", block[:65536])
            if root:
                tags.append(b"<" + root[1] + b":c")
        counts, rows, cols, readable = _cell_refs(block, tags)
        # calamine takes a cell tag with any prefix; one other than the sheet's would be missed.
        prefixed = (
            sum(block.count(b":c" + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
            if b":c" in block
            else 0
        )
        if not readable or prefixed > sum(counts[1:]):
            raise _unusual_sheet(sheet, path)
        cells += sum(counts)
        if not len(rows):
            continue
        if rows[0] < last_row or (len(rows) > 1 and (np.diff(rows) < 0).any()):
            raise _unusual_sheet(sheet, path)
        first_row = first_row or int(rows[0])
        last_row = int(rows[-1])
        min_col, max_col = min(min_col, int(cols.min())), max(max_col, int(cols.max()))
        height, width = last_row - first_row + 1, max_col - min_col + 1
        if height * width > bounds.MAX_XLSX_CELLS:
            raise ImportRefused(
                f"Arket '{sheet}' i {path.name} spænder over {number(height)} rækker og "
                f"{number(width)} kolonner (til og med celle {_ref_text(last_row, max_col)}); "
                f"grænsen er {number(bounds.MAX_XLSX_CELLS)} celler. Slet rækker og kolonner uden for "
                "dataene, eller gem arket som CSV, og prøv igen."
            )
        if cells > bounds.MAX_XLSX_CELLS:
            raise ImportRefused(
                f"Arket '{sheet}' i {path.name} har over {number(bounds.MAX_XLSX_CELLS)} celler. Gem "
                "arket som CSV, og prøv igen."
            )


def _cell_text(v: object) -> str | None:
    """Return an Excel cell as text the validator understands, or None when empty."""
    if v.__class__ is float:  # the commonest cell after text: test it first
        # Decimal comma: unambiguous for the number parser (1.234 is not a thousand).
        return str(int(v)) if v.is_integer() else repr(v).replace(".", ",")
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):  # a float subclass
        return _cell_text(float(v))
    if isinstance(v, int):
        return str(v)
    return str(v)


def _insert_batch(
    cur: duckdb.DuckDBPyConnection,
    rows: list[list[str | None]],
    lines: list[int],
    where: tuple[str, Path],
) -> None:
    """Append a batch of rows (Excel rows ``lines``) to ``raw_rows``; refuse an oversized cell."""
    width = len(rows[0])
    columns = [pa.array(col, type=pa.string()) for col in zip(*rows, strict=True)]
    for col in columns:
        sizes = pc.binary_length(col)
        longest = pc.max(sizes).as_py()
        if longest is not None and longest > bounds.MAX_FIELD_BYTES:
            sheet, path = where
            line = lines[int(np.argmax(sizes.fill_null(0).to_numpy()))]
            raise ImportRefused(
                f"Række {line} i arket '{sheet}' i {path.name} har en celle på over "
                f"{_kb(bounds.MAX_FIELD_BYTES)}, og det har ingen bevilling. Tjek at arket er "
                "et udtræk af bevillinger."
            )
    batch = pa.table(
        [pa.array(lines, type=pa.int64()), *columns],
        names=["line_no", *(f"c{j}" for j in range(width))],
    )
    # DuckDB 2.0 refuses register() while an earlier result on this cursor is half-read (a
    # fetchone() elsewhere); finish it first.
    cur.complete()
    cur.register("xlsx_batch", batch)
    try:
        cur.execute("INSERT INTO raw_rows SELECT * FROM xlsx_batch")
    finally:
        cur.unregister("xlsx_batch")


def _open_checked_workbook(path: Path, sheet: str | None) -> tuple[Any, tuple[str, ...], str]:
    """Check a workbook's parts and the chosen sheet's size; return it, its sheets, the sheet."""
    from python_calamine import CalamineError, CalamineWorkbook

    check_zip(path)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        _check_workbook_parts(z, infos, path)
        try:
            wb = CalamineWorkbook.from_path(str(path))
            sheets = tuple(wb.sheet_names)
        except CalamineError:
            raise ImportRefused(
                f"Excel-filen {path.name} kan ikke læses; den er beskadiget."
            ) from None
        if sheet is not None and sheet not in sheets:
            raise ImportRefused(
                f"Arket '{sheet}' findes ikke i {path.name}. Arkene er: {', '.join(sheets)}."
            )
        if not sheets:
            raise ImportRefused(f"Excel-filen {path.name} kan ikke læses; den er beskadiget.")
        name = sheet or sheets[0]
        for part in _sheet_parts(z, infos, name):
            _check_sheet(z, part, name, path)
    return wb, sheets, name


def _read_xlsx(
    cur: duckdb.DuckDBPyConnection, path: Path, sheet: str | None, columns: Columns
) -> Detection:
    from python_calamine import CalamineError

    wb, sheets, name = _open_checked_workbook(path, sheet)
    try:
        ws = wb.get_sheet_by_name(name)
        # From A1, so index + 1 is the Excel row.
        head = ws.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_LINES)
    except CalamineError:
        raise ImportRefused(f"Excel-filen {path.name} kan ikke læses; den er beskadiget.") from None
    text_rows = [["" if c is None else str(c).strip() for c in r] for r in head]
    found = _find_header(text_rows, columns)
    if found is None:
        raise _no_header(path, columns, text_rows)
    header_idx, header_cells = found
    cells = _check_header(
        header_cells, f"række {header_idx + 1} i arket '{name}' i {path.name}", path.name, columns
    )
    names = _staging_names(cells)
    width = len(names)
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE raw_rows (line_no BIGINT, "
        + ", ".join(f"{_q(n, names)} VARCHAR" for n in names)
        + ")"
    )
    # iter_rows() starts at row 1 but at the first column in use: put the columns before it back.
    pad = [""] * (ws.start[1] if ws.start else 0)
    batch_rows = max(1, XLSX_BATCH_CELLS // width)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    for i, row in enumerate(ws.iter_rows()):
        if i <= header_idx:
            continue
        cells_ = (pad + row)[:width] if pad else row[:width]
        texts = [v if v.__class__ is str and v else _cell_text(v) for v in cells_]
        texts.extend([None] * (width - len(texts)))
        rows.append(texts)
        lines.append(i + 1)
        if len(rows) >= batch_rows:
            _insert_batch(cur, rows, lines, (name, path))
            rows, lines = [], []
    if rows:
        _insert_batch(cur, rows, lines, (name, path))
    return Detection(
        format="XLSX",
        sheet=name,
        sheets=sheets,
        header_line=header_idx + 1,
        headers=tuple(names),
        columns=tuple(names),
    )


# --- Parquet -------------------------------------------------------------------------------


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path, columns: Columns) -> Detection:
    try:
        desc = cur.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error:
        raise ImportRefused(
            f"Parquet-filen {path.name} kan ikke læses; den er beskadiget."
        ) from None
    names = [r[0] for r in desc]
    if len(names) > bounds.MAX_COLUMNS:
        raise ImportRefused(
            f"Parquet-filen {path.name} har {number(len(names))} kolonner; grænsen er "
            f"{number(bounds.MAX_COLUMNS)}. Slet de overflødige kolonner, og prøv igen."
        )
    if len(columns.match(names)) < MIN_HEADER_MATCHES:
        raise _no_header(path, columns, [names])
    _check_header(names, f"Parquet-filen {path.name}", path.name, columns)
    exprs = []
    for name, typ, *_ in desc:
        col = _q(name, [d[0] for d in desc])
        t = typ.upper()
        if t.startswith(("DOUBLE", "FLOAT", "DECIMAL", "REAL")):
            # Decimal comma, as for Excel: the number parser reads it unambiguously.
            exprs.append(f"replace({col}::VARCHAR, '.', ',') AS {col}")
        elif t.startswith("TIMESTAMP"):
            exprs.append(f"strftime({col}, '%Y-%m-%d') AS {col}")
        else:
            exprs.append(f"{col}::VARCHAR AS {col}")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT row_number() OVER () AS line_no, "
        f"{', '.join(exprs)} FROM read_parquet(?)",
        [str(path)],
    )
    return Detection(format="Parquet", headers=tuple(names), columns=tuple(names))


def _drop_empty_rows(cur: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """Drop rows whose every cell is empty (trailing ;;;; rows, empty Excel rows)."""
    if not names:
        return
    # A cell is empty when it is NULL or only spaces: ltrim strips what trim strips, and is
    # several times cheaper than nullif(trim(...), '') on a million rows.
    cond = " AND ".join(f"coalesce(ltrim({_q(n, names)}), '') = ''" for n in names)
    cur.execute(f"DELETE FROM raw_rows WHERE {cond}")
