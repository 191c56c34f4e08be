"""Danish formatting and table downloads."""

import datetime as dt
import io
import re
import zipfile

import pandas as pd
from python_calamine import CalamineWorkbook

from slcore import fmt
from slcore.export import defuse, is_formula_like, restore, to_csv_bytes, to_xlsx_bytes


def test_danish_numbers_and_dates():
    assert fmt.kr(1234567.49) == "1.234.567 kr."
    assert fmt.kr(-1718297.2) == "-1.718.297 kr."
    assert fmt.number(1234.5, 1) == "1.234,5"
    assert fmt.mio_kr(16_912_345) == "16,9 mio. kr."
    assert fmt.pct(0.4312) == "43 %"
    assert fmt.pct(-0.03, 1, signed=True) == "-3,0 %"
    assert fmt.kr(None) == "–" and fmt.kr(float("nan")) == "–"
    assert fmt.date(dt.date(2025, 12, 31)) == "31-12-2025"
    assert fmt.month_label(dt.date(2025, 3, 1)) == "mar 2025"


def test_formula_cells_are_defused():
    for bad in ("=1+1", "+45", "-2", "@SUM(A1)"):
        assert defuse(bad) == "'" + bad
    assert defuse("Team Nord") == "Team Nord" and defuse(-2) == -2


def test_csv_for_danish_excel():
    df = pd.DataFrame({"Team": ["Team Øst", "=HYPERLINK(1)"], "Forbrug (kr.)": [1234.5, 10.0]})
    raw = to_csv_bytes(df)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "Team;Forbrug (kr.)"
    assert "Team Øst;1234,5" in text and "'=HYPERLINK(1)" in text


def test_xlsx_keeps_numbers_and_defuses_text():
    df = pd.DataFrame({"Team": ["@evil", "Team Syd"], "Aktive": [3, 4]})
    raw = to_xlsx_bytes(df, "Nøgletal")
    wb = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    assert wb.sheet_names == ["Nøgletal"]
    rows = wb.get_sheet_by_index(0).to_python()
    assert rows[0] == ["Team", "Aktive"]
    # The cell holds the very text; Excel's quote prefix, not an apostrophe, keeps it text.
    assert rows[1] == ["@evil", 3.0] and rows[2][1] == 4.0
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert "<f>" not in sheet
    assert 'quotePrefix="1"' in styles
    cell = re.search(r'<c r="A2" s="(\d+)" t="s"', sheet)
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    assert 'quotePrefix="1"' in re.findall(r"<xf [^>]*>", xfs)[int(cell.group(1))]


def test_dates_are_dates_in_xlsx_and_danish_in_csv():
    df = pd.DataFrame(
        {
            "Start": [dt.date(2025, 12, 31), None],
            "Beløb": [pd.NA, -2.5],
            "Note": ["-5 timer", "+45 12"],
        }
    ).astype({"Beløb": "Float64"})
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(to_xlsx_bytes(df)))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert rows[1][0] == dt.date(2025, 12, 31)
    assert rows[2][1] == -2.5 and rows[1][1] == ""
    assert [r[2] for r in rows[1:]] == ["-5 timer", "+45 12"]
    text = to_csv_bytes(df).decode("utf-8-sig").splitlines()
    assert text[1] == "31-12-2025;;'-5 timer"
    assert text[2] == ";-2,5;'+45 12"


def test_rounding_is_half_up_and_never_minus_zero():
    assert fmt.kr(1234.5) == "1.235 kr."
    assert fmt.number(2.5) == "3" and fmt.number(0.25, 1) == "0,3"
    assert fmt.kr(-0.0) == "0 kr." and fmt.kr(-0.49) == "0 kr."
    assert fmt.pct(-0.0001, 1, signed=True) == "0,0 %"
    assert fmt.pct(0.053, 1, signed=True) == "+5,3 %"


def test_short_money_and_period_labels():
    assert fmt.short_kr(40_000) == "40.000 kr."
    assert fmt.short_kr(-15_821_791) == "-15,8 mio. kr."
    assert fmt.period_label(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == "2026"
    assert fmt.period_label(dt.date(2025, 12, 1), dt.date(2026, 11, 30)) == "2025/26"
    assert fmt.period_label(dt.date(2023, 7, 1), dt.date(2026, 6, 30)) == "2023-2026"


RISKY = [
    "=1+1",
    "\t=1",
    "\r=1",
    "\n=1+1",
    "\nTekst på næste linje",
    "\x00x",
    " =1+1",
    "   @SUM(A1)",
    "\u00a0+45",  # a non-breaking space
    "\t",
]
HARMLESS = ["Team Nord", "'tekst", "a=b", "1-2", "", "'", "Sum: -5", "5-"]


def test_text_after_spaces_or_a_line_break_is_defused_too():
    for text in RISKY:
        assert is_formula_like(text), repr(text)
        assert defuse(text) == "'" + text
    for text in HARMLESS:
        assert not is_formula_like(text), repr(text)
        assert defuse(text) == text
    # An apostrophe before a formula-like text is part of the text and is kept.
    assert defuse("'=1") == "''=1" and defuse("''-2") == "'''-2"
    for value in (-5, -2.5, 0, None, dt.date(2025, 1, 1)):
        assert defuse(value) == value


def test_restore_undoes_exactly_what_defuse_added():
    for text in [*RISKY, *HARMLESS, "'=1", "''=1", "'-", "''", "'''@x", "'\n"]:
        assert restore(defuse(text)) == text, repr(text)
    assert restore("'tekst") == "'tekst"  # an apostrophe defuse did not add stays


def test_negative_numbers_stay_numbers_in_csv():
    df = pd.DataFrame(
        {
            "Beløb": [-5, 3],
            "Blandet": pd.Series([-5, "-5"], dtype=object),
            "Note": [" =1+1", "\n=2"],
        }
    )
    lines = to_csv_bytes(df).decode("utf-8-sig").split("\r\n")
    assert lines[1] == "-5;-5;' =1+1"
    assert lines[2] == "3;'-5;\"'\n=2\""


def test_xlsx_marks_text_after_spaces_as_text():
    raw = to_xlsx_bytes(pd.DataFrame({"Note": [" =1+1", "\n@x", "ok"], "Tal": [-5, 1, 2]}))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[1:]] == [" =1+1", "\n@x", "ok"] and rows[1][1] == -5.0
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    xfs = re.findall(r"<xf [^>]*>", re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)[1])
    style = {c: int(s) for c, s in re.findall(r'<c r="(A\d)" s="(\d+)" t="s"', sheet)}
    assert "quotePrefix" in xfs[style["A2"]] and "quotePrefix" in xfs[style["A3"]]
    assert "A4" not in style or "quotePrefix" not in xfs[style["A4"]]
