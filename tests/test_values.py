"""Property tests of the value parsers in slcore.values (registrations.md §1, §3, §5, §6).

Each parser returns a SQL expression over a value expression; here they run in a plain
in-memory DuckDB, many values per query. The importer applies them to
``nullif(trim(cell), '')`` (``importer._text``); the tests do the same where the contract
speaks of surrounding spaces or empty cells.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slcore import privacy
from slcore.values import (
    COST_PERIODS,
    EXTENT_UNITS,
    boolean_sql,
    cpr_birth_sql,
    cpr_digits_sql,
    date_sql,
    number_sql,
    parse_number,
    period_sql,
    plain_number,
    two_digit_year_sql,
    unit_sql,
)

SETTINGS = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
CON = duckdb.connect()


def evaluate(sql_of, values: list[str | None]) -> list[object]:
    """Return ``sql_of(v)`` evaluated for each value, in order, in one query."""
    expr = sql_of("t.v")
    rows = CON.execute(
        f"""SELECT {expr} FROM (
                SELECT unnest(range(len($vals))) AS i, unnest($vals) AS v) t
            ORDER BY t.i""",
        {"vals": values},
    ).fetchall()
    assert len(rows) == len(values)
    return [r[0] for r in rows]


def as_imported(sql_of):
    """The parser as validate() applies it: to the trimmed cell, NULL when empty."""
    return lambda v: sql_of(f"nullif(trim({v}), '')")


def random_case(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))


# --- dates -----------------------------------------------------------------------------------

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@SETTINGS
@given(DATES)
@example(dt.date(2024, 2, 29))
@example(dt.date(1900, 1, 1))
@example(dt.date(2100, 12, 31))
def test_danish_and_iso_dates_parse_back_to_themselves(day):
    texts = [
        day.strftime("%d-%m-%Y"),
        day.strftime("%d.%m.%Y"),
        day.strftime("%d/%m/%Y"),
        day.isoformat(),
        f"{day.year:04d}-{day.month:02d}-{day.day:02d}",
    ]
    assert evaluate(date_sql, texts) == [day] * len(texts)


@st.composite
def impossible_days(draw):
    year = draw(st.integers(1900, 2100))
    month = draw(st.integers(1, 12))
    last = calendar.monthrange(year, month)[1]
    day = draw(st.integers(last + 1, 31)) if last < 31 else draw(st.sampled_from([0, 32]))
    return year, month, day


@SETTINGS
@given(impossible_days())
@example((2024, 2, 31))
@example((2023, 2, 29))
@example((2100, 2, 29))
@example((2024, 4, 31))
def test_impossible_dates_are_null(ymd):
    y, m, d = ymd
    texts = [f"{d:02d}-{m:02d}-{y}", f"{d:02d}.{m:02d}.{y}", f"{d:02d}/{m:02d}/{y}"]
    texts.append(f"{y}-{m:02d}-{d:02d}")
    assert evaluate(date_sql, texts) == [None] * 4


def test_date_garbage_and_month_13_are_null():
    texts = ["31-02-2024", "01-13-2024", "2024-13-01", "i går", "12 maj 2024", "", None]
    assert evaluate(date_sql, texts) == [None] * len(texts)


# --- numbers ---------------------------------------------------------------------------------


def danish(cents: int, thousands: bool = True, short: bool = False) -> str:
    """Format an amount in øre the Danish way: 1.234.567,89 (or 1234567,89, or 1234,5)."""
    sign = "-" if cents < 0 else ""
    kroner, ore = divmod(abs(cents), 100)
    whole = f"{kroner:,}".replace(",", ".") if thousands else str(kroner)
    frac = f"{ore:02d}"
    if short:
        frac = frac.rstrip("0") or "0"
    return f"{sign}{whole},{frac}"


def danish_whole(kroner: int) -> str:
    """Format whole kroner with thousands dots: 7.862, -1.234.567."""
    return ("-" if kroner < 0 else "") + f"{abs(kroner):,}".replace(",", ".")


CENTS = st.integers(min_value=-(10**13), max_value=10**13)


@SETTINGS
@given(CENTS)
@example(123456789)
@example(786200)
@example(123450)
@example(-50000)
@example(0)
def test_danish_and_plain_amounts_parse_to_the_number(cents):
    value = cents / 100
    whole = (1 if cents >= 0 else -1) * (abs(cents) // 100)
    cases = [
        (danish(cents), value),  # 1.234.567,89
        (danish(cents, thousands=False), value),  # 1234567,89
        (danish(cents, thousands=False, short=True), value),  # 1234,5
        (danish(cents, short=True), value),  # 1.234,5
        (danish_whole(whole), whole),  # 7.862
        (f"{value:.2f}", value),  # 1234.50
        (f"{value:.1f}", float(f"{value:.1f}")),  # 1234.5
        (str(whole), whole),  # 1234
    ]
    got = evaluate(number_sql, [t for t, _ in cases])
    for (text, expected), g in zip(cases, got, strict=True):
        assert g is not None, text
        assert g == pytest.approx(expected, rel=1e-9, abs=1e-9), text


def test_danish_thousands_without_decimals():
    # "7.862" is seven thousand (the DUBU sample writes prices so), "1234.5" is a decimal.
    texts = ["7.862", "1.234.567", "1234.5", "1234.50", "0,5", "-1.234,50", "7862"]
    assert evaluate(number_sql, texts) == [7862, 1234567, 1234.5, 1234.5, 0.5, -1234.5, 7862]


def test_number_garbage_is_null():
    texts = ["abc", "12 kr.", "1,2,3", "--1", "", None]
    assert evaluate(number_sql, texts) == [None] * len(texts)


# --- booleans --------------------------------------------------------------------------------

TRUE_SPELLINGS = ("Ja", "J", "x", "true", "1")
FALSE_SPELLINGS = ("Nej", "N", "false", "0")


@st.composite
def boolean_spellings(draw):
    word = draw(st.sampled_from(TRUE_SPELLINGS + FALSE_SPELLINGS))
    text = random_case(draw, word)
    pad = draw(st.tuples(st.text(" ", max_size=3), st.text(" ", max_size=3)))
    return pad[0] + text + pad[1], word in TRUE_SPELLINGS


@SETTINGS
@given(st.lists(boolean_spellings(), min_size=1, max_size=8))
def test_every_boolean_spelling_maps(spellings):
    got = evaluate(as_imported(boolean_sql), [t for t, _ in spellings])
    assert got == [b for _, b in spellings]


def test_boolean_spellings_of_the_contract_without_padding():
    texts = ["Ja", "JA", "ja", "Nej", "NEJ", "J", "j", "N", "n", "x", "X"]
    texts += ["true", "TRUE", "True", "false", "FALSE", "1", "0"]
    expected = [True, True, True, False, False, True, True, False, False, True, True]
    expected += [True, True, True, False, False, True, False]
    assert evaluate(boolean_sql, texts) == expected


def test_empty_boolean_is_false():
    # The parser's NULL is an empty cell; the importer turns '' and '  ' into NULL first.
    assert evaluate(boolean_sql, [None]) == [False]
    assert evaluate(as_imported(boolean_sql), ["", "   ", None]) == [False, False, False]


BOOL_WORDS = {"ja", "j", "x", "true", "1", "nej", "n", "false", "0", "sand", "falsk"}
BOOL_WORDS |= {"yes", "no"}
GARBAGE_ALPHABET = st.sampled_from("abcdefghijklmnopqrstuvwxyzæøåABCXYZÆØÅ0123456789 .,-/+'\"")


@SETTINGS
@given(st.text(GARBAGE_ALPHABET, min_size=1, max_size=12))
@example("jaa")
@example("2")
@example("ok")
def test_boolean_garbage_is_null(text):
    stripped = text.strip(" ").lower()
    if not stripped or stripped in BOOL_WORDS:
        return
    assert evaluate(as_imported(boolean_sql), [text]) == [None]


# --- cost periods and extent units ------------------------------------------------------------

CONTRACT_PERIODS = {
    "pr. døgn": "day",
    "pr. dag": "day",
    "dagligt": "day",
    "pr. uge": "week",
    "ugentlig": "week",
    "pr. måned": "month",
    "månedlig": "month",
    "pr. år": "year",
    "årlig": "year",
    "pr. time": "hour",
    "engangsbeløb": "once",
    "engang": "once",
    **{c: c for c in ("day", "week", "month", "year", "hour", "once")},
}
CONTRACT_UNITS = {
    "timer/uge": "hours_per_week",
    "timer pr. uge": "hours_per_week",
    "dage/måned": "days_per_month",
    "døgn/måned": "nights_per_month",
    "fuld tid": "full_time",
    **{c: c for c in ("hours_per_week", "days_per_month", "nights_per_month", "full_time")},
}


@st.composite
def spelled(draw, table: dict[str, str]):
    name = draw(st.sampled_from(sorted(table)))
    text = random_case(draw, name)
    out = []
    for ch in text:
        out.append(ch)
        out.append(" " * draw(st.integers(0, 2)))
    return " " * draw(st.integers(0, 2)) + "".join(out), table[name]


def test_contract_spellings_are_in_the_tables():
    for name, code in CONTRACT_PERIODS.items():
        assert COST_PERIODS[name] == code
    for name, code in CONTRACT_UNITS.items():
        assert EXTENT_UNITS[name] == code


@SETTINGS
@given(st.lists(spelled(COST_PERIODS), min_size=1, max_size=8))
def test_every_cost_period_spelling_maps_to_its_code(pairs):
    assert evaluate(as_imported(period_sql), [t for t, _ in pairs]) == [c for _, c in pairs]


@SETTINGS
@given(st.lists(spelled(EXTENT_UNITS), min_size=1, max_size=8))
def test_every_extent_unit_spelling_maps_to_its_code(pairs):
    assert evaluate(as_imported(unit_sql), [t for t, _ in pairs]) == [c for _, c in pairs]


def test_all_spellings_exactly_as_listed():
    periods = sorted(COST_PERIODS)
    assert evaluate(period_sql, periods) == [COST_PERIODS[p] for p in periods]
    units = sorted(EXTENT_UNITS)
    assert evaluate(unit_sql, units) == [EXTENT_UNITS[u] for u in units]


def _normal(text: str) -> str:
    return text.lower().replace(" ", "")


@SETTINGS
@given(st.text(GARBAGE_ALPHABET, min_size=1, max_size=15))
@example("pr. halvår")
@example("kvartal")
@example("timer/måned")
def test_unknown_periods_and_units_are_null(text):
    key = _normal(text)
    if key not in {_normal(k) for k in COST_PERIODS}:
        assert evaluate(period_sql, [text]) == [None]
    if key not in {_normal(k) for k in EXTENT_UNITS}:
        assert evaluate(unit_sql, [text]) == [None]


def test_null_period_and_unit_are_null():
    assert evaluate(as_imported(period_sql), ["", None]) == [None, None]
    assert evaluate(as_imported(unit_sql), ["", None]) == [None, None]


# --- CPR ---------------------------------------------------------------------------------------


def spec_century_year(yy: int, digit7: int) -> int:
    """The century rule of registrations.md §3, written out independently."""
    if digit7 in (0, 1, 2, 3):
        return 1900 + yy
    if digit7 in (4, 9):
        return 2000 + yy if yy <= 36 else 1900 + yy
    return 2000 + yy if yy <= 57 else 1800 + yy


def cpr_birth(values: list[str | None]) -> list[object]:
    return evaluate(lambda v: cpr_birth_sql(cpr_digits_sql(v)), values)


@st.composite
def cprs(draw):
    """A birth date in the rule's range and a serial whose 7th digit gives its century."""
    born = draw(st.dates(min_value=dt.date(1858, 1, 1), max_value=dt.date(2057, 12, 31)))
    yy = born.year % 100
    digits = [d for d in range(10) if spec_century_year(yy, d) == born.year]
    assert digits, born  # every year 1858-2057 has at least one digit
    d7 = draw(st.sampled_from(digits))
    rest = draw(st.integers(0, 999))
    return born, f"{born:%d%m}{yy:02d}", f"{d7}{rest:03d}"


