"""Period presets and calendar-month arithmetic."""

import datetime as dt

import pytest

from slcore.periods import Period, add_months, preset_period

D = dt.date


def test_presets_relative_to_as_of():
    a = D(2026, 3, 18)
    assert preset_period("this_year", a) == Period(D(2026, 1, 1), D(2026, 12, 31), a)
    assert preset_period("last_year", a) == Period(D(2025, 1, 1), D(2025, 12, 31), a)
    assert preset_period("ytd", a) == Period(D(2026, 1, 1), a, a)
    assert preset_period("last_12m", a) == Period(D(2025, 3, 19), a, a)
    assert preset_period("custom", a, (D(2024, 5, 1), D(2024, 6, 1))).days == 32
    with pytest.raises(ValueError, match="kræver en start- og slutdato"):
        preset_period("custom", a)
    with pytest.raises(ValueError, match="slutdato ligger før startdatoen"):
        Period(D(2025, 2, 1), D(2025, 1, 1), a)


def test_last_12_months_from_leap_day():
    assert preset_period("last_12m", D(2024, 2, 29)).start == D(2023, 3, 1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected
