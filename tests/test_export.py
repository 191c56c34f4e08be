"""Danish formatting and table downloads."""

import datetime as dt
import io
import re
import zipfile
from xml.etree import ElementTree

import pandas as pd
from python_calamine import CalamineWorkbook

from slcore import fmt
from slcore.export import (
    defuse,
    file_stem,
    heading,
    is_formula_like,
    restore,
    to_csv_bytes,
    to_xlsx_bytes,
)
from slcore.periods import Period


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


# --- downloads as the screen shows them (issue 12, defect 10) --------------------------------

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def number_formats(raw: bytes) -> dict[str, str]:
    """Return each cell's number format code ("General" when none), by reference (A1)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    codes = {"0": "General"}
    for nf in styles.iterfind("m:numFmts/m:numFmt", NS):
        codes[nf.get("numFmtId")] = nf.get("formatCode")
    xfs = [xf.get("numFmtId", "0") for xf in styles.iterfind("m:cellXfs/m:xf", NS)]
    return {
        c.get("r"): codes.get(xfs[int(c.get("s", "0"))], "builtin")
        for c in sheet.iterfind("m:sheetData/m:row/m:c", NS)
    }


SHOWN = pd.DataFrame(
    {
        "Indsats": ["Døgninstitution", "Kostskole", "I alt"],
        "Forbrug (kr.)": [2370744.5300000003, -0.4, 1234.5],
        "Budget (kr.)": pd.Series([9910000.0, None, -2.5], dtype="Float64"),
        "Aktive bevillinger": [218.0, 3.0, 221.0],
        "Barnedage": [6536, 6059, 12595],
        "Median (dage)": [1360.6000000000001, 239.0, None],
        "Andel inden for rammen": [0.391304347826087, None, 0.0],
        "Andel afvigelse fra budget": [0.13400048940464193, -0.0870172, 0.00049],
    }
)


def test_shown_csv_has_whole_kroner_shares_in_percent_and_integer_counts():
    lines = to_csv_bytes(SHOWN, as_shown=True).decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "Indsats;Forbrug (kr.);Budget (kr.);Aktive bevillinger;Barnedage;Median (dage);"
        "Andel inden for rammen (%);Andel afvigelse fra budget (%)"
    )
    # Half up, as the screen (1.234,5 -> 1.235, -2,5 -> -3), no "-0"; 0,049 % -> 0,0.
    assert lines[1] == "Døgninstitution;2370745;9910000;218;6536;1360,6;39,1;13,4"
    assert lines[2] == "Kostskole;0;;3;6059;239,0;;-8,7"
    assert lines[3] == "I alt;1235;-3;221;12595;;0,0;0,0"
    back = pd.read_csv(io.BytesIO(to_csv_bytes(SHOWN, as_shown=True)), sep=";", decimal=",")
    assert back["Andel inden for rammen (%)"].iloc[0] == 39.1
    assert back["Forbrug (kr.)"].dtype == "int64"


def test_shown_xlsx_has_whole_kroner_and_shares_as_percent_formatted_fractions():
    raw = to_xlsx_bytes(SHOWN, "Nøgletal", as_shown=True)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
    assert rows[0] == list(SHOWN.columns)  # the screen's names: the cell shows "39,1 %"
    assert rows[1][1:] == [2370745, 9910000, 218, 6536, 1360.6, 0.391, 0.134]
    assert rows[2][1:] == [0, "", 3, 6059, 239, "", -0.087]
    assert rows[3][1:] == [1235, -3, 221, 12595, "", 0, 0]
    formats = number_formats(raw)
    assert formats["B2"] == formats["C4"] == "#,##0"  # 2.370.745 in Danish Excel
    assert formats["D2"] == formats["E2"] == "#,##0"  # counts
    assert formats["F2"] == "General"
    assert formats["G2"] == formats["G4"] == "0.0 %"
    assert formats["H2"] == formats["H3"] == "+0.0 %;-0.0 %;0.0 %"  # as the screen: +13,4 %


def test_plain_export_keeps_every_value_for_reimport():
    # Frames and budgets files go back in: without as_shown nothing is rounded or renamed.
    df = pd.DataFrame({"max_monthly_cost": [126229.17], "Andel": [0.25], "Pris (kr.)": [1.5]})
    assert to_csv_bytes(df).decode("utf-8-sig").split("\r\n")[1] == "126229,17;0,25;1,5"
    rows = CalamineWorkbook.from_filelike(io.BytesIO(to_xlsx_bytes(df))).get_sheet_by_index(0)
    assert rows.to_python() == [["max_monthly_cost", "Andel", "Pris (kr.)"], [126229.17, 0.25, 1.5]]


# --- the period in the file, its name and its first line (issue 12, defect 11) ---------------

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2026, 3, 18))


def test_file_names_and_titles_carry_the_period_and_as_of_date():
    assert file_stem("noegletal") == "noegletal"
    assert file_stem("ikke_godkendte_afvigelser", PERIOD) == (
        "ikke_godkendte_afvigelser_2025-01-01_til_2025-12-31_opgjort_2026-03-18"
    )
    assert heading("Ikke-godkendte afvigelser", PERIOD) == (
        "Ikke-godkendte afvigelser · 01-01-2025 – 31-12-2025, opgjort pr. 18-03-2026"
    )
    assert heading("Ikke-godkendte afvigelser") == "Ikke-godkendte afvigelser"
    assert heading(None, PERIOD) is None


def test_a_title_line_heads_the_csv_and_the_xlsx():
    df = pd.DataFrame(
        {
            "Bevillings-id": ["R1", "R2"],
            "Startdato": pd.to_datetime(["2023-11-03", "2025-06-11"]),
            "Slutdato": pd.Series([pd.NaT, pd.Timestamp("2028-04-29")]),
            "Uden for rammen (kr.)": [1653815.0, 1371111.5499999998],
        }
    )
    title = "Ikke-godkendte afvigelser · 01-01-2025 – 31-12-2025, opgjort pr. 18-03-2026"
    raw = to_csv_bytes(df, title=title, as_shown=True)
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[:3] == [title, "", "Bevillings-id;Startdato;Slutdato;Uden for rammen (kr.)"]
    assert lines[3:5] == ["R1;03-11-2023;;1653815", "R2;11-06-2025;29-04-2028;1371112"]
    back = pd.read_csv(io.BytesIO(raw), sep=";", skiprows=2, encoding="utf-8-sig")
    assert list(back.columns) == list(df.columns) and len(back) == 2

    xlsx = to_xlsx_bytes(df, "Afvigelser", title=title, as_shown=True)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == title and set(rows[1]) == {""}
    assert rows[2] == list(df.columns)
    assert rows[3] == ["R1", dt.date(2023, 11, 3), "", 1653815]
    assert rows[4] == ["R2", dt.date(2025, 6, 11), dt.date(2028, 4, 29), 1371112]
    formats = number_formats(xlsx)
    assert formats["B4"] == formats["C5"] == "dd-mm-yyyy"
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
    assert '<pane ySplit="3"' in sheet  # the header stays in view
    assert "_xlnm.Print_Titles" in workbook  # and is printed on every page


def test_a_formula_like_title_is_defused():
    raw = to_csv_bytes(pd.DataFrame({"A": [1]}), title="=1+1")
    assert raw.decode("utf-8-sig").split("\r\n")[0] == "'=1+1"


def test_date_columns_are_danish_in_csv_and_keep_a_time_of_day():
    df = pd.DataFrame({"Start": pd.to_datetime(["2025-12-31", None]), "Id": ["A", "B"]})
    assert to_csv_bytes(df).decode("utf-8-sig").split("\r\n")[1:3] == ["31-12-2025;A", ";B"]
    at = pd.DataFrame({"Tidspunkt": pd.to_datetime(["2026-03-18 10:22:33"]), "Id": ["A"]})
    assert to_csv_bytes(at).decode("utf-8-sig").split("\r\n")[1] == "18-03-2026 10:22:33;A"
    raw = to_xlsx_bytes(at)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
    assert rows[1][0] == dt.datetime.fromisoformat("2026-03-18T10:22:33")  # Excel has no zone
    assert number_formats(raw)["A2"] == "dd-mm-yyyy hh:mm:ss"