@SETTINGS
@given(st.lists(cprs(), min_size=1, max_size=8))
def test_cpr_in_every_form_gives_its_birth_date(items):
    texts = []
    for _born, date6, serial in items:
        texts += [f"{date6}-{serial}", f"{date6}{serial}", f"{date6} {serial}"]
        texts.append(f"CPR {date6}-{serial}")  # labelled, as some extracts write it
    forms = range(4)
    got = cpr_birth(texts)
    assert got == [born for born, _, _ in items for _ in forms]
    digits = evaluate(cpr_digits_sql, texts)
    assert digits == [d + s for _, d, s in items for _ in forms]


@SETTINGS
@given(
    st.one_of(
        st.text(st.sampled_from("0123456789- x"), max_size=13),
        st.from_regex(r"\A[0-9]{5,7}-?[0-9]{3,5}\Z"),
        st.text(max_size=12),
    )
)
@example("123")
@example("170421-946")
@example("17042194621")
@example("12345678")
def test_strings_without_ten_digits_give_null(text):
    # Nine digits alone are a CPR number whose leading zero Excel dropped.
    if len(re.sub(r"[^0-9]", "", text)) == 10 or re.fullmatch(r"[0-9]{9}", text):
        return
    assert evaluate(cpr_digits_sql, [text]) == [None]
    assert cpr_birth([text]) == [None]


