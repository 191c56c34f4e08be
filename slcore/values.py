"""Text to value: the value vocabulary and the parsers of every file the product reads.

Extracts, frames and budgets are read alike (registrations.md §1, §5, §6): dates
``dd-mm-yyyy``, ``dd.mm.yyyy``, ``dd/mm/yyyy`` and ISO; numbers with a decimal comma and
thousands dots (``1.234,50``, ``7.862`` is 7862) or a decimal point (``1234.50``); booleans
``Ja/Nej``; Danish cost periods and extent units. Each parser is a SQL expression over a value
expression (NULL when the text is not understood), run by DuckDB over a whole staged file.
"""

from __future__ import annotations

from slcore import bounds, privacy

COST_PERIODS: dict[str, str] = {
    "day": "day",
    "pr. døgn": "day",
    "pr. dag": "day",
    "dagligt": "day",
    "døgn": "day",
    "dag": "day",
    "week": "week",
    "pr. uge": "week",
    "ugentlig": "week",
    "uge": "week",
    "month": "month",
    "pr. måned": "month",
    "månedlig": "month",
    "måned": "month",
    "pr. md.": "month",
    "md.": "month",
    "year": "year",
    "pr. år": "year",
    "årlig": "year",
    "år": "year",
    "hour": "hour",
    "pr. time": "hour",
    "time": "hour",
    "once": "once",
    "engangsbeløb": "once",
    "engang": "once",
    "engangsydelse": "once",
}
EXTENT_UNITS: dict[str, str] = {
    "hours_per_week": "hours_per_week",
    "timer/uge": "hours_per_week",
    "timer pr. uge": "hours_per_week",
    "timer om ugen": "hours_per_week",
    "days_per_month": "days_per_month",
    "dage/måned": "days_per_month",
    "dage pr. måned": "days_per_month",
    "nights_per_month": "nights_per_month",
    "døgn/måned": "nights_per_month",
    "døgn pr. måned": "nights_per_month",
    "full_time": "full_time",
    "fuld tid": "full_time",
    "fuldtid": "full_time",
}
TRUE_WORDS = ("ja", "j", "x", "true", "1", "sand", "yes")
FALSE_WORDS = ("nej", "n", "false", "0", "falsk", "no")
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


def date_sql(v: str) -> str:
    """SQL parsing Danish and ISO dates; NULL when not understood.

    The common shapes (ISO, and dd-mm-yyyy with one separator) are cast directly; anything
    else goes through the list of formats, which is several times slower.
    """
    formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    return f"""CASE
        WHEN regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast({v} AS DATE)
        WHEN regexp_full_match({v}, '\\d{{2}}[-./]\\d{{2}}[-./]\\d{{4}}')
            AND substr({v}, 3, 1) = substr({v}, 6, 1) THEN
            try_cast(substr({v}, 7, 4) || '-' || substr({v}, 4, 2) || '-' || substr({v}, 1, 2)
                     AS DATE)
        ELSE try_strptime({v}, [{formats}])::DATE END"""


def number_sql(v: str) -> str:
    """SQL parsing Danish (1.234,50 and 7.862) and plain (1234.50) numbers."""
    # Only digits, separators and an exponent: "nan", "inf" and "infinity" are no numbers.
    return f"""CASE
        WHEN NOT regexp_full_match({v}, '[-+]?[0-9.,]+([eE][-+]?[0-9]+)?') THEN NULL
        WHEN {v} LIKE '%,%' THEN try_cast(replace(replace({v}, '.', ''), ',', '.') AS DOUBLE)
        WHEN regexp_full_match({v}, '-?\\d{{1,3}}(\\.\\d{{3}})+') THEN
            try_cast(replace({v}, '.', '') AS DOUBLE)
        ELSE try_cast({v} AS DOUBLE) END"""


def boolean_sql(v: str) -> str:
    """SQL parsing Ja/Nej, J/N, x/empty, true/false, 1/0; NULL when not understood."""
    true_list = ", ".join(f"'{w}'" for w in TRUE_WORDS)
    false_list = ", ".join(f"'{w}'" for w in FALSE_WORDS)
    return f"""CASE WHEN {v} IS NULL THEN false
        WHEN lower({v}) IN ({true_list}) THEN true
        WHEN lower({v}) IN ({false_list}) THEN false END"""


def _map_sql(v: str, mapping: dict[str, str]) -> str:
    keys = {k.replace(" ", ""): code for k, code in mapping.items()}
    pairs = ", ".join(f"'{k}': '{code}'" for k, code in keys.items())
    return f"MAP {{{pairs}}}[lower(replace({v}, ' ', ''))]"


def period_sql(v: str) -> str:
    """SQL mapping Danish or canonical cost periods to codes; NULL when unknown."""
    return _map_sql(v, COST_PERIODS)


def unit_sql(v: str) -> str:
    """SQL mapping Danish or canonical extent units to codes; NULL when unknown."""
    return _map_sql(v, EXTENT_UNITS)


# A whole value that is one CPR number, as the CPR or citizen column may write it: the ten
# digits in any of the spellings of privacy.CPR_IN_TEXT, optionally labelled ("CPR
# 010203-1234", "CPR-nr.: 0102031234"), or nine digits (Excel dropped the leading zero).
CPR_VALUE = (
    "(?i)(cpr(-?nr\\.?|-?nummer)?:?[ \u00a0]*)?"
    f"([0-9]{{2}}[ \u00a0]?[0-9]{{2}}[ \u00a0]?[0-9]{{2}}{privacy.CPR_SEPARATOR}{{0,3}}[0-9]{{4}}"
    "|[0-9]{9})"
)


def cpr_digits_sql(v: str) -> str:
    """SQL for the ten digits of a value that is one CPR number (see CPR_VALUE); else NULL."""
    return (
        f"CASE WHEN regexp_full_match({v}, '{CPR_VALUE}') "
        f"THEN lpad(regexp_replace({v}, '[^0-9]', '', 'g'), 10, '0') END"
    )


def mask_if_cpr_sql(v: str) -> str:
    """SQL for a value as it is, or masked as ``DDMMYY-****`` when it is written as a CPR."""
    return f"CASE WHEN {cpr_digits_sql(v)} IS NULL THEN {v} ELSE {privacy.mask_cpr_sql(v)} END"


def cpr_birth_sql(digits: str) -> str:
    """SQL for the birth date in a CPR's digits (century rule); NULL for an impossible date."""
    year = privacy.cpr_birth_year_sql(
        f"substr({digits}, 5, 2)::INTEGER", f"substr({digits}, 7, 1)::INTEGER"
    )
    return (
        f"try_strptime(({year})::VARCHAR || '-' || substr({digits}, 3, 2) || '-' "
        f"|| substr({digits}, 1, 2), '%Y-%m-%d')::DATE"
    )


BAD_DATE = "Datoen kunne ikke forstås (brug fx 31-12-2025)."
TWO_DIGIT_YEAR = "Året skal skrives med fire cifre (fx 22-01-2025, ikke 22-01-25)."
DATE_OUT_OF_RANGE = (
    f"Datoen ligger uden for årene {bounds.MIN_YEAR}-{bounds.MAX_YEAR}; tjek årstallet."
)
