"""Hostile and careless uploads are refused (or read) within a stated memory and time bound.

Each file is generated here (the CPR-shaped values are made up: 010215-4001, ...) and imported
by ``importer.import_file`` (read, validate, write) in a child process that opens a fresh store,
so one measurement is one process: its peak resident memory comes from the kernel (the child's own ``VmHWM``), its time
from the wall clock with the interpreter's start and the imports included. The bound holds for
the worst files we know: a header of 50,000 columns, a sheet whose cells span A1 to XFD1048576,
a small sheet of tens of millions of tiny cells that passes the zip-bomb guard, a field of
140 KB, a stray quote in a long file, and a long legitimate CSV and XLSX.

MAX_PEAK_RSS_MB is well above what a refusal needs here (160-320 MB; about 150 MB of it is
Python with DuckDB, numpy, pandas and pyarrow loaded) and below what these files took before
they were bounded: the huge range aborted the process in a failed allocation, the tiny cells took
1.2 GB, the wide header ran out of memory at the 6 GB address-space limit after 17 s (without it,
no end in 421 s), and the 140 KB field raised a traceback. MAX_SECONDS is per file and generous
for a busy two-core machine (each takes 0.6-5 s). The address-space limit keeps a regression from
taking the machine down with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from slcore import bounds
from tests.conftest import ROOT

# Peak resident memory of one import, the interpreter included: a hostile file is refused
# within the first bound whatever its size; a legitimate file's import grows with its rows
# (300,000 rows of CSV: about 550 MB), so it has the second.
MAX_PEAK_RSS_MB = 400
MAX_PEAK_RSS_MB_LEGITIMATE = 800
MAX_SECONDS = 30  # wall time of one import, the interpreter's start included
ADDRESS_SPACE_LIMIT = 6 << 30  # a runaway read fails here instead of exhausting the machine

pytestmark = pytest.mark.slow

HEADER = "Bevillings-id;CPR-nr;Indsatstype;Startdato;Slutdato;Takst;Takstenhed;Team;Leverandør;Note"
CHILD = f"""
import json, os, resource, sys
# A runaway import fails here instead of exhausting the machine.
resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE_LIMIT}, {ADDRESS_SPACE_LIMIT}))
from pathlib import Path
from slcore import importer
from slcore.store import open_store
store = open_store(Path(sys.argv[2]))
try:
    result = importer.import_file(store, Path(sys.argv[1]))
    outcome = {{"rows": result.rows_read, "inserted": result.inserted}}
except importer.ImportRefused as exc:
    outcome = {{"refused": str(exc)}}
# This process's own peak (VmHWM starts anew at exec; ru_maxrss would count the pages of the
# forked test runner too).
with open("/proc/self/status") as fh:
    peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({{"outcome": outcome, "peak_mb": peak_kb / 1024}}))
"""


def read_in_child(path: Path, tmp_path: Path) -> tuple[dict, float, float]:
    """Import a file in a fresh process; return (outcome, peak RSS in MB, seconds)."""
    env = {**os.environ, "SLCORE_KEY": "test-hostile"}
    start = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(tmp_path / "store.duckdb")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3 * MAX_SECONDS,
    )
    seconds = time.monotonic() - start
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout)
    return report["outcome"], report["peak_mb"], seconds


# --- the files -------------------------------------------------------------------------------


def row(i: int, note: str = "") -> str:
    return (
        f"A{i};010215-4{i % 1000:03d};Familiebehandling;01-03-2024;;500;pr. måned;Team Nord;"
        f"Kommunal;{note}"
    )


def wide_header(path: Path) -> Path:
    """A header of 100 KB: 50,000 copies of one column name after the real ones."""
    path.write_text(f"{HEADER};" + ";".join(["A"] * 50_000) + f"\n{row(1)}\n", encoding="utf-8")
    return path


def long_field(path: Path) -> Path:
    """140 KB in one field of line 2, past csv's own limit of 128 KB."""
    path.write_text(f"{HEADER}\n{row(1, 'x' * 140_000)}\n{row(2)}\n", encoding="utf-8")
    return path


def stray_quote(path: Path) -> Path:
    """200,000 rows with a quote opened in line 12 and never closed."""
    rows = [row(i) for i in range(1, 200_001)]
    rows[10] = row(11, '"Ring til mor')
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def long_csv(path: Path) -> Path:
    """A legitimate 300,000-row Windows-1252 extract: a title line, CRLF, blank lines and notes
    over two lines now and then."""
    lines = ["Udtræk af bevillinger;;;;;;;;;", HEADER]
    for i in range(1, 300_001):
        lines.append(row(i, '"Aftale med\r\nplejefamilien"' if i % 1000 == 0 else "Bemærkning"))
        if i % 5000 == 0:
            lines.append("")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
