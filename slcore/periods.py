"""Periods and as-of dates: the time inputs of every figure (metrics.md, Inputs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# The municipality's clock: "today" is the Danish calendar day, whatever the server's zone.
MUNICIPALITY_TIME = ZoneInfo("Europe/Copenhagen")

# Preset keys, in the order the sidebar shows them, with their Danish labels.
PRESETS: dict[str, str] = {
    "this_year": "I år",
    "last_year": "Sidste år",
    "ytd": "År til dato",
    "last_12m": "Seneste 12 måneder",
    "custom": "Valgfri periode",
}


@dataclass(frozen=True)
class Period:
    """A period [start, end], both days included, seen as of a date."""

    start: dt.date
    end: dt.date
    as_of: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("Periodens slutdato ligger før startdatoen.")

    @property
    def last_past_day(self) -> dt.date:
        """Return the last day of the period that is not in the future (may precede start)."""
        return min(self.end, self.as_of)

    @property
    def days(self) -> int:
        """Return the number of days in the period."""
        return (self.end - self.start).days + 1


def today() -> dt.date:
    """Return today's date in Denmark."""
    return dt.datetime.now(MUNICIPALITY_TIME).date()


def year_earlier(period: Period) -> Period:
    """Return the same period a year earlier, seen as of the same date."""
    return Period(add_months(period.start, -12), add_months(period.end, -12), period.as_of)


def add_months(day: dt.date, months: int) -> dt.date:
    """Add calendar months; a day past the target month's end lands on its last day."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, min(day.day, days_in_month(year, month)))


def days_in_month(year: int, month: int) -> int:
    """Return the number of days in a month."""
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.date(year, month, 1)).days


def preset_period(
    key: str,
    as_of: dt.date,
    custom: tuple[dt.date, dt.date] | None = None,
) -> Period:
    """Return the period a preset names, relative to the as-of date."""
    year = as_of.year
    if key == "this_year":
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), as_of)
    if key == "last_year":
        return Period(dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31), as_of)
    if key == "ytd":
        return Period(dt.date(year, 1, 1), as_of, as_of)
    if key == "last_12m":
        return Period(add_months(as_of, -12) + dt.timedelta(days=1), as_of, as_of)
    if key == "custom":
        if custom is None:
            raise ValueError("En valgfri periode kræver en start- og slutdato.")
        return Period(custom[0], custom[1], as_of)
    raise ValueError(f"Ukendt periode: {key}")
