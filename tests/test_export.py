"""Danish formatting and table downloads."""

import datetime as dt
import io

import pandas as pd
from python_calamine import CalamineWorkbook

from slcore import fmt
from slcore.export import defuse, to_csv_bytes, to_xlsx_bytes


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
    wb = CalamineWorkbook.from_filelike(io.BytesIO(to_xlsx_bytes(df, "Nøgletal")))
    assert wb.sheet_names == ["Nøgletal"]
    rows = wb.get_sheet_by_index(0).to_python()
    assert rows[0] == ["Team", "Aktive"]
    assert rows[1] == ["'@evil", 3.0] and rows[2][1] == 4.0