XLSX_COLUMNS = ["Bevillings-id", "CPR-nr", "Indsatstype", "Startdato", "Takst", "Takstenhed"]


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _text_cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def workbook(path: Path, rows, extra: dict[str, bytes] | None = None) -> Path:
    """A workbook with one sheet 'Ark1' whose sheetData is the given row XML, in chunks."""
    ns = "http://schemas.openxmlformats.org"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/'
            'relationships"><sheets><sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        for name, data in (extra or {}).items():
            z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(SHEET_HEAD)
            for chunk in rows:
                fh.write(chunk)
            fh.write(b"</sheetData></worksheet>")
    return path


def _header_row() -> bytes:
    cells = b"".join(_text_cell(f"{_letters(j)}1", h) for j, h in enumerate(XLSX_COLUMNS, 1))
    return b'<row r="1">' + cells + b"</row>"


def huge_range_xlsx(path: Path) -> Path:
    """A header and one number in XFD1048576: calamine would ask for 17 billion cells."""
    return workbook(path, [_header_row(), b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'])


def tiny_cells_xlsx(path: Path) -> Path:
    """26.4 million one-digit cells (one row of 24 repeated 1.1 million times) in about 6.5 MB:
    compressed 95 times, under the zip-bomb guard's 200, yet calamine would hold every cell."""
    cells = "".join(f'<c r="{_letters(c)}2"><v>7</v></c>' for c in range(1, 25))
    block = f'<row r="2">{cells}</row>'.encode() * 10_000
    path = workbook(path, [_header_row(), *[block] * 110])
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    ratio = sum(i.file_size for i in infos) / sum(i.compress_size for i in infos)
    assert ratio < bounds.MAX_XLSX_RATIO and path.stat().st_size < 10e6, ratio
    return path


def long_xlsx(path: Path) -> Path:
    """A legitimate sheet of 100,000 rows."""
    template = (
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>X%d</t></is></c>'
        b'<c r="B%d" t="inlineStr"><is><t>010215-4%03d</t></is></c>'
        b'<c r="C%d" t="inlineStr"><is><t>OEK</t></is></c><c r="D%d" t="inlineStr"><is><t>01-03-2024</t></is></c>'
        b'<c r="E%d"><v>%d.5</v></c><c r="F%d" t="inlineStr"><is><t>engang</t></is></c></row>'
    )

    def rows():
        yield _header_row()
        for start in range(2, 100_002, 10_000):
            yield b"".join(
                template % (r, r, r, r, r % 1000, r, r, r, r, r)
                for r in range(start, min(start + 10_000, 100_002))
            )

    return workbook(path, rows())


CASES = {
    # id: (file name, writer, refusal pattern or the number of rows read and imported)
    "50000-columns": ("bred.csv", wide_header, "har 50.010 kolonner; grænsen er 500"),
    "140-kb-field": ("felt.csv", long_field, "Linje 2 i felt.csv har et felt på over 64 KB"),
    "stray-quote": ("citat.csv", stray_quote, 'Linje 12 i citat.csv har et anførselstegn \\("\\)'),
    "huge-range-xlsx": ("spredt.xlsx", huge_range_xlsx, "spænder over 1.048.576 rækker"),
    "tiny-cells-xlsx": ("celler.xlsx", tiny_cells_xlsx, "har over 25.000.000 celler"),
    "long-csv": ("udtraek.csv", long_csv, 300_000),
    "long-xlsx": ("udtraek.xlsx", long_xlsx, 100_000),
}


@pytest.mark.parametrize(("name", "write", "expected"), CASES.values(), ids=CASES.keys())
def test_the_import_stays_within_its_memory_and_time_bound(tmp_path, name, write, expected):
    import re

    path = write(tmp_path / name)
    outcome, rss_mb, seconds = read_in_child(path, tmp_path)
    if isinstance(expected, int):
        assert outcome == {"rows": expected, "inserted": expected}
    else:
        assert "refused" in outcome, outcome
        assert re.search(expected, outcome["refused"]), outcome["refused"]
    bound = MAX_PEAK_RSS_MB_LEGITIMATE if isinstance(expected, int) else MAX_PEAK_RSS_MB
    assert rss_mb < bound, f"{name}: {rss_mb:.0f} MB"
    assert seconds < MAX_SECONDS, f"{name}: {seconds:.1f} s"