def test_ten_digits_written_otherwise_give_null():
    texts = ["1704-219462", "17-0421-9462", "170421-94-62", "170421x9462", "170421 x 9462"]
    assert evaluate(cpr_digits_sql, texts) == [None] * len(texts)
    assert (
        evaluate(cpr_digits_sql, ["170421  9462", "170421 - 9462", "17 04 21 9462"])
        == ["1704219462"] * 3
    )
    assert evaluate(cpr_digits_sql, ["704219462"]) == ["0704219462"]


def test_cpr_with_an_impossible_date_gives_null():
    assert cpr_birth(["310224-1234", "300201-4321", "000000-0000", "011300-1234"]) == [None] * 4
    # 29 February exists in 2000 (7th digit 4, yy 00) but not in 1900 (7th digit 0).
    assert cpr_birth(["290200-4123", "290200-0123"]) == [dt.date(2000, 2, 29), None]


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("010199-0123", dt.date(1999, 1, 1)),  # 0-3: 1900s
        ("010105-3123", dt.date(1905, 1, 1)),
        ("150636-4123", dt.date(2036, 6, 15)),  # 4: 2000s up to 36
        ("150637-4123", dt.date(1937, 6, 15)),  # 4: else 1900s
        ("150636-9123", dt.date(2036, 6, 15)),  # 9 like 4
        ("150637-9123", dt.date(1937, 6, 15)),
        ("150657-5123", dt.date(2057, 6, 15)),  # 5-8: 2000s up to 57
        ("150658-5123", dt.date(1858, 6, 15)),  # 5-8: else 1800s
        ("311299-8123", dt.date(1899, 12, 31)),
        ("010100-6123", dt.date(2000, 1, 1)),
        ("1704219462", dt.date(2021, 4, 17)),
    ],
)
def test_century_rule_hand_cases(cpr, born):
    assert cpr_birth([cpr]) == [born]
    yy, d7 = int(cpr[4:6]), int(cpr.replace("-", "")[6])
    assert privacy.cpr_birth_year(yy, d7) == born.year


def test_century_rule_sql_and_python_agree_with_the_spec_for_every_year_and_digit():
    pairs = [(yy, d) for yy in range(100) for d in range(10)]
    rows = CON.execute(
        f"""SELECT {privacy.cpr_birth_year_sql("yy", "d")}
            FROM (SELECT unnest($yy) AS yy, unnest($d) AS d, unnest(range(1000)) AS i)
            ORDER BY i""",
        {"yy": [p[0] for p in pairs], "d": [p[1] for p in pairs]},
    ).fetchall()
    expected = [spec_century_year(yy, d) for yy, d in pairs]
    assert [r[0] for r in rows] == expected
    assert [privacy.cpr_birth_year(yy, d) for yy, d in pairs] == expected


# --- the Python side: page values, exports, two-digit years ----------------------------------

NUMBER_TEXTS = [
    "7.862", "1.234.567", "1234.5", "1.234,50", "0,5", "-1.234,50", "7862", "1e9", "1_000",
    "abc", "12 kr.", "1,2,3", "--1", "١٢", "0x10", " 7.862 ",
]  # fmt: skip


def test_a_typed_number_is_parsed_by_the_files_parser():
    expected = evaluate(as_imported(number_sql), NUMBER_TEXTS)
    assert [parse_number(t) for t in NUMBER_TEXTS] == expected


def test_nan_and_infinity_words_stay_for_the_range_check():
    assert math.isnan(parse_number("nan")) and parse_number("-inf") == -math.inf
    assert parse_number("Infinity") == math.inf and parse_number("1e400") == math.inf
    assert parse_number("") is None and parse_number("inf kr.") is None


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
@example(7.862)
@example(-1.5)
@example(123.456)
@example(1e-05)
def test_an_exported_number_reads_back_as_itself(value):
    text = plain_number(value)
    assert evaluate(number_sql, [text]) == [value]


def test_two_digit_years_are_told_apart():
    texts = ["22-01-25", "1.2.25", "22/01/2025", "2025-01-22", "22-01-2025"]
    assert evaluate(two_digit_year_sql, texts) == [True, True, False, False, False]
